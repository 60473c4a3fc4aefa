"""``pobench noise --algos``: the two groups of cells that split one configuration's variance (bench/reports/noise.py).

The *seeds* group runs the configuration at cell seeds ``seeds`` (data, training and evaluation vary); the *train*
group at one cell seed with ``train_seed`` over ``train_seeds`` (the same data and evaluation noise keys, another
training order). Both are plain sweep cells: recorded, resumable, and in the same results folder.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pobench.core.record import RunRecord
from pobench.harness.grid import ALL, SweepConfig, resolve_grid
from pobench.harness.sweep import SweepOutcome, run_sweep
from pobench.reports.noise import sampling_se


def noise_configs(
    algo: str,
    task: str,
    model: str,
    overrides: dict[str, str],
    seeds: Sequence[int],
    train_seeds: Sequence[int],
    cell_seed: int,
) -> tuple[SweepConfig, SweepConfig]:
    """(seeds group, train group) as one-configuration sweeps (no frontier grid)."""

    def config(group_seeds: Sequence[int], extra: dict[str, list[str]]) -> SweepConfig:
        grid = {algo: {k: [v] for k, v in overrides.items()}, ALL: extra}
        return SweepConfig([algo], [task], [model], list(group_seeds), grid, name="noise", frontier=False)

    train = config([cell_seed], {"train_seed": [str(s) for s in train_seeds]})
    return config(seeds, {}), train


def run_noise(
    configs: tuple[SweepConfig, SweepConfig], out: Path, cache: Path | None = None, **sweep_args
) -> tuple[list[RunRecord], list[RunRecord], SweepOutcome]:
    """Run both groups (cells already recorded are skipped) and return each group's records."""
    resolved = [resolve_grid(c) for c in configs]  # every problem of both groups before any work
    outcome = run_sweep([*resolved[0], *resolved[1]], out, cache, **sweep_args)
    by_hash = {r.spec_hash: r for r in outcome.records}
    groups = [[by_hash[spec.hash()] for _, spec, _ in cells if spec.hash() in by_hash] for cells in resolved]
    return groups[0], groups[1], outcome


def readings(records: Sequence[RunRecord]) -> list[tuple[float, float]]:
    """(gold reward, its eval sampling standard error) of the ``ok`` cells (pobench.reports.noise.sampling_se)."""
    return [(r.metrics["eval/reward"], sampling_se(r)) for r in records if r.status == "ok"]
