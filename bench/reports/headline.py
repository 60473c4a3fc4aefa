"""The headline table: every algorithm's gold reward at matched KL budgets, against the optimal frontier.

Per algorithm and seed, the frontier is the upper envelope of the (KL, gold reward) points of all its
``ok`` cells in one comparability key (its grid over the KL knob); the reading at a budget k is the best
reward it attains at KL ≤ k: the envelope by linear interpolation in log KL, and past its last point
that point's reward as long as the grid reaches k. Never extrapolated: "not reached" when no grid point
has KL ≥ k, "below grid" when every point has more. Cells scored along training (``eval_checkpoints``) are read
along their trajectories instead (pobench.reports.trajectory: each run's latest policy within the budget, the
seed's best run), and the end-of-training reading is kept beside it (``end@k``, ``early@k``). Over seeds: the mean
and a 95% Student-t
interval (bench/core/inference.py). Within a seed every algorithm trains on the same data and is evaluated on
the same prompts, so algorithms are compared in pairs, on the per-seed differences over the seeds both read
(paired t-tests, Holm-corrected over the pairs at a budget), and grouped by letters in the order of the means
(share a letter: no test separates them), with ranks that never go against the means; the
median spread of those differences gives the smallest difference the seeds at hand can detect. The optimal
frontier of max E[r] − β·KL comes from the SFT cells' reference samples (pooled over seeds); the fraction of the
optimal gain is (R_algo(k) − R_sft) / (R*(k) − R_sft), shown where the optimal estimate is trusted (enough
effective samples). Cells that failed or diverged are counted and their configurations named in the row.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pobench.core.inference import (
    PairedComparison,
    compare_all,
    letter_ranks,
    min_detectable_difference,
    seeds_needed,
    t_interval,
    t_quantile,
)
from pobench.core.models import preset_of
from pobench.core.record import STATUSES, RunRecord
from pobench.reports.frontier import (
    FrontierPoint,
    best_of_n_curve,
    optimal_frontier_from_samples,
    optimal_gain_fraction,
    optimum_at,
    reach_within,
    reward_within,
)
from pobench.reports.proxy import (
    GAO_COLUMNS,
    GAO_LEGEND,
    PROXY_LEGEND,
    gao_rows,
    proxy_columns,
    proxy_rows,
    proxy_table_columns,
    trajectory_cells,
)
from pobench.reports.reach import is_placed, reach_reason, seed_points
from pobench.reports.report import algo_label, format_table
from pobench.reports.trajectory import TRAJECTORY_STATUSES, reach_of, seed_reading

# KL budgets, nats per sequence: steps of 4× (as 1, 4, 16 in the literature), placed where the algorithms' grids
# reach on sentiment/tiny (tuning seeds: the grids span 0.01–14 nats, IPO and SimPO stop near 2.5)
BUDGETS = (0.25, 1.0, 4.0)  # a model's preset may give its own (budgets_of)
OPTIMAL_BETAS = tuple(float(b) for b in np.geomspace(0.02, 20.0, 61))
BEST_OF_N = (1, 2, 4, 8, 16, 32)
MIN_ESS = 16.0  # the optimal frontier is trusted where the median effective sample size is at least this
BASELINE = "sft"
ALPHA = 0.05  # paired tests: the family-wise level of the ranks and the ✓ marks
POWER = 0.8  # the power of the minimum detectable difference
DELTA = 0.03  # the paired difference whose seeds needed the power line gives


@dataclass
class Headline:
    budgets: tuple[float, ...]
    rows: pd.DataFrame  # one row per algorithm (the SFT baseline excluded), best first at the middle budget
    sft_reward: float  # mean gold reward of the SFT cells (the reference); NaN without them
    optimal: list[FrontierPoint] = field(default_factory=list)  # empty without reference samples
    best_of_n: list[tuple[int, float, float]] = field(default_factory=list)  # oracle: (n, KL bound, reward)
    reference_samples: int = 0  # per prompt, pooled over the SFT cells' seeds
    seed_points: dict[str, dict[int, list[tuple[float, float]]]] = field(default_factory=dict)  # algo → seed → pts
    # algo → seed → its cells, each with its trajectory [(KL, gold)] from the start (SFT) in step order; empty for an
    # algorithm whose cells were scored at the end alone (read from seed_points' envelope instead)
    trajectories: dict[str, dict[int, list[tuple[RunRecord, list[tuple[float, float]]]]]] = field(default_factory=dict)
    # budget → algo → seed → reading (finite ones only), algorithms best first at that budget
    readings: dict[float, dict[str, dict[int, float]]] = field(default_factory=dict)
    comparisons: dict[float, list[PairedComparison]] = field(default_factory=dict)  # budget → Holm-corrected pairs
    power: dict[float, dict] = field(default_factory=dict)  # budget → power_summary of its comparisons
    sft_by_seed: dict[int, float] = field(default_factory=dict)  # seed → mean gold reward of its ok SFT cells
    sft_proxy_by_seed: dict[int, float] = field(default_factory=dict)  # seed → their calibrated proxy, where scored
    cells_by_seed: dict[str, dict[int, int]] = field(default_factory=dict)  # algo → seed → its cells (any status)

    def optimal_at(self, budget: float) -> tuple[float, bool]:
        return optimum_at(self.optimal, budget) if self.optimal else (math.nan, False)

    def gain_at(self, reward: float, budget: float) -> float:
        """The share of the optimal gain over SFT that ``reward`` reaches at ``budget``; NaN where the optimum's
        estimate is not trusted."""
        r_star, trusted = self.optimal_at(budget)
        return optimal_gain_fraction(reward, self.sft_reward, r_star) if trusted else math.nan


def budgets_of(model: str) -> tuple[float, ...]:
    """The KL budgets the headline reads for ``model``: its preset's (pobench.core.presets), else BUDGETS."""
    return tuple(preset_of(model).budgets) or BUDGETS


