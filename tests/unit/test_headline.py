"""The headline table on records worked by hand: per-seed envelopes read at KL budgets, Student-t intervals, paired
comparisons and the letters and ranks they give, ties, "not reached", flagged configurations, the optimal frontier
from SFT reference samples, gain fractions."""

from __future__ import annotations

import math

import pytest
from pobench.core.inference import PairedComparison, min_detectable_difference, seeds_needed
from pobench.core.record import RunRecord
from pobench.reports.frontier import FrontierPoint
from pobench.reports.headline import (
    PAIRED_COLUMNS,
    PAIRED_LEGEND,
    Headline,
    algorithm_row,
    build_headline,
    display_rows,
    legend,
    paired_rows,
    pooled_reference_rewards,
    seed_readings,
    to_markdown,
    unadjusted_only,
)
from pytest import approx

from tests.helpers import knob_record


def cell(algo, seed, kl, reward, status="ok", beta=0.1, reference_rewards=None) -> RunRecord:
    metrics = {"eval/kl": kl, "eval/reward": reward} if status == "ok" else {}
    return knob_record(algo, seed, metrics, beta, status, reference_rewards)


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
    # seed 2 sits on its point (2, 0.3) → mean (0.35 + 0.45 + 0.3)/3 = 0.36667; sd² = (0.016667² + 0.083333² +
    # 0.066667²)/2 = 0.0058333, se = 0.0763763/√3 = 0.0440959, t_{2,0.975} = 4.302653 → ± 0.189729
    assert rows.loc["dpo", "reward@2"] == pytest.approx(0.366667, abs=1e-6)
    assert (rows.loc["dpo", "low@2"], rows.loc["dpo", "high@2"]) == (approx6(0.176938), approx6(0.556396))
    # budget 4: 0.5, 0.6 and, for seed 2, halfway in log KL between (2, 0.3) and (8, 0.7) → 0.5; mean 0.53333
    assert rows.loc["dpo", "reward@4"] == pytest.approx(0.533333, abs=1e-6)
    # budget 1: seed 2's grid starts at KL 2, so it is not reached there (never extrapolated)
    assert math.isnan(rows.loc["dpo", "reward@1"]) and rows.loc["dpo", "reached@1"] == 2
    # ipo at 4: 0.10 + 0.05·0.5 = 0.125, 0.12 + 0.08·0.5 = 0.16, 0.11 + 0.07·0.5 = 0.145 → mean 0.143333,
    # sd² = (0.018333² + 0.016667² + 0.001667²)/2 = 0.00030833, se = 0.0175594/√3 = 0.0101379 → ± 0.043620
    assert (rows.loc["ipo", "low@4"], rows.loc["ipo", "high@4"]) == (approx6(0.099713), approx6(0.186953))
    # letters at 4 from paired t-tests (worked in test_paired_comparisons_by_hand), in the order of the means kto
    # 0.55, dpo 0.5333, ipo 0.1433: kto − dpo is not separated (Holm p 0.767), both are from ipo (Holm p 0.00998):
    # {kto, dpo, ipo} splits on (kto, ipo) into {dpo, ipo}, {kto, dpo}, then on (dpo, ipo) {dpo, ipo} into {ipo}
    # and {dpo} (absorbed by {kto, dpo}): a = {kto, dpo}, b = {ipo}. Rank: the first letter's place, 1, 1, 2
    # (the old rank, 1 + the algorithms that beat it, gave ipo 3)
    assert (rows.loc["kto", "group@4"], rows.loc["dpo", "group@4"], rows.loc["ipo", "group@4"]) == ("a", "a", "b")
    assert (rows.loc["dpo", "rank@4"], rows.loc["kto", "rank@4"], rows.loc["ipo", "rank@4"]) == (1, 1, 2)
    # at 2: kto's points are all at KL 4 (below its grid) → unranked; dpo − ipo: D = 0.25, 0.33, 0.19, mean
    # 0.256667, sd 0.0702377, t = 0.256667/(0.0702377/√3) = 6.32937 on 2 df → p = 1 − t/√(t² + 2) = 0.024065 < 0.05
    assert math.isnan(rows.loc["kto", "rank@2"]) and (rows.loc["dpo", "rank@2"], rows.loc["ipo", "rank@2"]) == (1, 2)
    assert (rows.loc["dpo", "group@2"], rows.loc["ipo", "group@2"]) == ("a", "b")
    (at2,) = headline.comparisons[2.0]
    assert (at2.a, at2.b, at2.n, at2.p_holm) == ("dpo", "ipo", 3, approx6(0.024065))
    # the diverged cell is counted and named, not dropped
    assert (rows.loc["ipo", "cells"], rows.loc["ipo", "ok"], rows.loc["ipo", "diverged"]) == (7, 6, 1)
    assert rows.loc["ipo", "flagged"] == "ipo beta=0.01" and rows.loc["dpo", "flagged"] == ""
    assert headline.sft_reward == pytest.approx(0.1)


