"""The headline table on records worked by hand: per-seed envelopes read at KL budgets, bootstrap intervals,
ties, "not reached", flagged configurations, the optimal frontier from SFT reference samples, gain fractions."""

from __future__ import annotations

import math

import pytest

from bench.core.record import RunRecord
from bench.reports.frontier import FrontierPoint
from bench.reports.headline import Headline, algorithm_row, build_headline, pooled_reference_rewards, to_markdown


def cell(algo, seed, kl, reward, status="ok", beta=0.1, reference_rewards=None) -> RunRecord:
    metrics = {"eval/kl": kl, "eval/reward": reward} if status == "ok" else {}
    return RunRecord(
        spec={"algo": algo, "seed": seed},
        spec_hash=f"{algo}{seed}{beta}",
        algo=algo,
        hparams={"beta": beta},
        task="sentiment",
        task_version="2",
        model="tiny",
        seed=seed,
        status=status,
        comparability_key="K",
        metrics=metrics,
        reference_rewards=reference_rewards or [],
    )


def records() -> list[RunRecord]:
    return [
        # dpo, two grid points per seed: (KL, reward)
        cell("dpo", 0, 1.0, 0.2, beta=1.0),
        cell("dpo", 0, 4.0, 0.5),
        cell("dpo", 1, 1.0, 0.3, beta=1.0),
        cell("dpo", 1, 4.0, 0.6),
        cell("dpo", 2, 2.0, 0.3, beta=1.0),
        cell("dpo", 2, 8.0, 0.7),
        # ipo, two points per seed, and a third configuration that diverged on seed 1
        cell("ipo", 0, 2.0, 0.10, beta=1.0),
        cell("ipo", 0, 8.0, 0.15),
        cell("ipo", 1, 2.0, 0.12, beta=1.0),
        cell("ipo", 1, 8.0, 0.20),
        cell("ipo", 1, math.nan, math.nan, status="diverged", beta=0.01),
        cell("ipo", 2, 2.0, 0.11, beta=1.0),
        cell("ipo", 2, 8.0, 0.18),
        # kto, one point per seed, exactly at KL 4
        cell("kto", 0, 4.0, 0.55),
        cell("kto", 1, 4.0, 0.52),
        cell("kto", 2, 4.0, 0.58),
        # the SFT baseline: its reward, and its reference samples (2 prompts × 2 samples per seed)
        cell("sft", 0, 0.0, 0.1, reference_rewards=[[0.0, 1.0], [0.5, 0.5]]),
        cell("sft", 1, 0.0, 0.1, reference_rewards=[[1.0, 0.0], [0.5, 0.5]]),
    ]


def test_reward_at_matched_kl_by_hand():
    headline = build_headline(records(), budgets=(1.0, 2.0, 4.0))
    rows = headline.rows.set_index("algo")
    # budget 2: dpo seed 0 reads between (1, 0.2) and (4, 0.5) at t = log(2/1)/log(4/1) = 0.5 → 0.35; seed 1 → 0.45;
    # seed 2 sits on its point (2, 0.3) → mean (0.35 + 0.45 + 0.3)/3 = 0.36667, interval [min, max] = [0.3, 0.45]
    assert rows.loc["dpo", "reward@2"] == pytest.approx(0.366667, abs=1e-6)
    assert (rows.loc["dpo", "low@2"], rows.loc["dpo", "high@2"]) == (pytest.approx(0.3), pytest.approx(0.45))
    # budget 4: 0.5, 0.6 and, for seed 2, halfway in log KL between (2, 0.3) and (8, 0.7) → 0.5; mean 0.53333
    assert rows.loc["dpo", "reward@4"] == pytest.approx(0.533333, abs=1e-6)
    # budget 1: seed 2's grid starts at KL 2, so it is not reached there (never extrapolated)
    assert math.isnan(rows.loc["dpo", "reward@1"]) and rows.loc["dpo", "reached@1"] == 2
    # ipo at 4: 0.10 + 0.05·0.5 = 0.125, 0.12 + 0.08·0.5 = 0.16, 0.11 + 0.07·0.5 = 0.145 → [0.125, 0.16]
    assert (rows.loc["ipo", "low@4"], rows.loc["ipo", "high@4"]) == (pytest.approx(0.125), pytest.approx(0.16))
    # ranks at 4: dpo [0.5, 0.6] and kto [0.52, 0.58] overlap → both 1; ipo lies below both → 3
    assert (rows.loc["dpo", "rank@4"], rows.loc["kto", "rank@4"], rows.loc["ipo", "rank@4"]) == (1, 1, 3)
    # at 2: kto's points are all at KL 4 (below its grid) → unranked; dpo [0.3, 0.45] above ipo [0.10, 0.12]
    assert math.isnan(rows.loc["kto", "rank@2"]) and (rows.loc["dpo", "rank@2"], rows.loc["ipo", "rank@2"]) == (1, 2)
    # the diverged cell is counted and named, not dropped
    assert (rows.loc["ipo", "cells"], rows.loc["ipo", "ok"], rows.loc["ipo", "diverged"]) == (7, 6, 1)
    assert rows.loc["ipo", "flagged"] == "ipo beta=0.01" and rows.loc["dpo", "flagged"] == ""
    assert headline.sft_reward == pytest.approx(0.1)


