"""The PPO adapter and its reward model, on a tiny model trained here in seconds.

PPO runs a few updates with the gold reward and with the reward model, logs every diagnostic, moves
the policy, yields a policy that generates, and repeats itself exactly for the same seed. The reward
model learns a preference it can learn, reads the right token, and is built once. And PPO on the gold
reward actually raises the gold reward of fresh samples on held-out prompts (about 5 s).
"""

from __future__ import annotations

import dataclasses
import math
import random

import pytest
import torch
from pobench.algorithms import ALGORITHMS
from pobench.algorithms.ppo import PPOParams
from pobench.contracts.adapter import TrainContext
from pobench.contracts.task import SFTExample
from pobench.core.cache import ArtifactCache
from pobench.core.curve import Curve
from pobench.core.generation import sample
from pobench.core.metrics import mean_se
from pobench.core.models import TinyLlama, load_model, load_tokenizer
from pobench.core.settings import Budget, SFTSettings
from pobench.core.tokenizer import train_bpe_tokenizer
from pobench.kit.preference import PAIRS, read_jsonl, write_jsonl
from pobench.kit.reward_model import RewardModelSettings, load_reward_scorer, prepare_reward_model
from pobench.kit.sft import sft_train
from pobench.tasks import TASKS

NAMES = ("policy_loss", "value_loss", "clip_frac", "approx_kl", "entropy", "score", "kl_penalty", "kl_coef", "loss")
FAST = {"updates": 2, "rollout_prompts": 8, "ppo_epochs": 2, "minibatch_size": 4}
GOOD, BAD = ["wonderful", "lovely", "superb", "great"], ["awful", "terrible", "boring", "dull"]
WORDS = GOOD + BAD


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """One intra-op thread: this model is far too small to gain from two, and on a shared CPU two threads
    per process spin against other processes (50x slower when the machine is busy)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def setup(one_thread, tmp_path_factory):
    """A 1-layer Llama SFT-trained for 150 steps to continue review prompts with 8 words, half good and
    half bad ("so lovely ." / "dull and awful ."), so the gold reward (VADER) starts near 0 with room to
    rise; and 80 preference pairs in which a good word beats a bad one."""
    root = tmp_path_factory.mktemp("ppo")
    task = TASKS.get("sentiment")()
    rng = random.Random(0)
    shapes = [" so {a} .", " {a} and {b} ."]
    corpus = [
        SFTExample(
            rng.choice(task.train_prompts()), rng.choice(shapes).format(a=rng.choice(WORDS), b=rng.choice(WORDS))
        )
        for _ in range(3000)
    ]
    train_bpe_tokenizer([e.prompt + e.completion for e in corpus], 400, root / "tok")
    reference = root / "reference"
    TinyLlama(hidden_size=32, intermediate_size=64, num_layers=1, num_heads=2).build_base(root / "tok", reference, 0)
    model, tokenizer = load_model(reference), load_tokenizer(reference)
    sft = SFTSettings(sft_steps=150, sft_batch_size=16, sft_lr=1e-2)
    sft_train(model, tokenizer, corpus, sft, max_length=48, log=lambda _: None)
    model.save_pretrained(reference)
    rows = []
    for prompt in task.train_prompts()[:80]:
        good, bad = f" so {rng.choice(GOOD)} .", f" so {rng.choice(BAD)} ."
        rows.append({"prompt": prompt, "chosen": good, "rejected": bad, "gold_chosen": 0.6, "gold_rejected": -0.5})
    (root / "data").mkdir()
    write_jsonl(root / "data" / PAIRS, rows)
    return {"root": root, "task": task, "reference": reference, "data": root / "data", "cache": root / "cache"}


def make_ctx(setup, tmp_path, seed: int = 0, **params) -> TrainContext:
    hp = dataclasses.replace(PPOParams(), **{**FAST, **params})
    hp.validate()
    return TrainContext(
        params=hp,
        budget=Budget(),
        task=setup["task"],
        reference_dir=setup["reference"],
        data_dir=setup["data"],
        work_dir=tmp_path,
        device="cpu",
        seed=seed,
        curve=Curve(),
        cache=ArtifactCache(setup["cache"], log=lambda _: None),
        log=lambda _: None,
    )


def run(ctx: TrainContext):
    return ALGORITHMS.get("ppo")().train(ctx)


@pytest.mark.parametrize("reward", ["gold", "model"])
def test_ppo_trains_logs_every_diagnostic_and_generates(setup, tmp_path, reward):
    ctx = make_ctx(setup, tmp_path, reward=reward)
    result = run(ctx)
    assert [row["step"] for row in ctx.curve.rows] == [1, 2]
    for row in ctx.curve.rows:
        missing = [n for n in NAMES if f"train/{n}" not in row]
        assert not missing, missing
        assert all(math.isfinite(row[f"train/{n}"]) for n in NAMES)
        assert 0.0 <= row["train/clip_frac"] <= 1.0 and row["train/approx_kl"] >= 0.0
        assert row["train/loss"] == pytest.approx(row["train/policy_loss"] + 0.1 * row["train/value_loss"])
    assert (result.steps, result.train_samples) == (2, 16)
    # 2 updates × 2 passes over 8 sequences of prompt + ≥ 1 response token: a lower bound on the tokens
    assert result.train_tokens > 2 * 2 * 8 * 2
    assert not result.policy.training
    reference = load_model(setup["reference"])
    moved = max((a - b).abs().max().item() for a, b in zip(result.policy.parameters(), reference.parameters()))
    assert moved > 0.0
    drawn = sample(result.policy, load_tokenizer(setup["reference"]), ["the plot felt"], 4, 8, seed=0, batch_size=4)
    assert any(text.strip() for text in drawn.texts)
    assert result.extra["reward"] == reward
    assert (result.proxy_scorer is not None) == (reward == "model")  # eval/proxy_reward where a model exists


def test_same_seed_same_curve_and_another_seed_differs(setup, tmp_path):
    curves = []
    for seed in (5, 5, 6):
        ctx = make_ctx(setup, tmp_path, seed=seed, reward="gold")
        run(ctx)
        curves.append(ctx.curve.rows)
    assert curves[0] == curves[1]
    assert curves[0] != curves[2]  # the check has power: the seed does reach the sampler


def test_adaptive_kl_coefficient_is_wired(setup, tmp_path):
    """Update 1 samples from the untrained actor, a copy of the reference: its sequence KL is exactly 0,
    so the error 0/1 − 1 = −1 clips to −0.2 and β = 0.05·(1 − 0.2·8/8) = 0.04 at update 2. A fixed β stays."""
    ctx = make_ctx(setup, tmp_path, rollout_prompts=8, target_kl=1.0, kl_horizon=8, reward="gold")
    run(ctx)
    assert ctx.curve.rows[0]["train/kl"] == 0.0
    assert [row["train/kl_coef"] for row in ctx.curve.rows] == pytest.approx([0.05, 0.04])
    fixed = make_ctx(setup, tmp_path, reward="gold")
    run(fixed)
    assert [row["train/kl_coef"] for row in fixed.curve.rows] == [0.05, 0.05]


def test_reward_model_learns_the_preference_and_is_built_once(setup):
    """The held-out pairs (the last 10%) are ranked right; on prompts it never saw, every good word outscores
    every bad word (which fails if the scorer read padding or the prompt instead of the completion's end);
    normalized scores have mean 0 and variance 1 over the training pairs' completions."""
    cache = ArtifactCache(setup["cache"], log=lambda _: None)
    settings = RewardModelSettings(learning_rate=1e-2, epochs=5)  # a 1-layer model learns 8 words from 72 pairs
    art = prepare_reward_model(cache, setup["reference"], setup["data"], settings, log=lambda _: None)
    assert (art.extra["heldout_pairs"], art.extra["train_pairs"]) == (8, 72)
    assert art.extra["heldout_accuracy"] == 1.0, art.extra
    scorer = load_reward_scorer(art.path)
    prompts = setup["task"].eval_prompts()[:16]
    mean_score = {w: sum(scorer(prompts, [f" so {w} ."] * 16)) / 16 for w in GOOD + BAD}
    assert min(mean_score[w] for w in GOOD) > max(mean_score[w] for w in BAD), mean_score
    train = read_jsonl(setup["data"] / PAIRS)[:72]
    scores = scorer(
        [r["prompt"] for r in train for _ in range(2)], [c for r in train for c in (r["chosen"], r["rejected"])]
    )
    mean = sum(scores) / len(scores)
    assert mean == pytest.approx(0.0, abs=1e-4)
    assert sum((s - mean) ** 2 for s in scores) / len(scores) == pytest.approx(1.0, abs=1e-3)
    again = prepare_reward_model(cache, setup["reference"], setup["data"], settings, log=lambda _: None)
    assert again.reused and again.key == art.key
    with pytest.raises(ValueError, match="3 prompts but 2 completions"):
        scorer(["a", "b", "c"], ["x", "y"])
    keys = {
        prepare_reward_model(cache, setup["reference"], setup["data"], s, log=lambda _: None).key
        for s in (dataclasses.replace(settings, epochs=1), dataclasses.replace(settings, heldout_fraction=0.2))
    }
    assert art.key not in keys and len(keys) == 2  # training settings are part of the key


def test_critic_from_the_reward_model_reads_its_normalized_score(setup):
    """critic_init=reward_model: the critic's head at a sequence's last token is the reward model's score,
    normalized as PPO's rewards are; with critic_init=sft the head starts at 0."""
    from pobench.algorithms.ppo import Critic

    cache = ArtifactCache(setup["cache"], log=lambda _: None)
    art = prepare_reward_model(cache, setup["reference"], setup["data"], RewardModelSettings(), log=lambda _: None)
    critic = Critic.from_reward_model(art.path, "cpu")
    prompts, completions = ["the plot felt", "the cast was"], [" so lovely .", " dull and awful ."]
    expected = load_reward_scorer(art.path)(prompts, completions)
    tokenizer = load_tokenizer(art.path)
    for prompt, completion, want in zip(prompts, completions, expected):
        ids = torch.tensor([tokenizer(prompt + completion + tokenizer.eos_token)["input_ids"]])  # as scored
        with torch.no_grad():
            hidden = critic.body(input_ids=ids, attention_mask=torch.ones_like(ids)).last_hidden_state  # (1, L, H)
            assert critic.head(hidden)[0, -1, 0].item() == pytest.approx(want, abs=1e-4)
    assert torch.count_nonzero(Critic(load_model(setup["reference"])).head.weight) == 0


def test_ppo_on_gold_reward_raises_gold_reward_of_fresh_samples(setup, tmp_path):
    """25 updates of 32 prompts; then 256 samples on held-out eval prompts from each model: the gold reward
    rises by more than 3 standard errors of the difference, and the training score rises too."""
    ctx = make_ctx(setup, tmp_path, updates=25, rollout_prompts=32, ppo_epochs=4, minibatch_size=8, reward="gold")
    result = run(ctx)
    tokenizer = load_tokenizer(setup["reference"])
    prompts = setup["task"].eval_prompts()[:64]
    gold = {}
    for name, model in (("before", load_model(setup["reference"]).eval()), ("after", result.policy)):
        drawn = sample(model, tokenizer, prompts, 4, setup["task"].max_new_tokens, seed=1, batch_size=256)
        gold[name] = mean_se(setup["task"].gold_reward([p for p in prompts for _ in range(4)], drawn.texts))
    (before, se_b), (after, se_a) = gold["before"], gold["after"]
    assert after - before > 3 * math.hypot(se_a, se_b), gold
    scores = [row["train/score"] for row in ctx.curve.rows]
    assert sum(scores[-5:]) / 5 > sum(scores[:5]) / 5, scores


def test_ppo_logs_its_learning_rate_and_gradient_norm_as_trl_does(setup, tmp_path):
    """train/learning_rate: the actor's rate in that update, linearly annealed; train/grad_norm: the actor's
    gradient norm before clipping, averaged over the update's minibatches (TRL logs both under those names)."""
    ctx = make_ctx(setup, tmp_path, reward="gold")
    run(ctx)
    hp = ctx.params
    rates = [row["train/learning_rate"] for row in ctx.curve.rows]
    assert rates == pytest.approx([hp.learning_rate * (1 - (u - 1) / hp.updates) for u in (1, 2)])
    assert all(math.isfinite(row["train/grad_norm"]) and row["train/grad_norm"] > 0 for row in ctx.curve.rows)