def approx6(x: float):
    return pytest.approx(x, abs=1e-6)


def test_paired_comparisons_by_hand():
    headline = build_headline(records(), budgets=(1.0, 2.0, 4.0))
    # the per-seed readings at 4, algorithms best first there (kto 0.55, dpo 0.5333, ipo 0.1433)
    assert list(headline.readings[4.0]) == ["kto", "dpo", "ipo"]
    assert headline.readings[4.0]["dpo"] == {0: 0.5, 1: 0.6, 2: approx6(0.5)}
    assert headline.readings[2.0]["kto"] == {} and headline.readings[1.0]["dpo"] == {0: 0.2, 1: 0.3}
    kd, ki, di = headline.comparisons[4.0]
    assert [(c.a, c.b, c.n) for c in (kd, ki, di)] == [("kto", "dpo", 3), ("kto", "ipo", 3), ("dpo", "ipo", 3)]
    # kto − dpo: D = 0.05, −0.08, 0.08, mean 0.016667, sd 0.0850490, t = 0.3394 → p 0.7666; kto wins 2 of 3
    assert (kd.mean, kd.sd, kd.wins_a, kd.wins_b) == (approx6(0.016667), approx6(0.085049), 2, 1)
    assert kd.p == approx(0.7666, abs=1e-4)
    # kto − ipo: D = 0.425, 0.36, 0.435, mean 0.406667, sd 0.0407226, t = 17.2967 → p = 1 − t/√(t² + 2) = 0.003326
    # dpo − ipo: D = 0.375, 0.44, 0.355, mean 0.39, sd 0.0444410, t = 15.2000 → p = 1 − 15.2/√233.04 = 0.004300
    assert (ki.p, di.p) == (approx6(0.003326), approx6(0.004300))
    # dpo − ipo interval: 0.39 ± 4.302653·0.0444410/√3 = ± 0.110398
    assert (di.low, di.high) == (approx6(0.279602), approx6(0.500397))
    # Holm over the 3: 3·0.003326 = 0.009977; 2·0.004300 = 0.008601 → raised to 0.009977; 1·0.7666
    assert (ki.p_holm, di.p_holm, kd.p_holm) == (approx6(0.009977), approx6(0.009977), approx(0.7666, abs=1e-4))
    # power at 4: the median of sd(D) 0.085049, 0.040723, 0.044441 is 0.044441; its MDD over 3 seeds is 0.1451
    # (the approximation (t_{2,0.975} + t_{2,0.8})·sd/√3 = (4.302653 + 1.060660)·0.025658 = 0.1376 is 5% short)
    power = headline.power[4.0]
    assert (power["pairs"], power["seeds"], power["median_sd"]) == (3, 3, approx6(0.044441))
    assert power["needed"] == seeds_needed(power["median_sd"], 0.03)
    assert power["mdd"] == approx(min_detectable_difference(power["median_sd"], 3)) == approx(0.1451, abs=1e-4)
    assert headline.comparisons[1.0] == [] and math.isnan(headline.power[1.0]["mdd"])


