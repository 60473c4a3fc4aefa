"""Where a reading's noise comes from, and what the seeds at hand can resolve (``pobench noise``).

A cell's gold reward R varies by three independent sources: the evaluation's sampling (each record carries its
standard error with the prompts held fixed, ``eval/reward_sampling_se``: every cell is scored on the same prompts,
so their difficulty is no noise in a comparison), the training order (batches, new heads, the trainer's own
sampling) and the data draw (the preference pairs' completions and labels). Two groups of cells of one
configuration split them:

- *seeds*: cell seeds s = 0..n−1, so data, training and evaluation all vary:
  Var_seeds = σ²_eval + σ²_train + σ²_data;
- *train*: one cell seed (the same data and evaluation noise keys) with ``train_seed`` = 0..m−1:
  Var_train = σ²_eval + σ²_train.

σ²_eval is the mean of the cells' squared standard errors, σ²_train = Var_train − σ²_eval and
σ²_data = Var_seeds − Var_train (method of moments; a component estimated below 0 is shown as 0 and flagged,
since with a handful of cells a sample variance is itself noisy: its relative standard error is √(2/(n−1))).

Power: at each KL budget of the headline, the paired differences D_s = R_a,s − R_b,s of every pair of algorithms
read on common seeds; their median standard deviation over pairs gives the minimum detectable paired difference
at 80% power for the seeds a pair typically shares, and the seeds needed to detect a chosen difference
(pobench.reports.headline.power_summary, one rule for the headline's power line and this table).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from pobench.core.inference import (
    bootstrap_ci,  # the headline's old interval, measured beside the new one
    replication_coverage,
    t_interval,
)
from pobench.core.record import RunRecord
from pobench.reports.headline import Headline, power_summary
from pobench.reports.report import algo_label, format_table
from pobench.reports.trajectory import reading_bias


@dataclass(frozen=True)
class VarianceSplit:
    """The components of one configuration's reading variance (reward², i.e. squared gold units)."""

    seeds: int  # cells in the seeds group
    trains: int  # cells in the train group
    eval_var: float
    train_var: float
    data_var: float
    total_var: float  # Var_seeds
    clipped: tuple[str, ...] = ()  # components estimated below zero, shown as 0

    def share(self, component: float) -> float:
        return component / self.total_var if self.total_var > 0 else math.nan


def split_variance(seeds: Sequence[tuple[float, float]], trains: Sequence[tuple[float, float]]) -> VarianceSplit:
    """``seeds`` and ``trains``: (reading, its eval standard error) of the two groups' cells (module docstring).
    σ²_eval is the mean squared standard error over the cells of both groups."""
    if len(seeds) < 2 or len(trains) < 2:
        raise ValueError(f"need at least 2 cells in each group, got {len(seeds)} seeds and {len(trains)} trains")
    var_seeds = statistics.variance([v for v, _ in seeds])
    var_train = statistics.variance([v for v, _ in trains])
    eval_var = statistics.fmean([se**2 for _, se in [*seeds, *trains]])
    raw = {"train": var_train - eval_var, "data": var_seeds - var_train}
    clipped = tuple(name for name, value in raw.items() if value < 0)
    return VarianceSplit(
        seeds=len(seeds),
        trains=len(trains),
        eval_var=eval_var,
        train_var=max(raw["train"], 0.0),
        data_var=max(raw["data"], 0.0),
        total_var=var_seeds,
        clipped=clipped,
    )


def sampling_se(r: RunRecord) -> float:
    """A cell's eval standard error from sampling alone (prompts fixed); records from before it was recorded give
    the clustered one (``eval/reward_se``), which also counts the spread between prompts and so overstates it."""
    return r.metrics.get("eval/reward_sampling_se", r.metrics["eval/reward_se"])


def configurations(records: Sequence[RunRecord]) -> dict[str, list[RunRecord]]:
    """The ``ok`` cells of each configuration (algo_label) whose seeds vary everything (train_seed unset), by
    label in sorted order."""
    groups: dict[str, list[RunRecord]] = {}
    for r in records:
        if r.status == "ok" and r.spec.get("train_seed", -1) < 0:
            groups.setdefault(algo_label(r), []).append(r)
    return dict(sorted(groups.items()))


def eval_share_rows(records: Sequence[RunRecord]) -> list[list[str]]:
    """Per configuration read on ≥ 2 seeds (train_seed unset): the spread of its reward over seeds against the
    mean eval standard error: how much of the seed-to-seed variance the evaluation's sampling alone explains."""
    rows = []
    for label, cells in configurations(records).items():
        cells = [c for c in cells if "eval/reward_se" in c.metrics]
        if len(cells) < 2:
            continue
        sd = statistics.stdev([c.metrics["eval/reward"] for c in cells])
        eval_se = math.sqrt(statistics.fmean([sampling_se(c) ** 2 for c in cells]))
        share = eval_se**2 / sd**2 if sd > 0 else math.nan
        rows.append([label, str(len(cells)), f"{sd:.4f}", f"{eval_se:.4f}", _percent(share)])
    return rows


MIN_POOL = 10  # seeds a configuration needs for its coverage to be measured by replication
COVERAGE_HEADER = ["reading", "pool of seeds", "n", "t interval covers", "percentile bootstrap covers"]


