"""The proxy in a real cell: its scores are the seed's reward model's on the record's samples, calibrated by the
recorded line; every cell of a seed shares that model; implicit accuracy on pairs with a known answer."""

from __future__ import annotations

import pytest
from pobench.core.models import load_model, load_tokenizer
from pobench.harness.pipeline import run_cell
from pobench.harness.spec import resolve_spec
from pobench.kit.proxy import implicit_accuracy, load_proxy, pair_log_probs
from pobench.kit.reward_model import load_reward_scorer

from tests.helpers import SMALL_BUDGET

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.fixture(scope="module")
def small_dpo(default_cells, bench_dirs):
    """A small DPO cell (16 prompts × 2 samples: every sample kept in the record) beside the default cells."""
    spec, source = resolve_spec("dpo", "sentiment", "tiny", 0, dict(SMALL_BUDGET))
    record, _ = run_cell(spec, source, bench_dirs["out"], bench_dirs["cache"], device="cpu", log=lambda _: None)
    assert record.status == "ok", record.error
    return record


def test_the_proxy_column_is_the_reward_models_scores_on_the_samples(small_dpo, bench_dirs):
    m, info = small_dpo.metrics, small_dpo.artifacts["proxy"]
    assert len(small_dpo.samples) == m["eval/samples"] == 32  # all of them kept
    scorer = load_reward_scorer(bench_dirs["cache"] / "reward-model" / info["reward_model"])
    scores = scorer([s["prompt"] for s in small_dpo.samples], [s["completion"] for s in small_dpo.samples])
    assert scores == pytest.approx([s["proxy_score"] for s in small_dpo.samples], abs=1e-5)
    assert m["eval/proxy_score"] == pytest.approx(sum(scores) / len(scores), abs=1e-6)
    assert m["eval/proxy_reward"] == pytest.approx(m["proxy/intercept"] + m["proxy/slope"] * m["eval/proxy_score"])
    assert m["eval/proxy_gap"] == pytest.approx(m["eval/proxy_reward"] - m["eval/reward"])
    assert 0.0 <= m["eval/implicit_accuracy"] <= 1.0 and m["eval/implicit_pairs"] == info["heldout_pairs"] > 0


def test_every_cell_of_a_seed_is_judged_by_the_same_reward_model(default_cells, small_dpo):
    sft, dpo = default_cells["sft"][0], default_cells["dpo"][0]
    models = {r.artifacts["proxy"]["reward_model"] for r in (sft, dpo, small_dpo)}
    assert len(models) == 1
    for r in (sft, dpo):
        assert 0.5 <= r.metrics["proxy/heldout_accuracy"] <= 1.0
        assert r.metrics["proxy/r2"] > 0.0
    # the line is fitted on the reference's samples: the SFT policy's own samples agree with gold within noise
    gap, se = sft.metrics["eval/proxy_gap"], sft.metrics["eval/proxy_gap_se"]
    assert abs(gap) < 4 * se + 0.02, (gap, se)
    assert "eval/implicit_accuracy" not in sft.metrics  # the SFT baseline defines no implicit reward


def test_implicit_accuracy_on_pairs_with_a_known_answer(default_cells, bench_dirs):
    info = default_cells["dpo"][0].artifacts["proxy"]
    proxy = load_proxy(
        bench_dirs["cache"] / "reward-model" / info["reward_model"],
        bench_dirs["cache"] / "proxy-calibration" / info["key"],
        {},
    )
    reference_dir = bench_dirs["cache"] / "reference" / default_cells["dpo"][0].artifacts["reference"]["key"]
    reference, pad = load_model(reference_dir).eval(), load_tokenizer(reference_dir).pad_token_id
    # without the reference's kept log-probs (they come from batches of all the pairs: other padding, other floats)
    pairs = [{k: v for k, v in p.items() if not k.startswith("reference_")} for p in proxy.pairs[:24]]
    # the reference as the policy: DPO's implicit reward is 0 for every response, every pair a tie
    dpo = implicit_accuracy(lambda p, r, n: 0.5 * (p - r), reference, reference, pairs, pad, 16)
    assert dpo["eval/implicit_accuracy"] == 0.5 and dpo["eval/implicit_pairs"] == 24
    # the likelihood (CPO's reward) ranks each pair one way: swapping chosen and rejected turns a into 1 − a
    swapped = [{**p, "chosen_ids": p["rejected_ids"], "rejected_ids": p["chosen_ids"]} for p in pairs]
    one = implicit_accuracy(lambda p, r, n: p, reference, reference, pairs, pad, 16)["eval/implicit_accuracy"]
    other = implicit_accuracy(lambda p, r, n: p, reference, reference, swapped, pad, 16)["eval/implicit_accuracy"]
    assert one + other == pytest.approx(1.0)
    assert implicit_accuracy(lambda p, r, n: p, reference, reference, [], pad, 16) == {}


def test_the_references_pair_log_probs_kept_once_per_seed_are_what_each_cell_computed(default_cells, bench_dirs):
    record = default_cells["dpo"][0]
    info, settings = record.artifacts["proxy"], record.spec
    proxy = load_proxy(bench_dirs["cache"] / "reward-model" / info["reward_model"],
                       bench_dirs["cache"] / "proxy-calibration" / info["key"], {})  # fmt: skip
    reference_dir = bench_dirs["cache"] / "reference" / record.artifacts["reference"]["key"]
    reference, pad = load_model(reference_dir).eval(), load_tokenizer(reference_dir).pad_token_id
    batch = settings["eval_batch_size"]
    kept = [p["reference_chosen_logp"] for p in proxy.pairs] + [p["reference_rejected_logp"] for p in proxy.pairs]
    assert kept == pair_log_probs(reference, proxy.pairs, pad, batch)  # the same floats, not merely close
    dpo = lambda p, r, n: 0.1 * (p - r)  # noqa: E731
    stripped = [{k: v for k, v in p.items() if not k.startswith("reference_")} for p in proxy.pairs]
    assert implicit_accuracy(dpo, reference, reference, proxy.pairs, pad, batch) == implicit_accuracy(
        dpo, reference, reference, stripped, pad, batch
    )