def build_headline(records: list[RunRecord], budgets: tuple[float, ...] = BUDGETS) -> Headline:
    """The headline of one comparability key's records."""
    sft = [r for r in records if r.algo == BASELINE and r.status == "ok"]
    sft_reward = float(np.mean([r.metrics["eval/reward"] for r in sft])) if sft else math.nan
    pooled = pooled_reference_rewards(sft)
    optimal = optimal_frontier_from_samples(pooled, OPTIMAL_BETAS, MIN_ESS) if pooled else []
    k = min(len(p) for p in pooled) if pooled else 0
    oracle = best_of_n_curve(pooled, [n for n in BEST_OF_N if n <= k]) if pooled else []
    headline = Headline(budgets, pd.DataFrame(), sft_reward, optimal, oracle, k)
    for seed in sorted({r.seed for r in sft}):
        headline.sft_by_seed[seed] = float(np.mean([r.metrics["eval/reward"] for r in sft if r.seed == seed]))
        proxies = [r.metrics["eval/proxy_reward"] for r in sft if r.seed == seed and "eval/proxy_reward" in r.metrics]
        if proxies:
            headline.sft_proxy_by_seed[seed] = float(np.mean(proxies))
    by_algo = {algo: [r for r in records if r.algo == algo] for algo in sorted({r.algo for r in records} - {BASELINE})}
    for algo, mine in by_algo.items():
        headline.seed_points[algo] = end_points(mine)
        headline.trajectories[algo] = seed_trajectories(mine, headline.sft_by_seed)
        headline.cells_by_seed[algo] = dict(Counter(r.seed for r in mine))
    # the headline as values, in order: each algorithm's per-seed readings, their means, the paired comparisons
    # (best first), then the rows
    means_at: dict[float, dict[str, float]] = {}
    for k_ in budgets:
        read = {algo: algorithm_readings(headline, algo, k_) for algo in by_algo}
        means = {algo: reading_mean(read[algo], headline.seed_points[algo]) for algo in by_algo}
        order = sorted(means, key=lambda a: math.inf if math.isnan(means[a]) else -means[a])  # best first, stable
        means_at[k_] = {a: means[a] for a in order}
        headline.readings[k_] = {a: read[a] for a in order}
        headline.comparisons[k_] = compare_all(headline.readings[k_])
        headline.power[k_] = power_summary(headline.comparisons[k_])
    rows = [
        algorithm_row(
            algo, mine, headline.seed_points[algo], headline, {k: headline.readings[k][algo] for k in budgets}
        )
        for algo, mine in by_algo.items()
    ]
    frame = pd.DataFrame(rows)
    if len(frame):
        for k_ in budgets:
            ranks, letters = grouped_ranks(means_at[k_], headline.comparisons[k_], list(frame["algo"]))
            frame[f"group@{k_:g}"], frame[f"rank@{k_:g}"] = letters, ranks
        middle = f"reward@{budgets[len(budgets) // 2]:g}"
        frame = frame.sort_values(middle, ascending=False, na_position="last", kind="stable").reset_index(drop=True)
    headline.rows = frame
    return headline


