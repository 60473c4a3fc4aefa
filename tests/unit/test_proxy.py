"""The proxy's maths on numbers worked by hand: the calibration line, pair accuracy, the implicit rewards, the
held-out pairs, the proxy metrics of a cell, and old records' proxy read under today's names."""

from __future__ import annotations

import math

import pytest
from pobench.algorithms import ALGORITHMS
from pobench.contracts import implicit
from pobench.core.cache import Artifact
from pobench.core.generation import Samples
from pobench.core.metrics import least_squares_line, pair_accuracy
from pobench.core.models import preset_of
from pobench.core.record import RunRecord
from pobench.harness.prepare import proxy_obstacle
from pobench.harness.spec import resolve_spec
from pobench.kit.preference import PAIRS, write_jsonl
from pobench.kit.proxy import Proxy, gold_pairs, proxy_settings
from pobench.kit.reward_model import RewardModelSettings
from pobench.tasks import TASKS


def test_least_squares_line_by_hand():
    # x = 0, 1, 2, 3; y = 1, 3, 2, 5: x̄ = 1.5, ȳ = 2.75; Σ(x−x̄)(y−ȳ) = (−1.5)(−1.75) + (−0.5)(0.25) + (0.5)(−0.75)
    # + (1.5)(2.25) = 2.625 − 0.125 − 0.375 + 3.375 = 5.5; Σ(x−x̄)² = 5; b = 1.1, a = 2.75 − 1.65 = 1.1.
    # fitted 1.1, 2.2, 3.3, 4.4: residuals −0.1, 0.8, −1.3, 0.6, Σ² = 0.01 + 0.64 + 1.69 + 0.36 = 2.7;
    # Σ(y−ȳ)² = 3.0625 + 0.0625 + 0.5625 + 5.0625 = 8.75; R² = 1 − 2.7/8.75 = 0.691428…
    a, b, r2 = least_squares_line([0, 1, 2, 3], [1, 3, 2, 5])
    assert (a, b) == pytest.approx((1.1, 1.1))
    assert r2 == pytest.approx(1 - 2.7 / 8.75)


def test_least_squares_line_of_a_constant_score_is_the_mean():
    assert least_squares_line([2.0, 2.0, 2.0], [1.0, 2.0, 6.0]) == pytest.approx((3.0, 0.0, 0.0))
    with pytest.raises(ValueError, match="equal, non-empty"):
        least_squares_line([1.0], [1.0, 2.0])


def test_pair_accuracy_counts_a_tie_half():
    # per pair 1, 0, ½, 1: mean 0.625; s² = ((0.375)² + (0.625)² + (0.125)² + (0.375)²) / 3 = 0.229167; se = √(s²/4)
    accuracy, se = pair_accuracy([2.0, 0.0, 1.0, 5.0], [1.0, 1.0, 1.0, -1.0])
    assert accuracy == pytest.approx(0.625)
    assert se == pytest.approx(math.sqrt((0.375**2 + 0.625**2 + 0.125**2 + 0.375**2) / 3 / 4))


def test_implicit_rewards_by_hand():
    assert implicit.reference_ratio(0.1, -10.0, -12.0) == pytest.approx(0.2)
    assert implicit.likelihood(0.5, -6.0) == pytest.approx(-3.0)
    assert implicit.length_normalized(2.0, -6.0, 3) == pytest.approx(-4.0)
    # mean log p = −ln 2: p = ½, odds 1, log odds 0; mean −ln 4: p = ¼, odds ⅓
    assert implicit.log_odds(-2 * math.log(2), 2) == pytest.approx(0.0)
    assert implicit.log_odds(-math.log(4), 1) == pytest.approx(math.log(1 / 3))
    assert implicit.log_odds(0.0, 3) == math.inf
    with pytest.raises(ValueError, match="0 tokens"):
        implicit.length_normalized(1.0, -1.0, 0)


@pytest.mark.parametrize(
    ("algo", "settings", "expected"),
    [
        ("dpo", {"beta": 0.5}, 0.5 * (-4.0 + 6.0)),
        ("ipo", {"beta": 0.5}, 0.5 * (-4.0 + 6.0)),
        ("kto", {"beta": 0.5}, 0.5 * (-4.0 + 6.0)),
        ("cpo", {"beta": 0.5}, 0.5 * -4.0),
        ("simpo", {"beta": 2.0}, 2.0 * -4.0 / 2),
        ("orpo", {}, -2.0 - math.log(-math.expm1(-2.0))),
    ],
)
def test_each_offline_adapter_declares_its_implicit_reward(algo, settings, expected):
    adapter = ALGORITHMS.get(algo)()
    params = adapter.hparams(**settings)
    assert adapter.implicit_reward(params, -4.0, -6.0, 2) == pytest.approx(expected)


@pytest.mark.parametrize("algo", ["sft", "best-of-n", "ppo"])
def test_methods_without_an_implicit_reward_say_so(algo):
    adapter = ALGORITHMS.get(algo)()
    assert adapter.implicit_reward(adapter.hparams(), -4.0, -6.0, 2) is None


