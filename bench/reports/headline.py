"""The headline table: every algorithm's gold reward at matched KL budgets, against the optimal frontier.

Per algorithm and seed, the frontier is the upper envelope of the (KL, gold reward) points of all its
``ok`` cells in one comparability key (its grid over the KL knob); the reading at a budget k is the best
reward it attains at KL ≤ k: the envelope by linear interpolation in log KL, and past its last point
that point's reward as long as the grid reaches k. Never extrapolated: "not reached" when no grid point
has KL ≥ k, "below grid" when every point has more. Over seeds: the mean and a 95%
percentile-bootstrap interval (bench/reports/frontier.py, scipy). Algorithms are ranked at a budget only
where their intervals separate. The optimal frontier of max E[r] − β·KL comes from the SFT cells'
reference samples (pooled over seeds); the fraction of the optimal gain is
(R_algo(k) − R_sft) / (R*(k) − R_sft), shown where the optimal estimate is trusted (enough effective
samples). Cells that failed or diverged are counted and their configurations named in the row.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from bench.core.record import RunRecord
from bench.reports.frontier import (
    FrontierPoint,
    best_of_n_curve,
    bootstrap_ci,
    frontier_reward_at,
    optimal_frontier_from_samples,
    optimal_gain_fraction,
    rank_labels,
    reach_within,
    reward_within,
    separated_ranks,
)
from bench.reports.report import algo_label, format_table

# KL budgets, nats per sequence: steps of 4× (as 1, 4, 16 in the literature), placed where the algorithms' grids
# reach on sentiment/tiny (tuning seeds: the grids span 0.01–14 nats, IPO and SimPO stop near 2.5)
BUDGETS = (0.25, 1.0, 4.0)
OPTIMAL_BETAS = tuple(float(b) for b in np.geomspace(0.02, 20.0, 61))
BEST_OF_N = (1, 2, 4, 8, 16, 32)
MIN_ESS = 16.0  # the optimal frontier is trusted where the median effective sample size is at least this
BASELINE = "sft"


@dataclass
class Headline:
    budgets: tuple[float, ...]
    rows: pd.DataFrame  # one row per algorithm (the SFT baseline excluded), best first at the middle budget
    sft_reward: float  # mean gold reward of the SFT cells (the reference); NaN without them
    optimal: list[FrontierPoint] = field(default_factory=list)  # empty without reference samples
    best_of_n: list[tuple[int, float, float]] = field(default_factory=list)  # oracle: (n, KL bound, reward)
    reference_samples: int = 0  # per prompt, pooled over the SFT cells' seeds
    seed_points: dict[str, dict[int, list[tuple[float, float]]]] = field(default_factory=dict)  # algo → seed → pts

    def optimal_at(self, budget: float) -> tuple[float, bool]:
        return frontier_reward_at(self.optimal, budget) if self.optimal else (math.nan, False)

    def gain_at(self, reward: float, budget: float) -> float:
        """The share of the optimal gain over SFT that ``reward`` reaches at ``budget``; NaN where the optimum's
        estimate is not trusted."""
        r_star, trusted = self.optimal_at(budget)
        return optimal_gain_fraction(reward, self.sft_reward, r_star) if trusted else math.nan


def build_headline(records: list[RunRecord], budgets: tuple[float, ...] = BUDGETS) -> Headline:
    """The headline of one comparability key's records."""
    sft = [r for r in records if r.algo == BASELINE and r.status == "ok"]
    sft_reward = float(np.mean([r.metrics["eval/reward"] for r in sft])) if sft else math.nan
    pooled = pooled_reference_rewards(sft)
    optimal = optimal_frontier_from_samples(pooled, OPTIMAL_BETAS, MIN_ESS) if pooled else []
    k = min(len(p) for p in pooled) if pooled else 0
    oracle = best_of_n_curve(pooled, [n for n in BEST_OF_N if n <= k]) if pooled else []
    headline = Headline(budgets, pd.DataFrame(), sft_reward, optimal, oracle, k)
    rows = []
    for algo in sorted({r.algo for r in records} - {BASELINE}):
        mine = [r for r in records if r.algo == algo]
        seeds: dict[int, list[tuple[float, float]]] = {}
        for r in mine:
            seeds.setdefault(r.seed, [])
            if r.status == "ok":
                seeds[r.seed].append((r.metrics["eval/kl"], r.metrics["eval/reward"]))
        headline.seed_points[algo] = seeds
        rows.append(algorithm_row(algo, mine, seeds, headline))
    frame = pd.DataFrame(rows)
    if len(frame):
        for k_ in budgets:
            ranks = separated_ranks(frame[f"low@{k_:g}"], frame[f"high@{k_:g}"], frame[f"reward@{k_:g}"])
            frame[f"rank@{k_:g}"] = [math.nan if r is None else float(r) for r in ranks]
        middle = f"reward@{budgets[len(budgets) // 2]:g}"
        frame = frame.sort_values(middle, ascending=False, na_position="last", kind="stable").reset_index(drop=True)
    headline.rows = frame
    return headline


