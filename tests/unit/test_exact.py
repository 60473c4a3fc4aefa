"""Exact quantities (bench/core/exact.py) against sums worked by hand, and the generation tree
(bench/core/enumeration.py) against the sampler and the scorer it must agree with."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pobench.core import exact
from pobench.core.enumeration import enumerable, leaf_log_probs, leaves, tree_size

from tests.helpers import word_level_llama

HALF = np.log([0.5, 0.5])


def test_expected_kl_tv_on_two_responses():
    p = np.log([0.2, 0.8])
    assert exact.expected(p, np.array([0.0, 1.0])) == pytest.approx(0.8)
    # 0.2·log(0.2/0.5) + 0.8·log(0.8/0.5) = 0.2·(−0.916291) + 0.8·0.470004
    assert exact.kl(p, HALF) == pytest.approx(0.192745, abs=1e-6)
    assert exact.tv(p, HALF) == pytest.approx(0.3)
    assert exact.kl(HALF, HALF) == 0.0
    # a response the policy never gives adds nothing, even where the reference gives it mass
    assert exact.kl(np.array([0.0, -np.inf]), HALF) == pytest.approx(math.log(2))


def test_tilt_is_the_regularized_optimum():
    # π* ∝ 0.5·(1, e) for r = (0, 1), β = 1: (1, e)/(1 + e); KL = Σ π*·log(2π*)
    log_pi = exact.tilt(HALF, np.array([0.0, 1.0]), 1.0)
    assert np.exp(log_pi) == pytest.approx([0.268941, 0.731059], abs=1e-6)
    assert exact.kl(log_pi, HALF) == pytest.approx(0.110944, abs=1e-6)
    # matched_beta inverts β → KL
    beta = exact.matched_beta(lambda b: exact.kl(exact.tilt(HALF, np.array([0.0, 1.0]), b), HALF), 0.110944)
    assert beta == pytest.approx(1.0, rel=1e-4)
    assert exact.matched_beta(lambda b: 1.0, 0.0) == math.inf
    with pytest.raises(ValueError, match="scale"):
        exact.tilt(HALF, np.array([0.0, 1.0]), 0.0)


def test_ipo_target_by_hand():
    # P(y ≻ μ) for μ = (½, ½), s = (0, 1), T = 1: ½σ(0) + ½σ(−1) = 0.384471 and ½σ(1) + ½σ(0) = 0.615529
    scores = np.array([0.0, 1.0])
    assert exact.win_probability(HALF, scores, 1.0) == pytest.approx([0.384471, 0.615529], abs=1e-6)
    # the paper's form: π ∝ π_ref·exp(P/τ), τ = 1: (1, e^0.231059)/(1 + e^0.231059)
    assert np.exp(exact.ipo_target(HALF, scores, 1.0, 1.0)) == pytest.approx([0.442491, 0.557509], abs=1e-6)
    # per token (TRL): the log-ratio over the length differs by the win-probability gap over τ, and π sums to 1
    lengths = np.array([1, 2])
    log_pi = exact.ipo_target(HALF, scores, 1.0, 0.5, lengths)
    per_token = (log_pi - HALF) / lengths
    assert np.exp(log_pi).sum() == pytest.approx(1.0, abs=1e-12)
    assert per_token[1] - per_token[0] == pytest.approx((0.615529 - 0.384471) / 0.5, abs=1e-5)


def test_win_probability_groups_equal_scores():
    """Summing over distinct scores gives what the full pairwise sum gives."""
    rng = np.random.default_rng(0)
    ref = exact.normalize_log(rng.normal(size=12))
    scores = rng.choice([-1.0, 0.2, 0.5, 0.9], size=12)
    full = np.array(
        [sum(np.exp(ref[j]) / (1 + np.exp(-(scores[i] - scores[j]) / 0.3)) for j in range(12)) for i in range(12)]
    )
    assert exact.win_probability(ref, scores, 0.3) == pytest.approx(full, abs=1e-12)


def test_best_of_n_by_hand():
    assert np.exp(exact.best_of_n_log_probs(HALF, np.array([0.0, 1.0]), 2)) == pytest.approx([0.25, 0.75])
    # ties share the top in proportion to π_ref: P(max score is 1) = 1 − 0.2² = 0.96, split 0.3 : 0.5
    p = np.exp(exact.best_of_n_log_probs(np.log([0.2, 0.3, 0.5]), np.array([0.0, 1.0, 1.0]), 2))
    assert p == pytest.approx([0.04, 0.36, 0.60])
    assert np.exp(exact.best_of_n_log_probs(HALF, np.array([0.0, 1.0]), 1)) == pytest.approx([0.5, 0.5])


def test_tree_size_counts_eos_ended_and_cut_leaves():
    assert tree_size(3, 2) == 1 + 2 + 4  # EOS now, one other token then EOS, two other tokens (cut)
    assert tree_size(13, 4) == 22_621  # the exact task on tiny


@pytest.fixture(scope="module")
def small_model(tmp_path_factory):
    return word_level_llama(tmp_path_factory.mktemp("wordlevel"))


def test_word_level_tokenizer_round_trips_completions(small_model):
    _, tok = small_model
    assert len(tok) == 7  # pad, bos, eos, unk and three words
    assert tok("go")["input_ids"] == [tok.bos_token_id, tok.convert_tokens_to_ids("\u0120go")]
    ids = tok(" red blue" + tok.eos_token, add_special_tokens=False)["input_ids"]
    assert tok.decode(ids, skip_special_tokens=True) == " red blue"  # a completion keeps its leading space
    # prompt + completion tokenizes as the prompt's tokens, then the completion's (what TRL checks)
    assert tok("go red")["input_ids"] == tok("go")["input_ids"] + tok(" red", add_special_tokens=False)["input_ids"]
    assert tok("go purple")["input_ids"][-1] == tok.unk_token_id


def test_leaves_sum_to_one_and_match_the_scorer_and_sampler(small_model):
    from collections import Counter

    from pobench.core.generation import sample, score

    model, tok = small_model
    assert enumerable(model, tok, 3)
    tree = leaves(tok, "go", 3)
    log_p = leaf_log_probs(model, tok, "go", 3)
    assert len(tree.tokens) == tree_size(len(tok), 3) == len(log_p)
    assert np.exp(log_p).sum() == pytest.approx(1.0, abs=1e-9)
    assert tree.truncated.sum() == 6**3 and all(t[-1] == tok.eos_token_id for t in tree.tokens[: -(6**3)])
    picks = [0, 3, 40, len(log_p) - 1]
    prompt = tok("go")["input_ids"]
    scored = score(model, [prompt] * 4, [list(tree.tokens[i]) for i in picks], tok.pad_token_id, 4)
    assert [float(s.sum()) for s in scored] == pytest.approx(log_p[picks].tolist(), abs=1e-5)
    # sampled frequencies of the likeliest responses agree with their exact probabilities
    drawn = sample(model, tok, ["go"], 4000, 3, seed=0, batch_size=1000)
    counts = Counter(tuple(r) for r in drawn.response_ids)
    index = {t: i for i, t in enumerate(tree.tokens)}
    for response, n in counts.most_common(3):
        p = math.exp(log_p[index[response]])
        assert abs(n / 4000 - p) < 4 * math.sqrt(p * (1 - p) / 4000)


def test_the_target_scan_names_the_factor_a_policy_is_closest_to():
    from pobench.core.exact import tilt
    from pobench.kit.exact_eval import PromptTree, Target, closest_target

    ref = np.log(np.array([0.5, 0.3, 0.2]))
    gold = np.array([0.0, 0.5, 1.0])
    tree = PromptTree(leaves=None, ref_log_p=ref, gold=gold, labeler=gold)
    target_of = lambda beta: Target(f"β={beta}", lambda t, b=beta: tilt(t.ref_log_p, t.gold, b))  # noqa: E731
    nearby = tuple((f, target_of(0.3 * f)) for f in (0.5, 1.0, 2.0))
    # a policy trained at 2β is the target of factor 2, at TV 0; none is closest to factor 1
    got = closest_target([tree], [tilt(ref, gold, 0.6)], nearby)
    assert got == {"exact/closest_factor": 2.0, "exact/tv_closest": pytest.approx(0.0, abs=1e-12)}
    assert closest_target([tree], [ref], ()) == {}


def test_scanned_targets_multiply_the_knob():
    from pobench.algorithms.dpo import DPO
    from pobench.harness.evaluate import TARGET_SCAN, scanned_target
    from pobench.harness.spec import resolve_spec

    spec, _ = resolve_spec("dpo", "exact", "tiny", 0, {"beta": "3"})
    target = scanned_target(DPO(), spec.hparams, spec.data)
    assert [f for f, _ in target.nearby] == list(TARGET_SCAN) and TARGET_SCAN[0] == 1 / 8 and TARGET_SCAN[-1] == 8
    assert dict(target.nearby)[2.0].formula == "π_ref·exp(s/(T·β)), T·β=0.6"  # T = 0.1: β 3 → 6


def test_no_scan_where_the_knob_is_not_in_the_target():
    from pobench.harness.evaluate import scanned_target
    from pobench.harness.spec import resolve_spec

    from tests.validation_variants import ReferenceFreeAsDPO

    spec, _ = resolve_spec("cpo", "exact", "tiny", 0, {"beta": "3"})
    assert scanned_target(ReferenceFreeAsDPO(), spec.hparams, spec.data).nearby == ()  # CPO's knob: learning_rate
