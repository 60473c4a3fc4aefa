"""The KL estimator, through the real sampler and scorer, against the exact KL.

With one new token per sample, KL(π‖π_ref) over responses is exactly the KL between two
categorical distributions over the vocabulary at the prompt's last position, which can be summed
exactly. The sample estimate must land within 4 standard errors of it: that fails if the sampler
used anything but the policy's own distribution (top-k, top-p, a temperature) or if the scorer
misaligned its log-probs by a position.
"""

import copy

import pytest
import torch
from pobench.core.generation import sample, score, score_pair
from pobench.core.metrics import analytic_kl, expected_kl_metrics, kl_metrics
from pobench.core.models import TinyLlama, load_model, load_tokenizer
from pobench.core.tokenizer import train_bpe_tokenizer
from pobench.tasks import TASKS


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("kl")
    texts = [e.prompt + e.completion for e in TASKS.get("sentiment")().sft_examples(2000, seed=0)]
    train_bpe_tokenizer(texts, 300, folder / "tok")
    TinyLlama(hidden_size=32, intermediate_size=64, num_layers=1, num_heads=2).build_base(folder / "tok", folder, 0)
    reference = load_model(folder).eval()
    policy = copy.deepcopy(reference)
    with torch.no_grad():
        policy.model.norm.weight.mul_(6.0)  # sharpen the policy: KL ≈ 0.2 nat, mass still spread
    return policy, reference, load_tokenizer(folder)


def test_sampled_kl_matches_exact_kl_within_its_standard_error(models):
    policy, reference, tok = models
    prompt = "the plot felt"
    n = 3000
    drawn = sample(policy, tok, [prompt] * n, k=1, max_new_tokens=1, seed=0, batch_size=500)
    policy_lp = score(policy, drawn.prompt_ids, drawn.response_ids, tok.pad_token_id, 500)
    ref_lp = score(reference, drawn.prompt_ids, drawn.response_ids, tok.pad_token_id, 500)
    estimate = kl_metrics(policy_lp, ref_lp, k=1)
    ids = torch.tensor([tok(prompt)["input_ids"]])  # (1, P)
    with torch.no_grad():
        exact = analytic_kl(policy(ids).logits[0, -1], reference(ids).logits[0, -1])
    assert exact > 0.05
    assert abs(estimate["kl"] - exact) < 4 * estimate["kl_se"], (estimate, exact)

    # The check has power: samples drawn at temperature 0.8 (a biased sampler) land far outside it.
    torch.manual_seed(0)
    input_ids = ids.repeat(n, 1)
    biased = policy.generate(
        input_ids=input_ids,
        attention_mask=torch.ones_like(input_ids),
        do_sample=True,
        temperature=0.8,
        top_k=0,
        top_p=1.0,
        max_new_tokens=1,
        pad_token_id=tok.pad_token_id,
    )
    responses = biased[:, -1:].tolist()
    prompts = [ids[0].tolist()] * n
    wrong = kl_metrics(
        score(policy, prompts, responses, tok.pad_token_id, 500),
        score(reference, prompts, responses, tok.pad_token_id, 500),
        k=1,
    )
    assert abs(wrong["kl"] - exact) > 4 * wrong["kl_se"], (wrong, exact)


def test_reference_against_itself_is_exactly_zero(models):
    _, reference, tok = models
    drawn = sample(reference, tok, ["the plot felt", "this movie is"], k=4, max_new_tokens=8, seed=1, batch_size=8)
    lp = score(reference, drawn.prompt_ids, drawn.response_ids, tok.pad_token_id, 8)
    lp_again = score(copy.deepcopy(reference), drawn.prompt_ids, drawn.response_ids, tok.pad_token_id, 8)
    assert kl_metrics(lp, lp_again, k=4)["kl"] == 0.0  # a separate copy of the same weights: exactly 0


def test_sampling_is_reproducible_and_restores_the_global_rng(models):
    policy, _, tok = models
    before = torch.random.get_rng_state()
    a = sample(policy, tok, ["the plot felt"] * 4, k=2, max_new_tokens=6, seed=7, batch_size=3)
    assert torch.equal(before, torch.random.get_rng_state())
    b = sample(policy, tok, ["the plot felt"] * 4, k=2, max_new_tokens=6, seed=7, batch_size=3)
    assert a.response_ids == b.response_ids and len(a.response_ids) == 8


def test_common_noise_draws_depend_on_seed_prompt_and_sample_alone(models):
    """Gumbel-max draws are keyed by (seed, prompt index, sample index): the batch size and the number of samples
    per prompt do not change a draw, a new seed does, and the global RNG is left as it was."""
    policy, _, tok = models
    prompts = ["the plot felt", "this movie is", "i thought it"]
    before = torch.random.get_rng_state()
    a = sample(policy, tok, prompts, k=2, max_new_tokens=6, seed=7, batch_size=3, common_noise=True)
    assert torch.equal(before, torch.random.get_rng_state())
    b = sample(policy, tok, prompts, k=4, max_new_tokens=6, seed=7, batch_size=5, common_noise=True)
    assert a.response_ids == [b.response_ids[4 * p + j] for p in range(3) for j in range(2)]
    c = sample(policy, tok, prompts, k=2, max_new_tokens=6, seed=8, batch_size=3, common_noise=True)
    assert a.response_ids != c.response_ids


def test_summed_next_token_kl_is_exact_for_one_token(models):
    """With one new token the summed next-token KL of every sample is the exact KL itself (zero variance), while
    the sampled log-ratio only estimates it."""
    policy, reference, tok = models
    prompt = "the plot felt"
    drawn = sample(policy, tok, [prompt] * 50, k=1, max_new_tokens=1, seed=0, batch_size=50, common_noise=True)
    p_lp, r_lp, token_kls = score_pair(policy, reference, drawn.prompt_ids, drawn.response_ids, tok.pad_token_id, 16)
    ids = torch.tensor([tok(prompt)["input_ids"]])  # (1, P)
    with torch.no_grad():
        exact = analytic_kl(policy(ids).logits[0, -1], reference(ids).logits[0, -1])
    # exact up to float32 rounding: a batch of 50 and a batch of 1 sum their matmuls in another order, and at 2
    # threads the KL of 0.2125 came out 1.6e-8 apart (float32 keeps ~7 digits)
    assert all(float(t.sum()) == pytest.approx(exact, rel=1e-6, abs=1e-9) for t in token_kls)
    alone = score(policy, drawn.prompt_ids, drawn.response_ids, tok.pad_token_id, 50)
    assert all(torch.allclose(x, y, atol=1e-6) for x, y in zip(p_lp, alone))  # the same log-probs as score()
    assert expected_kl_metrics(token_kls, 1)["kl"] == pytest.approx(exact, rel=1e-6, abs=1e-9)
    assert kl_metrics(p_lp, r_lp, 1)["kl_se"] > 0.0