def pooled_reference_rewards(sft_records: list[RunRecord]) -> list[list[float]]:
    """Per eval prompt, the gold rewards of every SFT cell's reference samples (seeds drew them independently)."""
    lists = [r.reference_rewards for r in sft_records if r.reference_rewards]
    if not lists or len({len(x) for x in lists}) != 1:
        return []
    if not all(math.isfinite(g) for one in lists for prompt in one for g in prompt):
        return []  # a task without a gold reward (NaN): there is no optimum to estimate
    return [[g for one in lists for g in one[p]] for p in range(len(lists[0]))]


def algorithm_row(algo: str, records: list[RunRecord], seeds: dict, headline: Headline) -> dict:
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
        "flagged": "; ".join(flagged),
        "kl_is_bound": any(r.metrics.get("eval/kl_is_bound") for r in records if r.status == "ok"),
        "max_kl": max((k for points in seeds.values() for k, r in points if math.isfinite(r)), default=math.nan),
    }
    for k in headline.budgets:
        values = [reward_within(seeds[s], k) for s in sorted(seeds)]
        reached = sum(not math.isnan(v) for v in values)
        missing = Counter(reach_within(seeds[s], k) for s in seeds) - Counter({"ok": len(seeds)})
        mean, low, high = bootstrap_ci(values) if reached == len(values) else (math.nan,) * 3
        row.update(
            {
                f"reward@{k:g}": mean,
                f"low@{k:g}": low,
                f"high@{k:g}": high,
                f"reached@{k:g}": reached,
                # why a seed has no reading: its grid stops short ("not reached") or starts above k ("below grid")
                f"why@{k:g}": missing.most_common(1)[0][0] if missing else "",
                f"gain@{k:g}": headline.gain_at(mean, k),
            }
        )
    return row


# -- presentation ------------------------------------------------------------------------------------


def columns(budgets: tuple[float, ...]) -> list[str]:
    out = ["algorithm"]
    for k in budgets:
        out += [f"rank @{k:g}", f"reward @ KL {k:g} (95% CI)", f"gain @{k:g}"]
    return [*out, "max KL", "cells"]


def display_rows(headline: Headline) -> list[dict[str, str]]:
    """The algorithms' rows, then the optimal frontier, oracle best-of-n and SFT as reference rows."""
    out = []
    rows = headline.rows
    ranks = {k: rank_labels([None if math.isnan(v) else int(v) for v in rows[f"rank@{k:g}"]]) for k in headline.budgets}
    for i, (_, row) in enumerate(rows.iterrows()):
        shown = {"algorithm": row["algo"] + (" (KL ≤ bound)" if row["kl_is_bound"] else "")}
        for k in headline.budgets:
            shown[f"rank @{k:g}"] = ranks[k][i]
            shown[f"reward @ KL {k:g} (95% CI)"] = _reading(row, k)
            shown[f"gain @{k:g}"] = "-" if math.isnan(row[f"gain@{k:g}"]) else f"{row[f'gain@{k:g}']:.0%}"
        shown["max KL"] = "-" if math.isnan(row["max_kl"]) else f"{row['max_kl']:.2f}"
        shown["cells"] = _cells(row)
        out.append(shown)
    return out + reference_rows(headline)


def _reading(row, k: float) -> str:
    mean, low, high = row[f"reward@{k:g}"], row[f"low@{k:g}"], row[f"high@{k:g}"]
    if math.isnan(mean):
        return f"{row[f'why@{k:g}'] or 'not reached'} ({row[f'reached@{k:g}']}/{row['seeds']} seeds read)"
    return f"{mean:+.3f}" + ("" if math.isnan(low) else f" ({low:+.3f}, {high:+.3f})")


def _cells(row) -> str:
    parts = [f"{row['ok']}/{row['cells']} ok"]
    parts += [f"{row[s]} {s}" for s in ("failed", "diverged", "interrupted") if row[s]]
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
    return (
        f"Gold reward at matched KL budgets ({budgets} nats per sequence): per seed, the best reward the "
        "algorithm's grid attains at KL ≤ the budget (the upper envelope of its (KL, reward) points, read by "
        "interpolation in log KL; never extrapolated: 'not reached' when no grid point gets to the budget, "
        "'below grid' when every point lies above it); "
        "mean over seeds with a 95% percentile-bootstrap interval "
        "(with 3 seeds it spans their min to max). Rank: 1 + the number of algorithms whose interval lies entirely "
        "above (=N: a tie the intervals do not separate). Gain: (R − R_sft) / (R* − R_sft), the share of the "
        "optimal gain over SFT, where the optimum's estimate is trusted (median effective sample size ≥ "
        f"{MIN_ESS:g}); low ESS: an estimate from too few effective samples. ⚠ names configurations with a "
        "failed or diverged cell: they are counted, and a seed whose cell failed has no point there."
    )


def to_markdown(headline: Headline) -> str:
    cols = columns(headline.budgets)
    table = format_table([[row.get(c, "") for c in cols] for row in display_rows(headline)], cols)
    return f"{table}\n\n{legend(headline)}\n"


def to_frame(headline: Headline) -> pd.DataFrame:
    """Raw numbers of the algorithms' rows plus the optimal frontier's reward at each budget (CSV, wandb)."""
    frame = headline.rows.copy()
    for k in headline.budgets:
        reward, trusted = headline.optimal_at(k)
        frame[f"optimal@{k:g}"] = reward
        frame[f"optimal_trusted@{k:g}"] = trusted
    frame["sft_reward"] = headline.sft_reward
    return frame