def test_paired_comparisons_use_the_seeds_both_read():
    # cpo reads 0.1, 0.15, 0.12 at KL 1 on all three seeds; dpo only on seeds 0 and 1 (0.2, 0.3): the pair uses
    # seeds 0 and 1, D = 0.1, 0.15, mean 0.125, sd 0.0353553, se 0.025, t = 5 on 1 df → p = 1 − (2/π)·atan(5)
    # = 0.125666; interval 0.125 ± 12.706205·0.025 = ± 0.317655. dpo has no mean at 1: unranked; cpo ranks 1.
    extra = [cell("cpo", 0, 1.0, 0.1), cell("cpo", 1, 1.0, 0.15), cell("cpo", 2, 1.0, 0.12)]
    headline = build_headline(records() + extra, budgets=(1.0,))
    (c,) = headline.comparisons[1.0]
    assert (c.a, c.b, c.n, c.mean, c.p) == ("cpo", "dpo", 2, approx6(-0.125), approx6(0.125666))
    assert (c.low, c.high) == (approx6(-0.442655), approx6(0.192655)) and (c.wins_a, c.wins_b) == (0, 2)
    rows = headline.rows.set_index("algo")
    assert rows.loc["cpo", "rank@1"] == 1 and math.isnan(rows.loc["dpo", "rank@1"])


def test_markdown_shows_ties_not_reached_and_flags():
    headline = build_headline(records(), budgets=(1.0, 2.0, 4.0))
    text = to_markdown(headline)
    dpo = next(line for line in text.splitlines() if line.startswith("| dpo"))
    assert "| a       | +0.533 (+0.390, +0.677)" in dpo  # 0.533333 ± 4.302653·0.057735/√3 = ± 0.143422
    kto = next(line for line in text.splitlines() if line.startswith("| kto"))
    assert "| a       | +0.550 (+0.475, +0.625)" in kto  # kto and dpo share a: a tie the tests do not separate
    assert "below grid (2/3 seeds read)" in dpo
    ipo = next(line for line in text.splitlines() if line.startswith("| ipo"))
    assert "6/7 ok, 1 diverged ⚠ ipo beta=0.01" in ipo
    assert "| sft (KL 0)" in text and "optimum π*_β (K=4)" in text
    # the intervals of the means are Student-t; the only bootstrap is P(a > b)'s, in the paired tables below
    assert "Student-t" in legend(headline) and "bootstrap" not in legend(headline)
    assert text.index("bootstrap") > text.index("**Paired comparisons at KL 2**")


def test_markdown_shows_the_paired_comparisons():
    text = to_markdown(build_headline(records(), budgets=(1.0, 2.0, 4.0)))
    assert "**Paired comparisons at KL 1**" not in text  # no pair shares two seeds there
    at4 = text[text.index("**Paired comparisons at KL 4**") :]
    # the numbers of test_paired_comparisons_by_hand, rounded; ✓ where Holm p < 0.05. P(kto > dpo): 0.55 and 0.52
    # and 0.58 each beat dpo's 0.5 and 0.5 but not its 0.6 → 6/9 = 0.67; every ipo reading is below dpo's → 1.00
    # with every resample 1.00 too
    assert "| pair      | mean difference (95% CI, unadjusted) | Holm p | wins    | P(a > b) (95% CI) |" in at4
    assert "| kto − dpo | +0.017 (-0.195, +0.228)              | 0.767  | kto 2/3 | 0.67 (0.00, 1.00) |      " in at4
    assert "| dpo − ipo | +0.390 (+0.280, +0.500)              | 0.010  | dpo 3/3 | 1.00 (1.00, 1.00) | ✓    " in at4
    assert "Power at KL 4: over 3 pairs, the median standard deviation of the per-seed differences is 0.044" in at4
    assert "detects a true difference of 0.145 with 80% power" in at4
    assert "| dpo − ipo | +0.257 (+0.082, +0.431)              | 0.024  | dpo 3/3 | 1.00 (1.00, 1.00) | ✓ " in text


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
    readings = {k: seed_readings(seeds, k) for k in (2.0, 4.0)}
    row = algorithm_row("dpo", dpo, seeds, headline, readings)
    # at 4: R* = 0.8, R = 0.53333 → (0.53333 − 0.1)/(0.8 − 0.1) = 0.61905
    assert row["gain@4"] == pytest.approx(0.619048, abs=1e-6)
    # at 2: R* = 0.4 + 0.4·log(2)/log(4) = 0.6, R = 0.36667 → 0.26667/0.5 = 0.53333
    assert row["gain@2"] == pytest.approx(0.533333, abs=1e-6)
    untrusted = Headline((2.0, 4.0), None, 0.1, [FrontierPoint(1.0, 0.4, 1.0, 3.0, False), optimal[1]])
    row = algorithm_row("dpo", dpo, seeds, untrusted, readings)
    assert math.isnan(row["gain@2"])  # a bracketing point has too few effective samples
    assert row["gain@4"] == pytest.approx(0.619048, abs=1e-6)  # KL 4 is the trusted point itself