def end_points(records: list[RunRecord]) -> dict[int, list[tuple[float, float]]]:
    """seed → the (KL, gold) end points of one algorithm's ok cells (a seed without one: an empty list)."""
    seeds: dict[int, list[tuple[float, float]]] = {}
    for r in records:
        seeds.setdefault(r.seed, [])
        if r.status == "ok":
            seeds[r.seed].append((r.metrics["eval/kl"], r.metrics["eval/reward"]))
    return seeds


def algorithm_readings(headline: Headline, algo: str, k: float) -> dict[int, float]:
    """seed → one algorithm's reading at budget k: along its cells' trajectories where they were scored along
    training, else from its end points (the seeds that have one)."""
    trajectories = headline.trajectories.get(algo, {})
    return trajectory_readings(trajectories, k) if trajectories else seed_readings(headline.seed_points[algo], k)


def reading_mean(read: dict[int, float], seeds: dict) -> float:
    """The mean over seeds at a budget, NaN unless every seed of the algorithm is read there."""
    return t_interval(list(read.values()))[0] if read and len(read) == len(seeds) else math.nan


def grouped_ranks(
    means: dict[str, float], comparisons: list[PairedComparison], algos: list[str]
) -> tuple[list[float], list[str | None]]:
    """For ``algos``, at one budget: the rank that goes with the letters of letter_ranks, monotone in ``means`` (best
    first), and the letters (share a letter = the Holm-corrected paired tests at ALPHA do not separate them; 'a' holds
    the best mean); NaN and no letters for an algorithm without a mean (one not read on every seed)."""
    grouped = letter_ranks(means, comparisons, ALPHA)
    ranks = [math.nan if grouped[a] is None else float(grouped[a][0]) for a in algos]
    return ranks, [None if grouped[a] is None else grouped[a][1] for a in algos]


def seed_readings(seeds: dict[int, list[tuple[float, float]]], k: float) -> dict[int, float]:
    """seed → the end-of-training reading at budget k (reward_within its cells' end points), for the seeds that have
    one."""
    values = {s: reward_within(seeds[s], k) for s in sorted(seeds)}
    return {s: v for s, v in values.items() if math.isfinite(v)}


def trajectory_readings(trajectories: dict[int, list], k: float) -> dict[int, float]:
    """seed → the reading at budget k along its cells' trajectories (pobench.reports.trajectory.seed_reading), for
    the seeds that have one."""
    values = {s: seed_reading([t for _, t in trajectories[s]], k) for s in sorted(trajectories)}
    return {s: v for s, v in values.items() if math.isfinite(v)}


def seed_trajectories(records: list[RunRecord], sft_by_seed: dict[int, float]) -> dict[int, list]:
    """seed → (record, trajectory) for one algorithm's cells, each trajectory [(KL, gold), ...] in step order from
    the start (KL 0 and the seed's SFT gold, read on the same draws) where the seed has an SFT cell; cut before the
    first checkpoint that is degenerate by the cell rule, points without a finite KL or gold left out
    (proxy.trajectory_cells). Empty when no cell was scored along training. An ok cell without a trajectory counts
    as its end point alone."""
    if not any(r.trajectory for r in records):
        return {}
    out: dict[int, list] = {}
    for r in records:
        if r.status not in TRAJECTORY_STATUSES or not (r.trajectory or r.status == "ok"):
            out.setdefault(r.seed, [])
            continue
        cells = trajectory_cells(r, sft_by_seed, {})  # the proxy table reads the same points (proxy.py)
        out.setdefault(r.seed, []).append((r, [(kl, gold) for kl, gold, _, _ in cells]))
    return out


