"""The calibrated proxy read along the headline's frontier, the gap to gold, where gold stops rising while the
proxy still rises, and older records without a proxy: numbers worked by hand (bench/reports/proxy.py)."""

from __future__ import annotations

import math

import pytest
from pobench.core.record import RunRecord
from pobench.reports.frontier import reward_within
from pobench.reports.headline import build_headline, to_markdown
from pobench.reports.proxy import (
    configuration_means,
    flops_within,
    gold_within,
    overoptimization,
    proxy_within,
)

from tests.helpers import knob_record


def cell(algo, seed, kl, gold, proxy=None, flops=None, beta=0.1, status="ok") -> RunRecord:
    metrics = {"eval/kl": kl, "eval/reward": gold} if status == "ok" else {}
    if proxy is not None:
        metrics.update({"eval/proxy_reward": proxy, "eval/proxy_gap": proxy - gold})
    if flops is not None:
        metrics["perf/train_flops"] = flops
    return knob_record(algo, seed, metrics, beta, status)


def records() -> list[RunRecord]:
    return [
        # seed 0: two envelope points
        cell("dpo", 0, 1.0, 0.2, proxy=0.3, flops=1e12, beta=1.0),
        cell("dpo", 0, 4.0, 0.5, proxy=0.9, flops=4e12, beta=0.1),
        # seed 1: the same KLs, and two cells below the envelope whose proxies must never be read
        cell("dpo", 1, 1.0, 0.3, proxy=0.3, flops=1e12, beta=1.0),
        cell("dpo", 1, 2.0, 0.25, proxy=5.0, flops=9e12, beta=0.5),
        cell("dpo", 1, 4.0, 0.6, proxy=0.7, flops=4e12, beta=0.1),
        cell("dpo", 1, 10.0, 0.55, proxy=1.2, flops=1e13, beta=0.01),
        # seed 2: its grid starts at KL 2
        cell("dpo", 2, 2.0, 0.3, proxy=0.4, flops=2e12, beta=1.0),
        cell("dpo", 2, 8.0, 0.7, proxy=1.0, flops=8e12, beta=0.1),
    ]


def seed_cells(seed: int):
    return [
        (r.metrics["eval/kl"], r.metrics["eval/reward"], r.metrics["eval/proxy_reward"], r.metrics["perf/train_flops"])
        for r in records()
        if r.seed == seed
    ]


def test_the_proxy_is_read_on_the_cells_that_give_the_gold_reading():
    s0, s1, s2 = seed_cells(0), seed_cells(1), seed_cells(2)
    # KL 2 on seed 0: between (1, 0.2) and (4, 0.5) at t = log(2/1)/log(4/1) = 0.5 → gold 0.35; the proxy with the
    # same t between 0.3 and 0.9 → 0.6; the compute in log FLOPs: √(1e12·4e12) = 2e12
    assert (gold_within(s0, 2.0), proxy_within(s0, 2.0)) == (pytest.approx(0.35), pytest.approx(0.6))
    assert flops_within(s0, 2.0) == pytest.approx(2e12)
    # seed 1 at KL 2: the cell at (2, 0.25) lies below the envelope (0.3 at KL 1 already): its proxy 5.0 is not
    # read; gold 0.3 + 0.3·0.5 = 0.45, proxy 0.3 + 0.4·0.5 = 0.5
    assert (gold_within(s1, 2.0), proxy_within(s1, 2.0)) == (pytest.approx(0.45), pytest.approx(0.5))
    # seed 1 at KL 6: past its envelope's last point (4, 0.6), and the grid reaches 6 (the dominated cell at KL 10):
    # gold reads 0.6, and the proxy and compute are those of the cell at KL 4 (0.7, 4e12), not the one at 10
    assert (gold_within(s1, 6.0), proxy_within(s1, 6.0), flops_within(s1, 6.0)) == (0.6, 0.7, 4e12)
    # seed 2 at KL 2 sits on its first point; at 4 halfway in log KL between (2, 0.3, 0.4) and (8, 0.7, 1.0)
    assert (proxy_within(s2, 2.0), proxy_within(s2, 4.0)) == (pytest.approx(0.4), pytest.approx(0.7))
    assert flops_within(s2, 4.0) == pytest.approx(4e12)  # √(2e12·8e12)
    # never extrapolated: below seed 2's grid and past seed 0's, nothing is read
    assert math.isnan(proxy_within(s2, 1.0)) and math.isnan(proxy_within(s0, 6.0))
    for cells in (s0, s1, s2):  # the gold reading is the headline's, at every budget
        for k in (0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0):
            expected = reward_within([(c[0], c[1]) for c in cells], k)
            assert gold_within(cells, k) == pytest.approx(expected, nan_ok=True)