def test_a_task_without_gold_reward_has_no_optimum():
    nan = math.nan
    sft = [cell("sft", 0, 0.0, nan, reference_rewards=[[nan, nan]]), cell("dpo", 0, 1.0, nan)]
    headline = build_headline(sft)
    assert headline.optimal == [] and headline.best_of_n == [] and headline.reference_samples == 0


def test_compare_names_the_budgets_read_in_one_run_only():
    """kto is read on 3/3 seeds in A and 2/3 in B: listed as a reading gap, not as a disagreement."""
    import pandas as pd
    from pobench.reports.compare import reading_gaps

    def run(kto_reached):
        h = Headline((4.0,), pd.DataFrame(), math.nan)
        h.rows = pd.DataFrame({"algo": ["dpo", "kto"], "seeds": [3, 3], "reached@4": [3, kto_reached]})
        return h

    assert reading_gaps(run(3), run(3)) == []
    assert reading_gaps(run(3), run(2)) == ["KL 4, kto: read on every seed in one run only (run A 3/3, run B 2/3)"]


def test_the_page_shows_the_paired_tables_under_the_headline():
    """The HTML page carries each budget's paired table and power line, as the markdown does (KL 4 here: three
    pairs; KL 2: dpo − ipo alone)."""
    from types import SimpleNamespace

    from pobench.reports.html_page import headline_html

    page = headline_html(SimpleNamespace(headline=build_headline(records(), (1.0, 2.0, 4.0)), key="K1"))
    assert page.count('<table class="headline"') == 1 and page.count('<table class="paired"') == 2
    assert "<h4>Paired comparisons at KL 4</h4>" in page and "Power at KL 4: over 3 pairs" in page
    assert "<td>kto − ipo</td>" in page and "<td>✓</td>" in page


def test_records_without_proxies_keep_the_headline_and_show_dashes_beside_it():
    # the records above predate the proxy and compute metrics: the headline reads as before, and the proxy table
    # below it lists every algorithm with "-" (the Gao fits of gold need two points on two seeds: dpo and ipo)
    headline = build_headline(records(), budgets=(1.0, 2.0, 4.0))
    text = to_markdown(headline)
    assert text.index("**Proxy and cost at matched KL**") < text.index("**Gao et al. (2023) fits: a reading aid**")
    assert text.index("**Gao et al. (2023) fits: a reading aid**") < text.index("**Paired comparisons at KL 2**")
    proxy = text[text.index("**Proxy and cost at matched KL**") : text.index("**Gao et al.")]
    header = next(line for line in proxy.splitlines() if line.startswith("| algorithm"))
    assert [c.strip() for c in header.strip("|").split("|")] == [
        "algorithm", "proxy @1 (95% CI)", "gap @1 (95% CI)", "train FLOPs @1", "proxy @2 (95% CI)",
        "gap @2 (95% CI)", "train FLOPs @2", "proxy @4 (95% CI)", "gap @4 (95% CI)", "train FLOPs @4",
        "gold falls, proxy rises (KL)"]  # fmt: skip
    for algo in ("kto", "dpo", "ipo"):
        line = next(line for line in proxy.splitlines() if line.startswith(f"| {algo} "))
        assert set(c.strip() for c in line.strip("|").split("|")[1:]) == {"-"}, line
    rows = headline.rows.set_index("algo")
    assert rows.loc["dpo", "gao_seeds"] == 3 and rows.loc["kto", "gao_seeds"] == 0  # kto: one point per seed
    assert math.isnan(rows.loc["kto", "gao_alpha"]) and math.isfinite(rows.loc["dpo", "gao_alpha"])