def early_stopping(read: dict[int, float], ends: dict[int, float], k: float) -> dict:
    """``end@k``: the mean end-of-training reading over the seeds that have one (a grid of end points, as before
    trajectories), and ``early@k``: the mean over the seeds both read of (reading along training − end-of-training
    reading), what stopping where the run crosses the budget buys over training to the end; NaN where undefined."""
    common = [s for s in read if s in ends]
    return {
        f"end@{k:g}": float(np.mean(list(ends.values()))) if ends else math.nan,
        f"end_reached@{k:g}": len(ends),
        f"early@{k:g}": float(np.mean([read[s] - ends[s] for s in common])) if common else math.nan,
    }


def power_summary(comparisons: list[PairedComparison], delta: float = DELTA) -> dict:
    """What the seeds at hand can resolve at one budget, for the typical pair: the median over pairs of sd(D), the
    paired differences' standard deviation, and of n, the seeds a pair shares; the minimum detectable difference
    min_detectable_difference(median sd, median n) of a paired t-test at level ALPHA with POWER (before the Holm
    correction, which asks more); and the seeds that would detect ``delta`` (None: more than 200)."""
    sds = [c.sd for c in comparisons if c.n >= 2 and math.isfinite(c.sd)]
    n = int(np.median([c.n for c in comparisons if c.n >= 2 and math.isfinite(c.sd)])) if sds else 0
    median_sd = float(np.median(sds)) if sds else math.nan
    mdd = min_detectable_difference(median_sd, n, ALPHA, POWER) if sds else math.nan
    needed = seeds_needed(median_sd, delta, ALPHA, POWER) if sds else None
    return {"pairs": len(sds), "seeds": n, "median_sd": median_sd, "mdd": mdd, "delta": delta, "needed": needed}


def pooled_reference_rewards(sft_records: list[RunRecord]) -> list[list[float]]:
    """Per eval prompt, the gold rewards of every SFT cell's reference samples (seeds drew them independently)."""
    lists = [r.reference_rewards for r in sft_records if r.reference_rewards]
    if not lists or len({len(x) for x in lists}) != 1:
        return []
    if not all(math.isfinite(g) for one in lists for prompt in one for g in prompt):
        return []  # a task without a gold reward (NaN): there is no optimum to estimate
    return [[g for one in lists for g in one[p]] for p in range(len(lists[0]))]


def algorithm_row(
    algo: str, records: list[RunRecord], seeds: dict, headline: Headline, readings: dict[float, dict[int, float]]
) -> dict:
    """One algorithm's row: its cells by status, and at each budget its per-seed ``readings`` (budget → seed →
    reading) summarized (mean and interval where every seed is read, why a seed is not, the share of the optimal
    gain), then its proxy, gap and compute columns."""
    statuses = Counter(r.status for r in records)
    flagged = sorted({algo_label(r) for r in records if r.status != "ok"})
    row: dict = {
        "algo": algo,
        "seeds": len(seeds),
        "cells": len(records),
        "ok": statuses["ok"],
        "failed": statuses["failed"],
        "diverged": statuses["diverged"],
        "interrupted": statuses["interrupted"],
        "degenerate": statuses["degenerate"],
        "flagged": "; ".join(flagged),
        # ok cells whose knob value lies outside the frontier grid: placed after it (bench/harness/placement.py)
        "extra_cells": sum(r.status == "ok" and is_placed(r) for r in records),
        "kl_is_bound": any(r.metrics.get("eval/kl_is_bound") for r in records if r.status == "ok"),
        "max_kl": max((k for points in seeds.values() for k, r in points if math.isfinite(r)), default=math.nan),
    }
    points = seed_points(records)  # per seed, with truncation: what reach_reason tells apart
    trajectories = headline.trajectories.get(algo, {})
    for k in headline.budgets:
        ends = seed_readings(seeds, k)
        read = readings[k]
        reached = len(read)
        if trajectories:  # every run stops short of k (saturates), or no trajectory starts below it
            missing = Counter(
                f"{reach_of([t for _, t in trajectories[s]], k)} along training" for s in seeds if s not in read
            )
        else:
            missing = Counter(reach_reason(points.get(s, []), k) for s in seeds if reach_within(seeds[s], k) != "ok")
        mean, low, high = t_interval(list(read.values())) if read and reached == len(seeds) else (math.nan,) * 3
        row.update(early_stopping(read, ends, k))
        row.update(
            {
                f"reward@{k:g}": mean,
                f"low@{k:g}": low,
                f"high@{k:g}": high,
                f"reached@{k:g}": reached,
                # why a seed has no reading (the most common reason): its grid stops short or starts above k,
                # or the algorithm degenerates or saturates before k (bench/reports/reach.py)
                f"why@{k:g}": missing.most_common(1)[0][0] if missing else "",
                f"gain@{k:g}": headline.gain_at(mean, k),
            }
        )
    # the calibrated proxy, the gap and the compute along the same frontier; the Gao et al. fits (proxy.py)
    return {
        **row,
        **proxy_columns(
            algo, records, headline.budgets, headline.sft_by_seed, headline.sft_reward, headline.sft_proxy_by_seed
        ),
    }