def test_proxy_and_gap_over_seeds_by_hand():
    row = build_headline(records(), budgets=(2.0, 4.0)).rows.set_index("algo").loc["dpo"]
    # KL 2: proxies 0.6, 0.5, 0.4 → mean 0.5, sd 0.1, ± t_{2,0.975}·0.1/√3 = 4.302653·0.057735 = 0.248414
    assert (row["proxy@2"], row["proxy_low@2"], row["proxy_high@2"]) == (approx6(0.5), approx6(0.251586),
                                                                        approx6(0.748414))  # fmt: skip
    # gaps, paired within a seed: 0.6 − 0.35 = 0.25, 0.5 − 0.45 = 0.05, 0.4 − 0.3 = 0.1 → mean 0.133333;
    # sd² = (0.116667² + 0.083333² + 0.033333²)/2 = 0.0108333, sd 0.104083, ± 4.302653·0.104083/√3 = 0.258557
    assert (row["gap@2"], row["gap_low@2"], row["gap_high@2"]) == (approx6(0.133333), approx6(-0.125224),
                                                                  approx6(0.391891))  # fmt: skip
    assert row["gap@2"] == pytest.approx(row["proxy@2"] - row["reward@2"])  # the mean of differences: paired
    # KL 4: proxies 0.9, 0.7, 0.7 → 0.766667; gaps 0.9 − 0.5, 0.7 − 0.6, 0.7 − 0.5 → 0.4, 0.1, 0.2 → 0.233333
    assert (row["proxy@4"], row["gap@4"]) == (approx6(0.766667), approx6(0.233333))
    assert (row["proxy_low@4"], row["proxy_high@4"]) == (approx6(0.479823), approx6(1.053510))
    # compute: 2e12 on every seed at KL 2; 4e12 on every seed at KL 4 (seed 2: √(2e12·8e12))
    assert (row["flops@2"], row["flops@4"]) == (pytest.approx(2e12), pytest.approx(4e12))


def test_a_seed_without_a_proxy_leaves_no_mean_and_old_records_show_dashes():
    mixed = records()
    del mixed[6].metrics["eval/proxy_reward"]  # seed 2's first cell: an older record
    row = build_headline(mixed, budgets=(2.0, 4.0)).rows.set_index("algo").loc["dpo"]
    assert math.isnan(row["proxy@2"]) and math.isnan(row["gap@2"])  # seed 2 is read at 2 on that cell
    # at 4 seed 2's reading rests on both of its cells, the one without a proxy too: no mean either
    assert math.isnan(row["proxy@4"]) and row["reward@4"] == pytest.approx(0.533333, abs=1e-6)
    assert row["flops@4"] == pytest.approx(4e12)  # its compute was recorded: the cost is still read
    old = [cell(r.algo, r.seed, r.metrics["eval/kl"], r.metrics["eval/reward"], beta=r.hparams["beta"])
           for r in records()]  # fmt: skip
    headline = build_headline(old, budgets=(2.0, 4.0))
    frame = headline.rows.set_index("algo")
    assert frame.loc["dpo", "reward@2"] == pytest.approx(0.366667, abs=1e-6)  # gold is read as before
    for column in ("proxy@2", "gap@2", "flops@2", "proxy@4", "overopt_kl", "gao_proxy_alpha"):
        assert math.isnan(frame.loc["dpo", column]), column
    text = to_markdown(headline)
    table = text[text.index("**Proxy and cost at matched KL**") :]
    dpo = next(line for line in table.splitlines() if line.startswith("| dpo"))
    assert [c.strip() for c in dpo.strip("|").split("|")][1:] == ["-"] * 7