def cells_at_one(readings: dict[str, dict[int, float]]) -> list[RunRecord]:
    """One cell per algorithm and seed at exactly KL 1: its reading at budget 1 is its reward there."""
    return [cell(algo, seed, 1.0, reward) for algo, seeds in readings.items() for seed, reward in seeds.items()]


def test_ranks_follow_the_means_where_a_noisy_algorithm_outranked_a_better_one():
    """The readings of test_letter_ranks_follow_the_means_where_the_old_ranks_did_not (tests/unit/test_inference.py):
    ppo 0.6, 0.7, 0.8 (mean 0.7); cpo 0.5, 0.61, 0.69 (mean 0.6, always 0.09–0.11 below ppo: Holm p 0.00995);
    dpo 0.2, 0.95, 0.55 (mean 0.566667, noisy: Holm p 1 against both). The old rank (1 + the algorithms that beat
    it) gave dpo 1 and cpo 2; the letters give ppo "a", cpo "b", dpo "ab" and the ranks 1, 2, 2."""
    readings = {"dpo": {0: 0.2, 1: 0.95, 2: 0.55}, "cpo": {0: 0.5, 1: 0.61, 2: 0.69}, "ppo": {0: 0.6, 1: 0.7, 2: 0.8}}
    headline = build_headline(cells_at_one(readings), budgets=(1.0,))
    rows = headline.rows
    assert list(rows["algo"]) == ["ppo", "cpo", "dpo"]  # ordered by mean
    assert list(rows["reward@1"]) == [approx6(0.7), approx6(0.6), approx6(0.566667)]
    assert list(rows["group@1"]) == ["a", "b", "ab"] and list(rows["rank@1"]) == [1, 2, 2]
    assert list(rows["rank@1"]) == sorted(rows["rank@1"])  # monotone in the means
    assert [(c.a, c.b, c.winner()) for c in headline.comparisons[1.0]] == [
        ("ppo", "cpo", "ppo"), ("ppo", "dpo", None), ("cpo", "dpo", None)]  # fmt: skip
    assert [r["rank @1"] for r in display_rows(headline)[:3]] == ["a", "b", "ab"]
    text = legend(headline)
    assert "share a letter are not separated" in text and "Rows are ordered by the mean at KL 1" in text


def test_an_algorithm_not_read_on_every_seed_gets_no_letters():
    # cpo has no reading on seed 2 (no cell there): no mean at 1, so no letters and no rank, shown "-"
    readings = {"ppo": {0: 0.6, 1: 0.7, 2: 0.8}, "dpo": {0: 0.2, 1: 0.95, 2: 0.55}}
    extra = [cell("cpo", 0, 1.0, 0.5), cell("cpo", 1, 1.0, 0.61), cell("cpo", 2, 8.0, 0.69)]
    headline = build_headline(cells_at_one(readings) + extra, budgets=(1.0,))
    rows = headline.rows.set_index("algo")
    assert math.isnan(rows.loc["cpo", "rank@1"]) and not isinstance(rows.loc["cpo", "group@1"], str)
    assert (rows.loc["ppo", "group@1"], rows.loc["dpo", "group@1"]) == ("a", "a")
    shown = {r["algorithm"]: r["rank @1"] for r in display_rows(headline)}
    assert (shown["ppo"], shown["dpo"], shown["cpo"]) == ("a", "a", "-")


def comparison(a, b, mean, low, high, p_holm, prob=(0.75, 0.5, 1.0)) -> PairedComparison:
    return PairedComparison(a, b, 5, mean, 0.05, low, high, p_holm / 3, p_holm, 4, 1, 0, *prob)


