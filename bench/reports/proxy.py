"""Reward hacking and cost at matched KL, beside the headline (bench/reports/headline.py).

Every cell's record carries the calibrated proxy reward ``eval/proxy_reward`` (its seed's reward model, mapped into
gold units by least squares of gold on proxy over the reference policy's samples, so the two agree at KL 0) and its
training compute ``perf/train_flops``. Read along the frontier that gives the gold reading:

- **proxy@k**: per seed, the headline's gold reading at budget k rests on one envelope point, or on the segment
  between two envelope points at weight t = log(k/KL₀)/log(KL₁/KL₀) (frontier.envelope_at), or, past the envelope's last
  point, on that point (frontier.reward_within). The proxy reading is the proxy of those same cells, interpolated
  with the same t: P₀ + (P₁ − P₀)·t. Over seeds: mean with a 95% Student-t interval, as gold.
- **gap@k** = proxy@k − gold@k, paired within a seed, then mean and interval over seeds: how far the policy's
  reward model overrates it at that budget (reward hacking when it grows with k).
- **flops@k**: the training compute of the cells the reading rests on, interpolated with the same t in log FLOPs
  (F₀^(1−t)·F₁^t: compute grows geometrically along a grid spaced in log KL); the mean over seeds.
- A mean needs a reading on every seed of the algorithm (as the gold mean does); else NaN, shown "-". Old records,
  without the proxy or FLOPs metrics, give NaN throughout.
- **Along training** (cells scored at checkpoints): the gold reading is one run's, at a fractional position between
  two of its checkpoints (trajectory.best_trajectory); the proxy is interpolated between the same two checkpoints
  with the same weight, and the FLOPs are the run's training FLOPs up to that point (its train FLOPs × step / its
  last step, linear between checkpoints). The start of a run is the seed's SFT cell: KL 0, its gold, its calibrated
  proxy, 0 FLOPs (``trajectory_cells``).

**Where gold stops rising while the proxy still rises** (``overoptimization``): per configuration (one
hyperparameter setting, the grid's knob value) the mean over its ok seeds of KL, gold and proxy; the configurations
ordered by mean KL; the first step from one to the next where gold falls while the proxy rises. Its KL (where gold
stopped rising) and the next configuration's are reported; "not in grid" when no step does that. Means over seeds
first, so one noisy seed does not mark a turn that the others do not show.

**Gao et al. (2023) fits** (bench/reports/gao.py): per seed, the gain over the seed's SFT cell's gold reward (the
mean SFT gold when the seed has no SFT cell) of gold and of the calibrated proxy, against d = √KL. Both gains are
taken over the same SFT gold: the calibration makes the proxy agree with gold at KL 0.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence

import numpy as np
from pobench.core.inference import t_interval
from pobench.core.record import RunRecord
from pobench.reports import gao
from pobench.reports.frontier import KL_FLOOR, bracket, reach_within
from pobench.reports.trajectory import TRAJECTORY_STATUSES, best_trajectory, usable_points

PROXY = "eval/proxy_reward"
FLOPS = "perf/train_flops"
Cell = tuple[float, float, float, float]  # an ok cell's (KL, gold, calibrated proxy, train FLOPs); NaN: not recorded


def cell_of(r: RunRecord) -> Cell:
    m = r.metrics
    return float(m["eval/kl"]), float(m["eval/reward"]), float(m.get(PROXY, math.nan)), float(m.get(FLOPS, math.nan))


def envelope_cells(cells: Sequence[Cell]) -> list[Cell]:
    """The cells on the upper envelope of (KL, gold), KL floored at KL_FLOOR, by KL ascending: the points, and the
    cells behind them, that frontier.envelope_at interpolates (the first of equal (KL, gold) cells stands for them)."""
    finite = [(max(c[0], KL_FLOOR), *c[1:]) for c in cells if math.isfinite(c[0]) and math.isfinite(c[1])]
    out: list[Cell] = []
    for c in sorted(finite, key=lambda c: (c[0], -c[1])):
        if not out or c[1] > out[-1][1]:
            out.append(c)
    return out


def read_along(cells: Sequence[Cell], budget: float, index: int, log: bool = False) -> float:
    """Field ``index`` of the cells that give the gold reading at ``budget`` (frontier.reward_within), with the gold
    reading's interpolation weight: linear, or linear in log of the field (``log``; NaN unless both are > 0). NaN
    where gold has no reading or a field it needs is NaN."""
    env = envelope_cells(cells)
    br = bracket([c[0] for c in env], budget)
    if br is None:
        if reach_within([(c[0], c[1]) for c in cells], budget) != "ok":
            return math.nan
        br = (len(env) - 1, len(env) - 1, 0.0)  # past the last envelope point: that point's cell
    i0, i1, t = br
    a, b = env[i0][index], env[i1][index]
    if i0 == i1 or a == b:  # one cell, or two that agree (a method that trains nothing: 0 FLOPs)
        return a if not log or a >= 0 else math.nan
    if log:
        return math.exp(math.log(a) + (math.log(b) - math.log(a)) * t) if a > 0 and b > 0 else math.nan
    return a + (b - a) * t


def gold_within(cells: Sequence[Cell], budget: float) -> float:
    return read_along(cells, budget, 1)


def proxy_within(cells: Sequence[Cell], budget: float) -> float:
    return read_along(cells, budget, 2)


def flops_within(cells: Sequence[Cell], budget: float) -> float:
    return read_along(cells, budget, 3, log=True)


def over_seeds(values: dict[int, float], seeds: int) -> tuple[float, float, float]:
    """(mean, low, high) with a 95% t interval when every one of ``seeds`` seeds has a finite value; NaN else."""
    finite = [v for v in values.values() if math.isfinite(v)]
    return t_interval(finite) if seeds and len(finite) == seeds else (math.nan,) * 3


def budget_columns(seed_cells: dict[int, list[Cell]], k: float) -> dict[str, float]:
    """proxy@k, gap@k (each with low and high) and flops@k of one algorithm, its cells by seed."""
    gold = {s: gold_within(c, k) for s, c in seed_cells.items()}
    proxy = {s: proxy_within(c, k) for s, c in seed_cells.items()}
    gap = {s: proxy[s] - gold[s] for s in seed_cells}
    flops = {s: flops_within(c, k) for s, c in seed_cells.items()}
    return summarized(proxy, gap, flops, len(seed_cells), k)


def summarized(proxy: dict, gap: dict, flops: dict, seeds: int, k: float) -> dict[str, float]:
    """The columns at budget k from per-seed proxy, gap and FLOPs readings over ``seeds`` seeds."""
    out: dict[str, float] = {}
    for stem, values in (("proxy", proxy), ("gap", gap)):
        mean, low, high = over_seeds(values, seeds)
        out.update({f"{stem}@{k:g}": mean, f"{stem}_low@{k:g}": low, f"{stem}_high@{k:g}": high})
    out[f"flops@{k:g}"] = over_seeds(flops, seeds)[0]
    return out


def trajectory_cells(r: RunRecord, sft_gold: dict[int, float], sft_proxy: dict[int, float]) -> list[Cell]:
    """A run scored along training as (KL, gold, calibrated proxy, train FLOPs so far) per point, in step order: the
    seed's start where it has an SFT cell, then the checkpoints the headline reads (trajectory.usable_points, as
    headline.seed_trajectories cuts them; an ok cell without a trajectory: its end point alone); points without a
    finite KL or gold are left out, as the reading does."""
    m = r.metrics
    end = {"step": 1.0, "kl": m.get("eval/kl", math.nan), "reward": m.get("eval/reward", math.nan)}
    trajectory = r.trajectory or [{**end, "proxy_reward": m.get(PROXY, math.nan)}]
    total = float(m.get(FLOPS, math.nan))
    last = max((float(p["step"]) for p in trajectory if "step" in p), default=math.nan)
    start = [(0.0, sft_gold[r.seed], sft_proxy.get(r.seed, math.nan), 0.0)] if r.seed in sft_gold else []
    points = [
        (float(p["kl"]), float(p["reward"]), float(p.get("proxy_reward", math.nan)), total * float(p["step"]) / last)
        for p in usable_points(trajectory)
    ]
    return [c for c in start + points if math.isfinite(c[0]) and math.isfinite(c[1])]


def at_position(run: Sequence[Cell], position: float, index: int) -> float:
    """Field ``index`` of ``run`` at a fractional position (i + t: between points i and i + 1 at weight t)."""
    i = int(math.floor(position))
    t = position - i
    if t == 0 or i + 1 >= len(run):
        return run[i][index]
    return run[i][index] + (run[i + 1][index] - run[i][index]) * t


def budget_columns_along(seed_runs: dict[int, list[list[Cell]]], k: float) -> dict[str, float]:
    """budget_columns for cells scored along training, their runs by seed (trajectory_cells each)."""
    proxy, gap, flops = {}, {}, {}
    for seed, runs in seed_runs.items():
        best = best_trajectory([[(c[0], c[1]) for c in run] for run in runs], k)
        if best is None:
            proxy[seed] = gap[seed] = flops[seed] = math.nan
            continue
        i, reading = best
        proxy[seed] = at_position(runs[i], reading.position, 2)
        gap[seed] = proxy[seed] - reading.gold
        flops[seed] = at_position(runs[i], reading.position, 3)
    return summarized(proxy, gap, flops, len(seed_runs), k)


def configuration_means(records: Sequence[RunRecord]) -> list[tuple[float, float, float]]:
    """Per configuration (hyperparameters) of ok cells with KL, gold and proxy: the means over its seeds of
    (KL, gold, proxy), ordered by mean KL."""
    groups: dict[str, list[Cell]] = {}
    for r in records:
        if r.status == "ok":
            c = cell_of(r)
            if all(math.isfinite(x) for x in c[:3]):
                groups.setdefault(json.dumps(r.hparams, sort_keys=True), []).append(c)
    means = [tuple(float(np.mean([c[i] for c in cells])) for i in range(3)) for cells in groups.values()]
    return sorted(means, key=lambda m: m[0])  # type: ignore[return-value]


def overoptimization(points: Sequence[tuple[float, float, float]]) -> tuple[float, float] | None:
    """The first step, over (KL, gold, proxy) points ordered by KL, where gold falls while the proxy rises: (its KL,
    the next point's KL); None when no step does."""
    ordered = sorted(points, key=lambda p: p[0])
    for (k0, g0, p0), (k1, g1, p1) in zip(ordered, ordered[1:]):
        if g1 < g0 and p1 > p0:
            return k0, k1
    return None


def overoptimization_columns(records: Sequence[RunRecord]) -> dict[str, float]:
    """overopt_kl and overopt_next_kl (NaN: no turn in the grid, or too few points), overopt_configs (how many
    configurations had a proxy: fewer than 2 and there is nothing to judge)."""
    points = configuration_means(records)
    turn = overoptimization(points) if len(points) >= 2 else None
    kl, next_kl = turn if turn else (math.nan, math.nan)
    return {"overopt_kl": kl, "overopt_next_kl": next_kl, "overopt_configs": float(len(points))}


def gao_columns(algo: str, seed_cells: dict[int, list[Cell]], sft_gold: dict[int, float], sft_mean: float) -> dict:
    """The Gao et al. fit of gold (gao_*) and of the calibrated proxy (gao_proxy_*) gains over SFT gold."""
    out: dict = {"gao_form": gao.form_of(algo)}
    for prefix, index in (("gao", 1), ("gao_proxy", 2)):
        per_seed = {}
        for seed, cells in seed_cells.items():
            base = sft_gold.get(seed, sft_mean)
            per_seed[seed] = [(c[0], c[index] - base) for c in cells if math.isfinite(base)]
        fitted = gao.fit_over_seeds(per_seed, out["gao_form"])
        out.update({f"{prefix}_{name}": value for name, value in fitted.items()})
    return out


def proxy_columns(
    algo: str,
    records: Sequence[RunRecord],
    budgets: Sequence[float],
    sft_gold: dict[int, float],
    sft_mean: float,
    sft_proxy: dict[int, float] | None = None,
) -> dict:
    """Every column this module adds to an algorithm's headline row (its records, every seed and status): read along
    training where the cells were scored at checkpoints (as the headline's gold is), else at the end points."""
    seed_cells: dict[int, list[Cell]] = {}
    for r in records:
        seed_cells.setdefault(r.seed, [])
        if r.status == "ok":
            seed_cells[r.seed].append(cell_of(r))
    out: dict = {}
    if any(r.trajectory for r in records):
        seed_runs: dict[int, list[list[Cell]]] = {s: [] for s in seed_cells}
        for r in records:
            if r.status in TRAJECTORY_STATUSES and (r.trajectory or r.status == "ok"):
                seed_runs[r.seed].append(trajectory_cells(r, sft_gold, sft_proxy or {}))
        for k in budgets:
            out.update(budget_columns_along(seed_runs, k))
    else:
        for k in budgets:
            out.update(budget_columns(seed_cells, k))
    return {**out, **overoptimization_columns(records), **gao_columns(algo, seed_cells, sft_gold, sft_mean)}


# -- presentation ------------------------------------------------------------------------------------

TURN = "gold falls, proxy rises (KL)"


def proxy_table_columns(budgets: Sequence[float]) -> list[str]:
    out = ["algorithm"]
    for k in budgets:
        out += [f"proxy @{k:g} (95% CI)", f"gap @{k:g} (95% CI)", f"train FLOPs @{k:g}"]
    return [*out, TURN]


def interval_text(mean: float, low: float, high: float, fmt: str = "+.3f") -> str:
    if math.isnan(mean):
        return "-"
    return f"{mean:{fmt}}" + ("" if math.isnan(low) else f" ({low:{fmt}}, {high:{fmt}})")


def flops_text(value: float) -> str:
    """2.1e12: two significant figures and the power of ten; "0" for none (best-of-n trains nothing); "-" for NaN."""
    if value == 0:
        return "0"
    if not math.isfinite(value) or value < 0:
        return "-"
    exponent = math.floor(math.log10(value))
    mantissa = value / 10**exponent
    if round(mantissa, 1) >= 10:
        mantissa, exponent = mantissa / 10, exponent + 1
    return f"{mantissa:.1f}e{exponent}"


def turn_text(row) -> str:
    if row["overopt_configs"] < 2:
        return "-"
    if math.isnan(row["overopt_kl"]):
        return "not in grid"
    return f"{row['overopt_kl']:.2f} → {row['overopt_next_kl']:.2f}"


def proxy_rows(rows, budgets: Sequence[float]) -> list[list[str]]:
    """The text rows of the "Proxy and cost at matched KL" table, in the headline's order."""
    out = []
    for _, row in rows.iterrows():
        cells = [row["algo"]]
        for k in budgets:
            cells.append(interval_text(row[f"proxy@{k:g}"], row[f"proxy_low@{k:g}"], row[f"proxy_high@{k:g}"]))
            cells.append(interval_text(row[f"gap@{k:g}"], row[f"gap_low@{k:g}"], row[f"gap_high@{k:g}"]))
            cells.append(flops_text(row[f"flops@{k:g}"]))
        out.append([*cells, turn_text(row)])
    return out


PROXY_LEGEND = (
    "Proxy: the seed's reward model's mean score on the policy's samples, calibrated into gold units (least squares "
    "of gold on proxy over the reference policy's samples, so proxy and gold agree at KL 0), read along the same "
    "frontier as the gold reading (the same cells, interpolated with the same weight in log KL); mean over seeds with "
    "a 95% Student-t interval. Gap: proxy − gold, paired within a seed: what the reward model credits the policy "
    "beyond gold (below 0: it credits less); a gap that rises with KL is the reward model being exploited. Train "
    "FLOPs: the analytic training compute of the cells the reading rests on, interpolated in log FLOPs, mean over "
    "seeds; 0 for a method that trains nothing (best-of-n pays when it samples: perf/eval_flops). Gold falls, "
    "proxy rises: over the configurations (means over seeds) ordered by KL, the first step where gold falls while the "
    "proxy still rises "
    "(the KL where gold stopped rising → the next); not in grid: no such step. -: not recorded (older records) or "
    "not read on every seed."
)

GAO_COLUMNS = (
    "algorithm",
    "form",
    "gold α (95% CI)",
    "gold β (95% CI)",
    "proxy α (95% CI)",
    "proxy β (95% CI)",
    "seeds (gold / proxy)",
)


def gao_rows(rows) -> list[list[str]]:
    out = []
    for _, row in rows.iterrows():
        cells = [row["algo"], f"R = {gao.FORMS[row['gao_form']]}"]
        for prefix in ("gao", "gao_proxy"):
            for name in ("alpha", "beta"):
                cells.append(interval_text(row[f"{prefix}_{name}"], row[f"{prefix}_{name}_low"],
                                           row[f"{prefix}_{name}_high"]))  # fmt: skip
        out.append([*cells, f"{int(row['gao_seeds'])} / {int(row['gao_proxy_seeds'])}"])
    return out


GAO_LEGEND = (
    "A reading aid, not a headline: the functional forms of Gao, Schulman and Hilton (2023), fitted by least squares "
    "to each seed's points, d = √KL and R the gain over the seed's SFT gold reward (of gold, and of the calibrated "
    "proxy): best-of-n R = d(α − β·d), every other method R = d(α − β·log d). α: the initial slope of the gain; β: "
    "how fast it bends over (the gold β above the proxy β: overoptimization). Mean over the seeds fitted (gold / "
    "proxy) with a 95% Student-t interval; -: fewer than 2 seeds with 2 points apart."
)