def coverage_rows(records: Sequence[RunRecord], n: int, level: float = 0.95) -> list[list[str]]:
    """The replication experiment: for each configuration read on ≥ MIN_POOL seeds, and for each pair of them on
    ≥ MIN_POOL common seeds (their paired differences), how often the 95% interval from n of its seeds covers the
    pool's mean (``replication_coverage``: the pool's empirical distribution stands for the population)."""
    pools = {
        label: {c.seed: c.metrics["eval/reward"] for c in cells} for label, cells in configurations(records).items()
    }
    named = {label: seeds for label, seeds in pools.items() if len(seeds) >= max(MIN_POOL, n)}
    readings = {label: list(seeds.values()) for label, seeds in named.items()}
    labels = list(named)
    for i, a in enumerate(labels):
        for b in labels[i + 1 :]:
            common = sorted(set(named[a]) & set(named[b]))
            if len(common) >= max(MIN_POOL, n):
                readings[f"{a} − {b} (paired)"] = [named[a][s] - named[b][s] for s in common]
    rows = []
    for label, pool in readings.items():
        t = replication_coverage(pool, n, level, t_interval)
        boot = replication_coverage(pool, n, level, lambda v, lv: bootstrap_ci(v, lv, resamples=999), subsets=500)
        rows.append([label, str(len(pool)), str(n), _percent1(t), _percent1(boot)])
    return rows


def power_rows(headline: Headline, delta: float) -> list[list[str]]:
    """One text row per budget of a headline (pobench.reports.headline.power_summary), with the seeds needed for
    ``delta``."""
    rows = []
    for budget, pairs in headline.comparisons.items():
        power = power_summary(pairs, delta)
        needed = power["needed"]
        rows.append(
            [
                f"{budget:g}",
                str(power["pairs"]),
                str(power["seeds"]),
                _number(power["median_sd"]),
                _number(power["mdd"]),
                f"{'>200' if needed is None else needed} (Δ = {delta:g})",
            ]
        )
    return rows


POWER_HEADER = ["KL budget", "pairs", "seeds a pair shares", "median sd(D)", "detectable at 80% power", "seeds for Δ"]


def measured_noise(records: Sequence[RunRecord]) -> tuple[float, float]:
    """(gold sd, KL's relative sd) of one point along training: the medians over the records' checkpoints of the gold
    reward's standard error and of kl_se / kl (where KL > 0); NaN without checkpoints."""
    points = [p for r in records for p in r.trajectory]
    gold = [p["reward_se"] for p in points if math.isfinite(p.get("reward_se", math.nan))]
    kl = [p["kl_se"] / p["kl"] for p in points if p.get("kl", 0) > 0 and math.isfinite(p.get("kl_se", math.nan))]
    return (statistics.median(gold) if gold else math.nan), (statistics.median(kl) if kl else math.nan)


def bias_rows(headline: Headline, replications: int = 200) -> list[list[str]]:
    """The reading rule's bias, measured by simulation with the folder's own curves and noise: for each algorithm read
    along training and each seed, its trajectories stand for the truth, and pobench.reports.trajectory.reading_bias
    adds the measured noise (measured_noise over that algorithm's cells; each checkpoint's noise independent, the
    case that biases a maximum over trajectories most) ``replications`` times. One row per budget and algorithm: the
    mean over seeds of the bias, its 95% interval, and the largest over seeds; then every algorithm together."""
    rows = []
    for k in headline.budgets:
        pooled: list[tuple[float, float]] = []
        for algo, seeds in headline.trajectories.items():
            reward_sd, kl_cv = measured_noise([r for cells in seeds.values() for r, _ in cells])
            if not seeds or not math.isfinite(reward_sd):
                continue
            found = [
                (b.mean, ((b.high - b.low) / 3.92) ** 2)  # the mean and its variance, from its 95% interval
                for s in sorted(seeds)
                for b in reading_bias([t for _, t in seeds[s]], (k,), reward_sd, _or0(kl_cv), 0.0, replications, s)
            ]
            if found:
                pooled += found
                rows.append(_bias_row(f"{k:g}", algo, found))
        if pooled:
            rows.append(_bias_row(f"{k:g}", "all", pooled))
    return rows


def _or0(x: float) -> float:
    return x if math.isfinite(x) else 0.0


def _bias_row(budget: str, algo: str, found: list[tuple[float, float]]) -> list[str]:
    """(mean, variance of that mean) per seed → budget, algorithm, seeds, mean (95% CI), largest |bias|."""
    mean = statistics.fmean(m for m, _ in found)
    half = 1.96 * math.sqrt(sum(v for _, v in found)) / len(found)
    largest = max((m for m, _ in found), key=abs)
    return [budget, algo, str(len(found)), f"{mean:+.4f} ({mean - half:+.4f}, {mean + half:+.4f})", f"{largest:+.4f}"]


BIAS_HEADER = ["KL budget", "algorithm", "seeds read", "bias of the reading (95% CI)", "largest over seeds"]


def split_table(label: str, split: VarianceSplit) -> str:
    header = ["component", "variance", "sd", "share"]
    body = [
        [name, f"{value:.2e}", f"{math.sqrt(value):.4f}", _percent(split.share(value))]
        for name, value in (
            ("eval sampling", split.eval_var),
            ("train order", split.train_var),
            ("data draw", split.data_var),
        )
    ]
    body.append(["total (over seeds)", f"{split.total_var:.2e}", f"{math.sqrt(split.total_var):.4f}", "100%"])
    note = (
        f"{label}: {split.seeds} cell seeds (data, training and evaluation vary) and {split.trains} training seeds "
        "(one cell seed: the same data and evaluation noise)."
    )
    if split.clipped:
        note += f" Estimated below 0 and shown as 0: {', '.join(split.clipped)} (too few cells to tell it from 0)."
    return f"{format_table(body, header)}\n\n{note}\n"


def _number(x: float) -> str:
    return "-" if not math.isfinite(x) else f"{x:.4f}"


def _percent1(x: float) -> str:
    return "-" if not math.isfinite(x) else f"{x:.1%}"


def _percent(x: float) -> str:
    return "-" if not math.isfinite(x) else f"{x:.0%}"