def test_a_pair_only_the_unadjusted_interval_separates_is_marked():
    """cpo − simpo +0.071 (+0.013, +0.129): the interval excludes 0 (its own p < 0.05) but the Holm p 0.543 does not
    separate the pair → "°", no ✓. dpo − ipo: both separate → ✓, no mark. kto − dpo (−0.02, +0.06): neither."""
    marked = comparison("cpo", "simpo", 0.071, 0.013, 0.129, 0.543)
    both = comparison("dpo", "ipo", 0.39, 0.28, 0.50, 0.01, (1.0, 1.0, 1.0))
    neither = comparison("kto", "dpo", 0.02, -0.02, 0.06, 0.767, (math.nan,) * 3)
    below = comparison("orpo", "ppo", -0.08, -0.13, -0.03, 0.2)  # below 0, not separated by Holm: marked
    assert [unadjusted_only(c) for c in (marked, both, neither, below)] == [True, False, False, True]
    rows = paired_rows([marked, both, neither, below])
    assert rows[0] == ["cpo − simpo", "+0.071 (+0.013, +0.129)°", "0.543", "cpo 4/5", "0.75 (0.50, 1.00)", ""]
    assert rows[1] == ["dpo − ipo", "+0.390 (+0.280, +0.500)", "0.010", "dpo 4/5", "1.00 (1.00, 1.00)", "✓"]
    assert rows[2] == ["kto − dpo", "+0.020 (-0.020, +0.060)", "0.767", "kto 4/5", "-", ""]
    assert rows[3][1] == "-0.080 (-0.130, -0.030)°"
    assert PAIRED_COLUMNS[1] == "mean difference (95% CI, unadjusted)" and PAIRED_COLUMNS[4] == "P(a > b) (95% CI)"
    assert "° marks an unadjusted interval that excludes 0 for a pair the Holm test does not separate" in PAIRED_LEGEND


def _trajectory_cell(seed: int, points: list[tuple[float, float]], beta: float) -> RunRecord:
    """A DPO cell scored along training: its end is its last point."""
    kl, reward = points[-1]
    cell = knob_record("dpo", seed, {"eval/reward": reward, "eval/kl": kl}, beta=beta)
    cell.trajectory = [{"step": 10 * (i + 1), "kl": k, "reward": r} for i, (k, r) in enumerate(points)]
    return cell


def test_the_headline_reads_along_trajectories_and_keeps_the_end_of_training_reading():
    """Seed 0 (SFT 0.1): cell A goes (0.5, 0.3) → (2, 0.2) and crosses 1 nat at t = ln 2/ln 4 = 0.5: 0.25; cell B
    stops at (0.8, 0.35), short of 1 nat, and that end is within the budget: the seed reads max(0.25, 0.35) = 0.35.
    The end points alone, (2, 0.2) and (0.8, 0.35), read 0.35 too (past the envelope, a point reaches 1): early
    stopping buys 0 there. Seed 1 (SFT 0.1): one cell, (0.5, 0.3) → (4, 0.1). At 1 nat, t = ln 2/ln 8 = 1/3:
    0.3 − 0.2/3 = 0.233333; its end point alone lies above 1 nat: unread. At 0.25 nats, from the start (KL 0
    floored at 0.001): t = ln 250/ln 500 = 0.888466, 0.1 + 0.2·0.888466 = 0.277693."""
    sft = [knob_record("sft", s, {"eval/reward": 0.1, "eval/kl": 0.0}) for s in (0, 1)]
    cells = [
        _trajectory_cell(0, [(0.5, 0.3), (2.0, 0.2)], 0.1),
        _trajectory_cell(0, [(0.2, 0.15), (0.8, 0.35)], 1.0),
        _trajectory_cell(1, [(0.5, 0.3), (4.0, 0.1)], 0.1),
    ]
    headline = build_headline([*sft, *cells], budgets=(0.25, 1.0))
    assert headline.readings[1.0]["dpo"] == {0: approx(0.35), 1: approx(0.233333, abs=1e-6)}
    assert headline.readings[0.25]["dpo"][1] == approx(0.277693, abs=1e-6)
    row = headline.rows.iloc[0]
    assert row["end@1"] == approx(0.35) and row["end_reached@1"] == 1  # seed 1's end alone does not read 1 nat
    assert row["early@1"] == approx(0.0)  # over the one seed both rules read
    assert row["reward@1"] == approx((0.35 + 0.233333) / 2, abs=1e-6)


def test_a_seed_whose_runs_all_stop_short_is_unread_along_training():
    sft = [knob_record("sft", 0, {"eval/reward": 0.1, "eval/kl": 0.0})]
    headline = build_headline([*sft, _trajectory_cell(0, [(0.2, 0.15), (0.8, 0.35)], 1.0)], budgets=(1.0,))
    row = headline.rows.iloc[0]
    assert math.isnan(row["reward@1"]) and row["why@1"] == "not reached along training"