# -- presentation ------------------------------------------------------------------------------------


def columns(budgets: tuple[float, ...]) -> list[str]:
    out = ["algorithm"]
    for k in budgets:
        out += [f"rank @{k:g}", f"reward @ KL {k:g} (95% CI)", f"gain @{k:g}"]
    return [*out, "max KL", "cells"]


def display_rows(headline: Headline) -> list[dict[str, str]]:
    """The algorithms' rows (in the frame's order: by mean at the middle budget), then the optimal frontier, oracle
    best-of-n and SFT as reference rows. The rank cell at a budget shows the algorithm's letters (grouped_ranks):
    "a", "ab", "b"; "-" for one not ranked there."""
    out = []
    for _, row in headline.rows.iterrows():
        shown = {"algorithm": row["algo"] + (" (KL ≤ bound)" if row["kl_is_bound"] else "")}
        for k in headline.budgets:
            shown[f"rank @{k:g}"] = _letters(row, k)
            shown[f"reward @ KL {k:g} (95% CI)"] = _reading(row, k)
            shown[f"gain @{k:g}"] = "-" if math.isnan(row[f"gain@{k:g}"]) else f"{row[f'gain@{k:g}']:.0%}"
        shown["max KL"] = "-" if math.isnan(row["max_kl"]) else f"{row['max_kl']:.2f}"
        shown["cells"] = _cells(row)
        out.append(shown)
    return out + reference_rows(headline)


def _letters(row, k: float) -> str:
    """The row's letter group at budget k ("-" where it has none: not read on every seed, or no group column)."""
    letters = row.get(f"group@{k:g}")
    return letters if isinstance(letters, str) and letters else "-"


def _reading(row, k: float) -> str:
    mean, low, high = row[f"reward@{k:g}"], row[f"low@{k:g}"], row[f"high@{k:g}"]
    if math.isnan(mean):
        why, _, detail = (row[f"why@{k:g}"] or "not reached").partition(" (")
        detail = f", {detail.rstrip(')')}" if detail else ""
        return f"{why} ({row[f'reached@{k:g}']}/{row['seeds']} seeds read){detail}"
    return f"{mean:+.3f}" + ("" if math.isnan(low) else f" ({low:+.3f}, {high:+.3f})")


def _cells(row) -> str:
    parts = [f"{row['ok']}/{row['cells']} ok"] + ([f"{row['extra_cells']} placed"] if row.get("extra_cells") else [])
    parts += [f"{row[s]} {s}" for s in STATUSES[1:] if row[s]]
    text = ", ".join(parts)
    return f"{text} ⚠ {row['flagged']}" if row["flagged"] else text


def reference_rows(headline: Headline) -> list[dict[str, str]]:
    rows = []
    if headline.optimal:
        shown = {"algorithm": f"optimum π*_β (K={headline.reference_samples})"}
        for k in headline.budgets:
            reward, trusted = headline.optimal_at(k)
            text = "beyond log K" if math.isnan(reward) else f"{reward:+.3f}" + ("" if trusted else " (low ESS)")
            shown.update({f"rank @{k:g}": "", f"reward @ KL {k:g} (95% CI)": text, f"gain @{k:g}": "100%"})
        rows.append({**shown, "max KL": f"{max(p.kl for p in headline.optimal):.2f}", "cells": "estimate"})
    if headline.best_of_n:
        points = [(kl, reward) for _, kl, reward in headline.best_of_n]
        shown = {"algorithm": "oracle best-of-n (gold picks)"}
        for k in headline.budgets:
            reward = reward_within(points, k)
            shown.update(
                {
                    f"rank @{k:g}": "",
                    f"reward @ KL {k:g} (95% CI)": "not reached" if math.isnan(reward) else f"{reward:+.3f}",
                    f"gain @{k:g}": _gain_text(headline, reward, k),
                }
            )
        rows.append({**shown, "max KL": f"{max(kl for kl, _ in points):.2f}", "cells": "estimate"})
    if not math.isnan(headline.sft_reward):
        shown = {"algorithm": "sft (KL 0)"}
        for k in headline.budgets:
            shown.update({f"rank @{k:g}": "", f"reward @ KL {k:g} (95% CI)": f"{headline.sft_reward:+.3f}"})
            shown[f"gain @{k:g}"] = "0%"
        rows.append({**shown, "max KL": "0.00", "cells": ""})
    return rows