def test_gold_stops_rising_while_the_proxy_still_rises():
    # by hand, over configurations ordered by KL: gold 0.2, 0.4, 0.35, 0.3 and proxy 0.3, 0.5, 0.7, 0.9: the step
    # from KL 2 to 4 is the first where gold falls (0.4 → 0.35) while the proxy rises (0.5 → 0.7)
    assert overoptimization([(4.0, 0.35, 0.7), (1.0, 0.2, 0.3), (2.0, 0.4, 0.5), (8.0, 0.3, 0.9)]) == (2.0, 4.0)
    # gold falls where the proxy falls too: no hacking, the reward model saw it; gold rising throughout: none
    assert overoptimization([(1.0, 0.2, 0.3), (2.0, 0.4, 0.5), (4.0, 0.35, 0.45)]) is None
    assert overoptimization([(1.0, 0.2, 0.3), (2.0, 0.4, 0.2), (4.0, 0.5, 0.6)]) is None
    assert overoptimization([]) is None


def grid(second_seed_gold_at_4: float) -> list[RunRecord]:
    """Two seeds, four configurations: (KL, gold, proxy) per seed."""
    rows = [  # beta, seed 0, seed 1
        (1.0, (0.9, 0.2, 0.25), (1.1, 0.2, 0.35)),
        (0.5, (2.0, 0.4, 0.5), (2.0, 0.4, 0.5)),
        (0.2, (4.0, 0.35, 0.7), (4.0, second_seed_gold_at_4, 0.7)),
        (0.1, (8.0, 0.3, 0.9), (8.0, 0.3, 0.9)),
    ]
    return [cell("ppo", s, *point[:2], proxy=point[2], beta=beta) for beta, *points in rows
            for s, point in enumerate(points)]  # fmt: skip


def test_the_turn_is_judged_on_the_configurations_means_over_seeds():
    # seed 1 reads 0.35 at KL 4 too: means 0.2, 0.4, 0.35, 0.3 (KL 1.0, 2, 4, 8; proxy 0.3, 0.5, 0.7, 0.9) → 2 → 4
    assert configuration_means(grid(0.35))[0] == (pytest.approx(1.0), pytest.approx(0.2), pytest.approx(0.3))
    row = build_headline(grid(0.35), budgets=(2.0,)).rows.iloc[0]
    assert (row["overopt_kl"], row["overopt_next_kl"], row["overopt_configs"]) == (2.0, 4.0, 4.0)
    # seed 1 reads 0.5 at KL 4: the mean there is (0.35 + 0.5)/2 = 0.425 > 0.4: gold still rises at 4; from 4 to 8
    # it falls (0.425 → 0.3) while the proxy rises (0.7 → 0.9): the turn moves to 4 → 8
    row = build_headline(grid(0.5), budgets=(2.0,)).rows.iloc[0]
    assert (row["overopt_kl"], row["overopt_next_kl"]) == (4.0, 8.0)
    text = to_markdown(build_headline(grid(0.5), budgets=(2.0,)))
    assert "4.00 → 8.00" in text
    # gold rising throughout, proxy too: not in the grid
    rising = [cell("ppo", 0, kl, 0.1 * kl, proxy=0.2 * kl, beta=1 / kl) for kl in (1.0, 2.0, 4.0)]
    headline = build_headline(rising, budgets=(2.0,))
    assert math.isnan(headline.rows.iloc[0]["overopt_kl"]) and headline.rows.iloc[0]["overopt_configs"] == 3
    assert "not in grid" in to_markdown(headline)


def approx6(x: float):
    return pytest.approx(x, abs=1e-6)


