"""The variance split, the power table and the replication coverage of `pobench noise`, by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pobench.core.inference import PairedComparison, min_detectable_difference, seeds_needed
from pobench.reports.headline import Headline, power_summary
from pobench.reports.noise import coverage_rows, eval_share_rows, power_rows, split_variance

from tests.helpers import record


def test_split_variance_by_hand():
    """seeds: readings 0.1, 0.2, 0.3 → Var 0.01; trains: 0.15, 0.2, 0.25 → Var 0.0025; every se 0.03 → σ²_eval
    0.0009; so σ²_train = 0.0025 − 0.0009 = 0.0016 and σ²_data = 0.01 − 0.0025 = 0.0075."""
    split = split_variance([(0.1, 0.03), (0.2, 0.03), (0.3, 0.03)], [(0.15, 0.03), (0.2, 0.03), (0.25, 0.03)])
    assert split.total_var == pytest.approx(0.01)
    assert split.eval_var == pytest.approx(0.0009)
    assert split.train_var == pytest.approx(0.0016)
    assert split.data_var == pytest.approx(0.0075)
    assert split.share(split.data_var) == pytest.approx(0.75) and split.clipped == ()


def test_split_variance_clips_a_negative_component_and_says_so():
    """trains spread more than seeds (Var 0.01 > 0.0025): σ²_data would be −0.0075, shown as 0 and flagged."""
    split = split_variance([(0.15, 0.01), (0.2, 0.01), (0.25, 0.01)], [(0.1, 0.01), (0.2, 0.01), (0.3, 0.01)])
    assert split.data_var == 0.0 and split.clipped == ("data",)
    with pytest.raises(ValueError, match="at least 2 cells"):
        split_variance([(0.1, 0.0)], [(0.1, 0.0), (0.2, 0.0)])


def pair(a, b, sd, n):
    return PairedComparison(a, b, n, 0.0, sd, math.nan, math.nan, 1.0, 1.0, 0, 0, n)


def test_power_rows_take_the_median_pair():
    """sds 0.01, 0.02, 0.05 over 5, 5 and 3 common seeds: the median pair (sd 0.02, 5 seeds) sets the detectable
    difference and the seeds needed; a budget without pairs says so."""
    headline = Headline((1.0, 4.0), None, math.nan)
    headline.comparisons = {1.0: [pair("a", "b", 0.01, 5), pair("a", "c", 0.02, 5), pair("b", "c", 0.05, 3)], 4.0: []}
    one, four = power_rows(headline, delta=0.03)
    mdd = min_detectable_difference(0.02, 5)
    assert one == ["1", "3", "5", "0.0200", f"{mdd:.4f}", f"{seeds_needed(0.02, 0.03)} (Δ = 0.03)"]
    assert four == ["4", "0", "0", "-", "-", ">200 (Δ = 0.03)"]
    assert power_summary(headline.comparisons[1.0])["mdd"] == pytest.approx(mdd)


def test_eval_share_compares_the_eval_error_with_the_spread_over_seeds():
    """Rewards 0.1, 0.2, 0.3 (sd 0.1) with eval se 0.05 each: the eval sampling explains 0.05²/0.1² = 25%."""
    records = [record("dpo", s, 0.1 * (s + 1), 1.0) for s in range(3)]
    for r in records:
        r.metrics["eval/reward_se"] = 0.05
    [row] = eval_share_rows(records)
    assert row == ["dpo", "3", "0.1000", "0.0500", "25%"]


def test_replication_coverage_of_t_against_the_percentile_bootstrap():
    """On 40 normal seeds per configuration, the t interval from 3 of them covers the pool's mean near 95%; the
    percentile bootstrap (what the headline used before) near 75%; the paired difference is a reading too."""
    rng = np.random.default_rng(0)
    records = [record("dpo", s, float(v), 1.0) for s, v in enumerate(rng.normal(0.2, 0.02, 40))]
    records += [record("ipo", s, float(v), 1.0) for s, v in enumerate(rng.normal(0.25, 0.02, 40))]
    rows = {row[0]: row for row in coverage_rows(records, n=3)}
    assert set(rows) == {"dpo", "ipo", "dpo − ipo (paired)"}
    for row in rows.values():
        t, boot = float(row[3].rstrip("%")) / 100, float(row[4].rstrip("%")) / 100
        assert 0.91 <= t <= 0.99, row
        assert 0.65 <= boot <= 0.85, row
