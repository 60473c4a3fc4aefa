"""Choose each algorithm's frontier grid on tuning seeds, never on the seeds the benchmark reports.

    pobench dev tune-grids [--algos dpo,ipo] [--model tiny] [--seeds 100,101] [--out results/tuning] [--executor ray]

Every algorithm gets the same tuning effort: the same number of candidate values of its KL knob
(each adapter's ``tuning_candidates``, log-spaced over the range the knob is used in), each run on the same tuning seeds
under the benchmark's own budget. A candidate is usable when every tuning seed finished ``ok`` and,
on every tuning seed, its samples still end (truncation rate at most ``MAX_TRUNCATION``: beyond that
the policy has degenerated into text that never stops). From the usable candidates, ordered by mean KL, the grid
keeps the two extremes ("barely moves" and "as far as it goes without diverging") and, between them,
the candidates closest to evenly spaced points in log KL. The chosen values are printed for pasting
into the adapters' ``FRONTIER_GRID`` (tiny) or the model preset's ``frontier_grids``; the table behind them is
printed too, with the KL range they span (what a model preset's ``budgets`` are read from).

A model whose knobs act on another scale (a pretrained model's learning rates are a hundred times smaller) gives
its own candidates in its preset (``Preset.tuning_candidates``), the same number for every algorithm.
"""

from __future__ import annotations

import itertools
import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pobench.algorithms import ALGORITHMS
from pobench.core.models import preset_of
from pobench.core.params import SettingsError
from pobench.core.record import read_records
from pobench.harness.grid import DEFAULT_ALGOS, SweepConfig, resolve_grid
from pobench.harness.sweep import run_sweep
from pobench.reports.headline import budgets_of, seed_trajectories
from pobench.reports.reach import kl_knob_of
from pobench.reports.trajectory import seed_reading

GRID_SIZE = 4
TUNING_SEEDS = (100, 101)
MAX_TRUNCATION = 0.5


def adapter_candidates() -> dict[str, tuple[str, ...]]:
    """algorithm → the candidate values of its adapter's knob (``Adapter.tuning_candidates``, six each: the same
    tuning effort for every algorithm), in the default benchmark's order, then any other adapter that has some."""
    named = [a for a in DEFAULT_ALGOS if a in ALGORITHMS] + [a for a in ALGORITHMS.names() if a not in DEFAULT_ALGOS]
    return {a: ALGORITHMS.get(a).tuning_candidates for a in named if ALGORITHMS.get(a).tuning_candidates}


@dataclass(frozen=True)
class Candidate:
    value: str
    kl: float  # mean over tuning seeds (NaN if a seed did not finish)
    reward: float
    truncation: float  # the largest over tuning seeds
    all_ok: bool

    @property
    def usable(self) -> bool:
        return self.all_ok and math.isfinite(self.kl) and self.truncation <= MAX_TRUNCATION


def choose_grid(candidates: Sequence[Candidate], size: int = GRID_SIZE) -> list[str]:
    """``size`` usable values spanning the usable KL range, evenly in log KL; fewer if fewer are usable.

    Ordered by KL. KL at or below 1e-3 counts as 1e-3 for the spacing (estimates near 0 can be negative).
    """
    usable = sorted((c for c in candidates if c.usable), key=lambda c: c.kl)
    if len(usable) <= size:
        return [c.value for c in usable]
    logs = [math.log(max(c.kl, 1e-3)) for c in usable]
    chosen = {0, len(usable) - 1}
    for i in range(1, size - 1):
        target = logs[0] + (logs[-1] - logs[0]) * i / (size - 1)
        free = [j for j in range(len(usable)) if j not in chosen]
        chosen.add(min(free, key=lambda j: abs(logs[j] - target)))
    return [usable[j].value for j in sorted(chosen)]


RUNS_ALONG_TRAINING = 2  # knob values a grid scored along training keeps: each run passes the budgets on its way


def choose_runs(
    curves: Mapping[str, Mapping[int, Sequence[tuple[float, float]]]],
    budgets: Sequence[float],
    size: int = RUNS_ALONG_TRAINING,
) -> tuple[list[str], int, float]:
    """For cells scored along training: the ``size`` candidate values whose runs, read together as the headline
    reads a seed (pobench.reports.trajectory.seed_reading: each run's latest policy within the budget, the seed's
    best run), read the most (seed, budget) pairs on the tuning seeds, and among those the highest mean reading.
    Ties go to the candidates given first. ``curves``: value → tuning seed → its run's (KL, gold) points from the
    start. Returns (values, pairs read, mean reading over them); fewer values where fewer candidates are given."""
    values = list(curves)
    seeds = sorted({s for runs in curves.values() for s in runs})
    best: tuple[list[str], int, float] = ([], -1, -math.inf)
    for chosen in itertools.combinations(values, min(size, len(values))):
        read = [seed_reading([curves[v][s] for v in chosen if s in curves[v]], k) for s in seeds for k in budgets]
        read = [r for r in read if math.isfinite(r)]
        score = (len(read), sum(read) / len(read) if read else -math.inf)
        if score > best[1:]:
            best = (list(chosen), *score)
    return best


