"""The detail leaderboard's ranks and intervals on rows worked by hand: no rank for a configuration read on fewer
seeds than the table's best-read row (or on one), ranks that never go against the mean rewards, and intervals cut at
the range a quantity can take."""

from __future__ import annotations

import math

import pytest
from pobench.reports.leaderboard import LEGEND, build_boards, clip_interval, display_rows, to_markdown

from tests.helpers import record

T_3SEEDS = 4.302653 / math.sqrt(3)  # t_{2,0.975}/√3 = 2.484138: the half-width of 3 readings m − d, m, m + d is this·d


def three(algo: str, mean: float, spread: float, kl=(1.0, 2.0, 3.0), win_rates=(0.5, 0.5, 0.5)) -> list:
    """Seeds 0, 1, 2 of ``algo`` reading mean − spread, mean, mean + spread (sd = spread)."""
    out = []
    for seed, (reward, k, win) in enumerate(zip((mean - spread, mean, mean + spread), kl, win_rates)):
        r = record(algo, seed, reward, k)
        r.metrics["eval/win_rate"] = win
        out.append(r)
    return out


def rows_of(records) -> dict:
    (board,) = build_boards(records)
    return board.rows.set_index("algo")


def test_ranks_never_go_against_the_means():
    """zed 0.9 ± 2.484138·0.01 = (0.875159, 0.924841); ex 0.6 ± 0.024841 = (0.575159, 0.624841): zed's low lies above
    ex's high → ex 2. why 0.5 ± 2.484138·0.2 = ± 0.496828 → (0.003172, 0.996828): no interval lies entirely above
    0.996828, so the marginal rule ranks why 1, above ex's higher mean. Made monotone: why takes the largest rank of
    the rows with a mean at least its own, max(1, 2, 1) = 2."""
    rows = rows_of(three("zed", 0.9, 0.01) + three("ex", 0.6, 0.01) + three("why", 0.5, 0.2))
    assert (rows.loc["ex", "reward_low"], rows.loc["ex", "reward_high"]) == (
        pytest.approx(0.6 - 0.01 * T_3SEEDS, abs=1e-6),
        pytest.approx(0.6 + 0.01 * T_3SEEDS, abs=1e-6),
    )
    assert rows.loc["why", "reward_high"] == pytest.approx(0.996828, abs=1e-6)
    assert (rows.loc["zed", "rank"], rows.loc["ex", "rank"], rows.loc["why", "rank"]) == (1, 2, 2)
    assert list(rows.index) == ["zed", "ex", "why"]  # by rank, that is by mean


def test_a_configuration_not_read_on_every_seed_is_not_ranked():
    """two (mean 0.95 over seeds 0 and 1) and one (0.99 on seed 0) would rank 1 on their means; the table's best-read
    rows have 3 seeds, so neither is ranked, and neither counts against the others: zed 1, ex 2."""
    two = [record("two", 0, 0.94, 1.0), record("two", 1, 0.96, 1.0)]
    one = [record("one", 0, 0.99, 1.0)]
    rows = rows_of(three("zed", 0.9, 0.01) + three("ex", 0.6, 0.01) + two + one)
    assert math.isnan(rows.loc["two", "rank"]) and math.isnan(rows.loc["one", "rank"])
    assert (rows.loc["zed", "rank"], rows.loc["ex", "rank"]) == (1, 2)
    assert list(rows.index) == ["zed", "ex", "one", "two"]  # ranked first, then the others by mean
    shown = {r["algorithm"].split(" ◆")[0]: r["rank"] for r in display_rows(build_boards(two + one)[0].rows)}
    assert shown == {"two": "1", "one": "-"}  # a table whose best-read row has 2 seeds: two ranks, one does not
    (board,) = build_boards(one)
    assert math.isnan(board.rows["rank"].iloc[0])  # one seed everywhere: nothing to rank on


def test_intervals_stay_where_the_quantity_can_be():
    """KL 1, 10, 19: mean 10, sd 9 → 10 ± 2.484138·9 = ± 22.357 → (−12.357, 32.357), cut to (0, 32.357). Win rate
    0.9, 1, 1: mean 0.966667, sd 0.057735 → ± 2.484138·0.057735 = ± 0.143422 → (0.823245, 1.110089), cut to
    (0.823245, 1). Gold reward has no floor: ex's (0.575159, 0.624841) as it is."""
    rows = rows_of(three("ex", 0.6, 0.01, kl=(1.0, 10.0, 19.0), win_rates=(0.9, 1.0, 1.0)))
    assert (rows.loc["ex", "kl_mean"], rows.loc["ex", "kl_low"]) == (pytest.approx(10.0), 0.0)
    assert rows.loc["ex", "kl_high"] == pytest.approx(10 + 9 * T_3SEEDS, abs=1e-5) == pytest.approx(32.357, abs=1e-3)
    assert rows.loc["ex", "win_rate_low"] == pytest.approx(0.823245, abs=1e-6) and rows.loc["ex", "win_rate_high"] == 1
    (row,) = display_rows(rows.reset_index())
    assert row["KL (95% CI)"] == "10.00 (0.00, 32.36)"


def test_clip_interval_by_hand():
    inf = math.inf
    assert clip_interval(10.0, -18.70, 38.70, 0.0, inf) == (10.0, 0.0, 38.70)
    assert clip_interval(0.97, 0.82, 1.11, 0.0, 1.0) == (0.97, 0.82, 1.0)
    assert clip_interval(0.5, 0.4, 0.6, 0.0, 1.0) == (0.5, 0.4, 0.6)  # inside: untouched
    # a KL estimate whose own mean is below 0: the interval is cut at the mean, so it still holds it
    assert clip_interval(-0.01, -0.03, 0.01, 0.0, inf) == (-0.01, -0.01, 0.01)
    mean, low, high = clip_interval(3.0, math.nan, math.nan, 0.0, inf)  # one seed: no interval to cut
    assert mean == 3.0 and math.isnan(low) and math.isnan(high)
    with pytest.raises(ValueError, match="floor must be <= ceiling, got 1.0 and 0.0"):
        clip_interval(0.5, 0.4, 0.6, 1.0, 0.0)


def test_the_legend_says_how_rows_are_ranked_and_cut():
    text = to_markdown(build_boards(three("zed", 0.9, 0.01)))
    assert LEGEND in text
    assert "cut at the range the quantity can take (KL and length ≥ 0, win rate in [0, 1])" in LEGEND
    assert "a lower mean never ranks above a higher one" in LEGEND
    assert "Only rows read on every seed of the table are ranked" in LEGEND