def along(seed, points, flops=8e12, algo="dpo", beta=0.1, proxy_end=None) -> RunRecord:
    """A cell scored along training: ``points`` are (step, KL, gold, proxy); the end is the last point."""
    step, kl, gold, proxy = points[-1]
    r = cell(algo, seed, kl, gold, proxy=proxy if proxy_end is None else proxy_end, flops=flops, beta=beta)
    r.trajectory = [
        {"step": s, "kl": k, "reward": g, "proxy_reward": p, "truncation_rate": 0.0} for s, k, g, p in points
    ]
    return r


def test_along_training_the_proxy_and_compute_are_read_where_the_gold_is():
    sft = [knob_record("sft", s, {"eval/kl": 0.0, "eval/reward": 0.1, "eval/proxy_reward": 0.12}) for s in (0, 1)]
    records = [
        *sft,
        # seed 0: one run of 8 steps through (KL 0.5 at step 2, 2 at step 4, 8 at step 8), 8e12 FLOPs in all
        along(0, [(2, 0.5, 0.2, 0.3), (4, 2.0, 0.4, 0.6), (8, 8.0, 0.5, 1.4)]),
        # seed 1: a run that stops at KL 0.5 and one that reaches 4 at its end (gold 0.6, proxy 0.9)
        along(1, [(4, 0.25, 0.15, 0.2), (8, 0.5, 0.3, 0.35)], beta=1.0),
        along(1, [(4, 1.0, 0.2, 0.3), (8, 4.0, 0.6, 0.9)], flops=4e12, beta=0.01),
    ]
    row = build_headline(records, budgets=(1.0, 4.0)).rows.set_index("algo").loc["dpo"]
    # seed 0 at KL 1: between step 2 (0.5) and step 4 (2) at t = log(1/0.5)/log(2/0.5) = 0.5 → gold 0.3, proxy
    # 0.3 + 0.3·0.5 = 0.45, compute 2e12 + (4e12 − 2e12)·0.5 = 3e12 (8e12 × step/8 at each checkpoint)
    # seed 1 at KL 1: the first run ends at 0.5 (within: gold 0.3), the second sits on 1 at step 4 (gold 0.2): the
    # better is the first's end, proxy 0.35, compute its 8e12
    assert row["reward@1"] == pytest.approx((0.3 + 0.3) / 2)
    assert row["proxy@1"] == pytest.approx((0.45 + 0.35) / 2) and row["flops@1"] == pytest.approx((3e12 + 8e12) / 2)
    assert row["gap@1"] == pytest.approx(((0.45 - 0.3) + (0.35 - 0.3)) / 2)
    # seed 0 at KL 4: between step 4 (2) and step 8 (8) at t = log(2)/log(4) = 0.5 → gold 0.45, proxy 1.0, 6e12;
    # seed 1 at KL 4: the second run's end (gold 0.6, proxy 0.9, 4e12)
    assert (row["proxy@4"], row["flops@4"]) == (pytest.approx((1.0 + 0.9) / 2), pytest.approx((6e12 + 4e12) / 2))
    # from the start (the SFT cell: KL 0 read as KL_FLOOR 0.001, gold 0.1, proxy 0.12, 0 FLOPs), at KL 0.25:
    # seed 0 between the start and step 2 (KL 0.5) at t = log(250)/log(500) = 0.888465: gold 0.188846, proxy
    # 0.12 + 0.18·t = 0.279924, compute 2e12·t = 1.776930e12; seed 1: the first run sits on 0.25 at step 4 (gold
    # 0.15), the second crosses it before step 4 at t = log(250)/log(1000) = 0.799313 (gold 0.179931, better):
    # proxy 0.263876, compute 2e12·t = 1.598627e12 (4e12 × 4/8 at step 4)
    row = build_headline(records, budgets=(0.25,)).rows.set_index("algo").loc["dpo"]
    assert row["reward@0.25"] == approx6(0.184389)
    assert row["gap@0.25"] == approx6(((0.279924 - 0.188846) + (0.263876 - 0.179931)) / 2)
    assert row["flops@0.25"] == pytest.approx(1.687778e12, rel=1e-6)