def run_curves(records, algo: str, knob: str) -> dict[str, dict[int, list[tuple[float, float]]]]:
    """value of ``knob`` → tuning seed → the run's curve from the start, as the headline builds it
    (pobench.reports.headline.seed_trajectories, with each seed's SFT cell as the start), for ``algo``'s cells."""
    sft = {r.seed: r.metrics["eval/reward"] for r in records if r.algo == "sft" and r.status == "ok"}
    out: dict[str, dict[int, list]] = {}
    for r in records:
        if r.algo == algo and r.trajectory:
            for seed, cells in seed_trajectories([r], sft).items():
                out.setdefault(str(r.hparams[knob]), {})[seed] = cells[0][1]
    return out


def candidates_from_records(records, algo: str, knob: str) -> list[Candidate]:
    """One Candidate per value of ``knob`` among ``algo``'s records (any seeds)."""
    by_value: dict[str, list] = {}
    for r in records:
        if r.algo == algo:
            by_value.setdefault(str(r.hparams[knob]), []).append(r)
    out = []
    for value, group in by_value.items():
        ok = [r for r in group if r.status == "ok"]
        all_ok = len(ok) == len(group)

        def mean(metric: str, ok=ok, all_ok=all_ok) -> float:
            return sum(r.metrics[metric] for r in ok) / len(ok) if ok and all_ok else math.nan

        worst_cut = max((r.metrics["eval/truncation_rate"] for r in ok), default=math.nan) if all_ok else math.nan
        out.append(Candidate(value, mean("eval/kl"), mean("eval/reward"), worst_cut, all_ok))
    return sorted(out, key=lambda c: float(c.value))


def candidates_for(model: str) -> dict[str, tuple[str, ...]]:
    """Each tuned algorithm's candidates on ``model``: its preset's where it gives them, else tiny's."""
    return {**adapter_candidates(), **preset_of(model).tuning_candidates}


def tune(
    algos: Sequence[str],
    seeds: Sequence[str],
    out: Path,
    cache: Path | None,
    executor: str,
    cpus_per_cell: int,
    model: str = "tiny",
) -> int:
    """Run every candidate of each of ``algos`` on ``model`` and the tuning ``seeds`` into ``out`` (resumable), then
    print each algorithm's candidates and the grid chosen from them. An algorithm without candidates is a
    SettingsError before any cell runs."""
    candidates_of = candidates_for(model)
    if not algos:
        raise SettingsError(f"--algos: name at least one algorithm (tuned here: {', '.join(candidates_of)})")
    unknown = [a for a in algos if a not in candidates_of]
    if unknown:
        raise SettingsError(f"--algos: no candidates for {unknown[0]!r} (tuned here: {', '.join(candidates_of)})")
    shown = ",".join(seeds)
    config = SweepConfig(algos=list(algos), models=[model], seeds=list(seeds), name="tuning", frontier=False)
    for algo in algos:
        config.add_values(f"{algo}.{kl_knob_of(algo, model)}", list(candidates_of[algo]), "tuning")
    out = Path(out)
    resolved = resolve_grid(config)
    print(f"tuning: {len(resolved)} cells of {model} on seeds {shown} → {out}", file=sys.stderr)
    run_sweep(
        resolved,
        out,
        Path(cache) if cache else None,
        progress_mode="quiet",
        executor=executor,
        cpus_per_cell=cpus_per_cell,
    )
    records = [r for r in read_records(out) if r.model == model]
    spans = []
    for algo in algos:
        knob = kl_knob_of(algo, model)
        wanted = {float(v) for v in candidates_of[algo]}  # a folder may hold records of earlier candidate lists
        candidates = [c for c in candidates_from_records(records, algo, knob) if float(c.value) in wanted]
        print(f"\n{algo} ({knob}), means over seeds {shown}:")
        for c in candidates:
            flag = "" if c.usable else ("  (not usable: a seed failed)" if not c.all_ok else "  (not usable)")
            print(f"  {knob}={c.value:>6}  KL {c.kl:8.3f}  reward {c.reward:+.3f}  truncated {c.truncation:.2f}{flag}")
        grid = choose_grid(candidates)
        print(f"  FRONTIER_GRID = {tuple(grid)!r}")
        curves = run_curves(records, algo, knob)
        if curves:  # scored along training: the runs that read the most budgets
            runs, read, mean = choose_runs(curves, budgets_of(model))
            pairs = len({s for c in curves.values() for s in c}) * len(budgets_of(model))
            print(f"  along training: {tuple(runs)!r} read {read} of {pairs} (seed, budget) pairs, mean {mean:+.3f}")
        spans += [c.kl for c in candidates if c.value in grid]
    if spans:
        print(f"\nKL spanned by the chosen grids on {model}: {min(spans):.3g} to {max(spans):.3g} nats")
    return 0