def _gain_text(headline: Headline, reward: float, k: float) -> str:
    gain = headline.gain_at(reward, k)
    return "-" if math.isnan(gain) else f"{gain:.0%}"


def legend(headline: Headline) -> str:
    budgets = ", ".join(f"{k:g}" for k in headline.budgets)
    n = int(headline.rows["seeds"].max()) if len(headline.rows) else 0
    t = f", t = {t_quantile(0.975, n - 1):.2f} with {n} seeds" if n >= 2 else ""
    return (
        f"Gold reward at matched KL budgets ({budgets} nats per sequence): per seed, the best reward the "
        "algorithm's grid attains at KL ≤ the budget (the upper envelope of its (KL, reward) points, read by "
        "interpolation in log KL; never extrapolated: 'not reached' when no grid point gets to the budget, "
        "'below grid' when every point lies above it); for cells scored along training, each run's latest policy "
        "within the budget (where it last crosses it, interpolated in log KL between checkpoints, or its end) and "
        "the best run of the seed, unread where no run reaches the budget ('along training'); "
        f"mean over seeds with a 95% Student-t interval (mean ± t·sd/√n{t}). Rows are ordered by the mean at KL "
        f"{headline.budgets[len(headline.budgets) // 2]:g}. Rank: letters given at each budget in the order of the "
        "means there ('a' holds the best mean): two algorithms that share a letter are not separated by the paired "
        "t-test on the per-seed differences over the seeds both read (within a seed every algorithm trains on the "
        f"same data and is scored on the same prompts), Holm-corrected over the pairs at that budget, at {ALPHA:g}; "
        "two with no letter in common are. The CSV's rank@k is the position of the first letter (a = 1, b = 2, …) "
        "raised to the rank of any algorithm with a higher mean, so it never goes against the means. Only "
        "algorithms read on every seed are ranked (-). Gain: (R − R_sft) / (R* − R_sft), the share of the "
        "optimal gain over SFT, where the optimum's estimate is trusted (median effective sample size ≥ "
        f"{MIN_ESS:g}); low ESS: an estimate from too few effective samples. ⚠ names configurations with a "
        "failed, diverged or degenerate cell (degenerate: ≥ 95% of its samples cut at the length limit): they are "
        "counted, and a seed whose cell did not end ok has no point there."
    )


PAIRED_COLUMNS = (
    "pair",
    "mean difference (95% CI, unadjusted)",
    "Holm p",
    "wins",
    "P(a > b) (95% CI)",
    f"Holm p < {ALPHA:g}",
)
UNADJUSTED_ONLY = "°"  # the unadjusted interval excludes 0, the Holm test does not separate the pair


def unadjusted_only(c: PairedComparison, alpha: float = ALPHA) -> bool:
    """Whether the pair's own 95% paired-t interval excludes 0 while the Holm-corrected test at alpha does not
    separate it: the interval alone would call a difference the family-wise test does not, and the test decides."""
    return (c.low > 0 or c.high < 0) and c.winner(alpha) is None