def test_gold_pairs_order_by_gold_and_leave_ties_out():
    # two prompts, k = 4: pairs (0, 1), (2, 3) of each; prompt B's second pair ties
    drawn = Samples(
        prompt_ids=[[1]] * 4 + [[2]] * 4,
        response_ids=[[10], [11], [12], [13], [20], [21], [22], [23]],
        truncated=[False] * 8,
        texts=[""] * 8,
    )
    pairs = gold_pairs(drawn, [0.1, 0.9, 0.5, 0.2, 0.3, 0.0, 0.4, 0.4], k=4)
    assert [(p["chosen_ids"], p["rejected_ids"]) for p in pairs] == [([11], [10]), ([12], [13]), ([20], [21])]
    assert [p["prompt_ids"] for p in pairs] == [[1], [1], [2]]
    assert all(p["gold_chosen"] > p["gold_rejected"] for p in pairs)
    assert gold_pairs(drawn, [0.0] * 8, k=4) == []


def test_proxy_metrics_by_hand():
    # scores 1, 3 (prompt A) and 0, 2 (prompt B); gold = 0.5 + 0.25·score calibrates them to 0.75, 1.25, 0.5, 1.0
    scores = {"a1": 1.0, "a2": 3.0, "b1": 0.0, "b2": 2.0}
    proxy = Proxy(
        scorer=lambda prompts, texts: [scores[t] for t in texts],
        intercept=0.5,
        slope=0.25,
        r2=0.9,
        samples=64,
        pairs=[],
        model_info={"heldout_accuracy": 0.7, "heldout_gold_accuracy": 0.6},
    )
    gold = [1.0, 1.0, 0.0, 1.0]
    metrics, raw = proxy.metrics(["A", "A", "B", "B"], ["a1", "a2", "b1", "b2"], gold, k=2)
    assert raw == [1.0, 3.0, 0.0, 2.0]
    assert metrics["eval/proxy_score"] == pytest.approx(1.5)
    assert metrics["eval/proxy_reward"] == pytest.approx(0.875)  # 0.5 + 0.25·1.5
    # per prompt: score means 2 and 1 (se = |2 − 1| / 2 = 0.5), calibrated 1.0 and 0.75 (se 0.125)
    assert metrics["eval/proxy_score_se"] == pytest.approx(0.5)
    assert metrics["eval/proxy_reward_se"] == pytest.approx(0.125)
    # gaps −0.25, 0.25, 0.5, 0: per prompt 0 and 0.25, mean 0.125, se 0.125
    assert metrics["eval/proxy_gap"] == pytest.approx(0.875 - 0.75)
    assert metrics["eval/proxy_gap_se"] == pytest.approx(0.125)
    assert metrics["proxy/slope"] == 0.25 and metrics["proxy/heldout_gold_accuracy"] == 0.6


def _record(metrics: dict) -> RunRecord:
    return RunRecord(spec={}, spec_hash="h", algo="ppo", hparams={}, task="t", task_version="1", model="tiny", seed=0,
                     status="ok", metrics=dict(metrics))  # fmt: skip


def _data(tmp_path, rows: int) -> Artifact:
    write_jsonl(tmp_path / PAIRS, [{"prompt": "p", "chosen": "a", "rejected": "b"}] * rows)
    return Artifact("data", "data-x", tmp_path, {}, reused=True)


def test_a_cell_without_a_possible_proxy_says_why(tmp_path):
    sentiment = TASKS.get("sentiment")()
    assert proxy_obstacle(sentiment, _data(tmp_path, 2)) == ""
    assert "fewer than 2 preference pairs" in proxy_obstacle(sentiment, _data(tmp_path, 1))
    without_gold = replace_gold(sentiment)
    assert "has no gold reward" in proxy_obstacle(without_gold, _data(tmp_path, 10))


def replace_gold(task):
    task.has_gold = False  # an instance attribute: the class keeps its gold
    return task


def test_an_accuracy_that_cannot_be_measured_is_left_out():
    # every held-out pair tied in gold (a binary reward on a few pairs): no gold accuracy, rather than NaN
    proxy = Proxy(lambda p, t: [0.0] * len(t), 0.0, 1.0, 1.0, 4, [], {"heldout_accuracy": 0.5,
                  "heldout_gold_accuracy": math.nan})  # fmt: skip
    metrics, _ = proxy.metrics(["A", "A"], ["x", "y"], [1.0, 0.0], k=2)
    assert metrics["proxy/heldout_accuracy"] == 0.5 and "proxy/heldout_gold_accuracy" not in metrics


def test_the_proxy_is_trained_as_ppo_is_on_each_model():
    assert proxy_settings({}) == RewardModelSettings()  # tiny: no preset, the defaults (1e-3, 4 epochs)
    real = proxy_settings(preset_of("smollm2-135m").settings)  # the preset's, for 115 training pairs: 3e-4, 4 epochs
    assert (real.learning_rate, real.epochs) == (3e-4, 4)
    general = proxy_settings(preset_of("HuggingFaceTB/SmolLM2-135M-Instruct").settings)  # a full budget's
    assert (general.learning_rate, general.epochs) == (1e-5, 1)
    spec, _ = resolve_spec("ppo", "sentiment", "smollm2-135m", 0, {})
    assert (spec.hparams.rm_learning_rate, spec.hparams.rm_epochs) == (real.learning_rate, real.epochs)