def test_markdown_shows_ties_not_reached_and_flags():
    text = to_markdown(build_headline(records(), budgets=(1.0, 2.0, 4.0)))
    dpo = next(line for line in text.splitlines() if line.startswith("| dpo"))
    assert "below grid (2/3 seeds read)" in dpo and "+0.533 (+0.500, +0.600)" in dpo and "| =1 " in dpo
    ipo = next(line for line in text.splitlines() if line.startswith("| ipo"))
    assert "6/7 ok, 1 diverged ⚠ ipo beta=0.01" in ipo
    assert "| sft (KL 0)" in text and "optimum π*_β (K=4)" in text


def test_reference_samples_pool_over_seeds():
    sft = [r for r in records() if r.algo == "sft"]
    assert pooled_reference_rewards(sft) == [[0.0, 1.0, 1.0, 0.0], [0.5, 0.5, 0.5, 0.5]]
    headline = build_headline(records())
    assert headline.reference_samples == 4
    # oracle best-of-n from 4 samples per prompt: prompt 0 {0, 0, 1, 1}, n = 2: E[max] = 1 − P(both 0) = 1 − 1/6;
    # prompt 1 always 0.5 → mean (5/6 + 0.5)/2 = 0.66667 at KL bound log 2 − 1/2
    n2 = next(point for point in headline.best_of_n if point[0] == 2)
    assert n2[1] == pytest.approx(math.log(2) - 0.5) and n2[2] == pytest.approx((5 / 6 + 0.5) / 2)
    # with K = 4 the median effective sample size can never reach 16: no point of the optimum is trusted
    assert headline.optimal and not any(p.trusted for p in headline.optimal)


def test_gain_is_the_share_of_the_optimal_gain_where_the_optimum_is_trusted():
    dpo = [r for r in records() if r.algo == "dpo"]
    seeds: dict[int, list] = {}
    for r in dpo:
        seeds.setdefault(r.seed, []).append((r.metrics["eval/kl"], r.metrics["eval/reward"]))
    optimal = [FrontierPoint(1.0, 0.4, 1.0, 100.0, True), FrontierPoint(0.5, 0.8, 4.0, 50.0, True)]
    headline = Headline((2.0, 4.0), None, sft_reward=0.1, optimal=optimal)
    row = algorithm_row("dpo", dpo, seeds, headline)
    # at 4: R* = 0.8, R = 0.53333 → (0.53333 − 0.1)/(0.8 − 0.1) = 0.61905
    assert row["gain@4"] == pytest.approx(0.619048, abs=1e-6)
    # at 2: R* = 0.4 + 0.4·log(2)/log(4) = 0.6, R = 0.36667 → 0.26667/0.5 = 0.53333
    assert row["gain@2"] == pytest.approx(0.533333, abs=1e-6)
    untrusted = Headline((2.0, 4.0), None, 0.1, [FrontierPoint(1.0, 0.4, 1.0, 3.0, False), optimal[1]])
    row = algorithm_row("dpo", dpo, seeds, untrusted)
    assert math.isnan(row["gain@2"])  # a bracketing point has too few effective samples
    assert row["gain@4"] == pytest.approx(0.619048, abs=1e-6)  # KL 4 is the trusted point itself


def test_two_runs_agree_or_their_disagreements_are_named():
    import pandas as pd

    from bench.reports.compare_runs import disagreements

    def table(rows):
        return pd.DataFrame(rows, columns=["algo", "reward@4", "low@4", "high@4"]).set_index("algo")

    a = table([("dpo", 0.50, 0.45, 0.55), ("ipo", 0.20, 0.15, 0.25)])
    b = table([("dpo", 0.52, 0.50, 0.60), ("ipo", 0.22, 0.20, 0.30)])
    assert disagreements(a, b, [4.0]) == []  # both intervals overlap, and dpo stays above ipo
    flipped = table([("dpo", 0.50, 0.45, 0.55), ("ipo", 0.60, 0.58, 0.62)])
    problems = disagreements(a, flipped, [4.0])
    assert "KL 4: run A separates dpo above ipo, the other run has ipo above dpo" in problems
    assert "KL 4, ipo: intervals do not overlap (+0.150, +0.250) vs (+0.580, +0.620)" in problems


def test_a_task_without_gold_reward_has_no_optimum():
    nan = math.nan
    sft = [cell("sft", 0, 0.0, nan, reference_rewards=[[nan, nan]]), cell("dpo", 0, 1.0, nan)]
    headline = build_headline(sft)
    assert headline.optimal == [] and headline.best_of_n == [] and headline.reference_samples == 0