def paired_rows(comparisons: list[PairedComparison]) -> list[list[str]]:
    """One text row per comparison: "a − b", D̄ (low, high) with ° where only this unadjusted interval separates
    the pair, the Holm-adjusted p, a's wins, P(a > b) with its bootstrap interval, ✓ where the Holm test
    separates."""
    return [
        [
            f"{c.a} − {c.b}",
            f"{c.mean:+.3f} ({c.low:+.3f}, {c.high:+.3f})" + (UNADJUSTED_ONLY if unadjusted_only(c) else ""),
            "<0.001" if c.p_holm < 0.001 else f"{c.p_holm:.3f}",
            f"{c.a} {c.wins_a}/{c.n}" + (f", {c.ties} tied" if c.ties else ""),
            "-" if math.isnan(c.prob) else f"{c.prob:.2f} ({c.prob_low:.2f}, {c.prob_high:.2f})",
            "✓" if c.winner(ALPHA) else "",
        ]
        for c in comparisons
    ]


def power_text(power: dict, k: float) -> str:
    """One line under a budget's paired table: the median sd(D) and the minimum detectable difference."""
    pairs = f"{power['pairs']} pair" + ("s" if power["pairs"] > 1 else "")
    return (
        f"Power at KL {k:g}: over {pairs}, the median standard deviation of the per-seed differences is "
        f"{power['median_sd']:.3f}; with {power['seeds']} seeds (the median a pair shares) a paired t-test at "
        f"{ALPHA:g} detects a true difference of {power['mdd']:.3f} with {POWER:.0%} power (before the Holm "
        "correction); "
        f"{'more than 200' if power['needed'] is None else power['needed']} seeds would detect {power['delta']:g}."
    )


PAIRED_LEGEND = (
    "Paired comparisons: a − b is the mean over the seeds both read of the per-seed difference of the readings, "
    "with its 95% paired-t interval, unadjusted (the pair's own test, not corrected for the other pairs); Holm p: "
    "the two-sided paired t-test's p-value, Holm-adjusted over the pairs at that budget; wins: the seeds where a "
    "reads higher; P(a > b): the probability of improvement (Agarwal et al. 2021), the share of (a seed of a, a "
    "seed of b) pairs, over all the seeds each read, where a reads higher (ties count ½), with a 95% percentile "
    f"bootstrap interval (2000 resamples of each algorithm's seeds); ✓: Holm p < {ALPHA:g}. The Holm test decides "
    f"(the ✓ and the letters): {UNADJUSTED_ONLY} marks an unadjusted interval that excludes 0 for a pair the Holm "
    "test does not separate, a difference this pair alone would show but the family of pairs does not."
)


def paired_markdown(headline: Headline) -> str:
    """Per budget with comparisons: a "Paired comparisons at KL k" table and its power line; "" if none."""
    parts = []
    for k in headline.budgets:
        if headline.comparisons.get(k):
            table = format_table(paired_rows(headline.comparisons[k]), PAIRED_COLUMNS)
            parts.append(f"**Paired comparisons at KL {k:g}**\n\n{table}\n\n{power_text(headline.power[k], k)}")
    return "\n\n".join([*parts, PAIRED_LEGEND]) if parts else ""


def proxy_markdown(headline: Headline) -> str:
    """The "Proxy and cost at matched KL" table and the Gao et al. fits, each with its legend; "" without rows."""
    if not len(headline.rows):
        return ""
    proxy = format_table(proxy_rows(headline.rows, headline.budgets), proxy_table_columns(headline.budgets))
    fits = format_table(gao_rows(headline.rows), GAO_COLUMNS)
    return (
        f"**Proxy and cost at matched KL**\n\n{proxy}\n\n{PROXY_LEGEND}\n\n"
        f"**Gao et al. (2023) fits: a reading aid**\n\n{fits}\n\n{GAO_LEGEND}\n"
    )


def to_markdown(headline: Headline) -> str:
    cols = columns(headline.budgets)
    table = format_table([[row.get(c, "") for c in cols] for row in display_rows(headline)], cols)
    paired = paired_markdown(headline)
    proxy = proxy_markdown(headline)
    return f"{table}\n\n{legend(headline)}\n" + (f"\n{proxy}" if proxy else "") + (f"\n{paired}\n" if paired else "")


def to_frame(headline: Headline) -> pd.DataFrame:
    """Raw numbers of the algorithms' rows plus the optimal frontier's reward at each budget (CSV, wandb)."""
    frame = headline.rows.copy()
    for k in headline.budgets:
        reward, trusted = headline.optimal_at(k)
        frame[f"optimal@{k:g}"] = reward
        frame[f"optimal_trusted@{k:g}"] = trusted
    frame["sft_reward"] = headline.sft_reward
    return frame
