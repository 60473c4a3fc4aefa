"""pobench: one import namespace, in layers that import only downward (bench/ARCHITECTURE.md).

- ``pobench.core`` (``bench/core/``): the toolkit (records, hashing, caches, settings, registries, models, sampling,
  statistics);
- ``pobench.contracts`` (``bench/contracts/``): what an adapter and a task are, the TRL defaults, pure loss maths;
- ``pobench.kit`` (``bench/kit/``): what adapters build on (preference data, TRL trainers, reward models, targets);
- ``pobench.algorithms`` (``algorithms/``) and ``pobench.tasks`` (``tasks/``): the plugins, on the kit;
- ``pobench.reports`` (``bench/reports/``): records into tables, frontiers, plots and pages;
- ``pobench.harness`` (``bench/harness/``): specs, cells, sweeps, executors, validation, performance;
- ``pobench.cli`` (``bench/cli/``): one module per ``pobench`` command.

Until December 2026 the folders installed as three top-level packages, ``bench``, ``algorithms`` and ``tasks``.
Importing pobench's own files under those names (from a checkout on ``sys.path``) is refused with the new name
(:class:`MovedModules`), so that no module loads twice; packages of those names that are not pobench's still import.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
# old top-level name -> (its folder, its name now); the contracts moved out of the plugin folders
OLD_PACKAGES = {"bench": (_HERE, "pobench"), "algorithms": (_HERE.parent / "algorithms", "pobench.algorithms"),
                "tasks": (_HERE.parent / "tasks", "pobench.tasks")}  # fmt: skip
OLD_MODULES = {
    "algorithms.base": "pobench.contracts.adapter",
    "algorithms.defaults": "pobench.contracts.defaults",
    "algorithms.losses": "pobench.contracts.losses",
    "algorithms.ppo_math": "pobench.contracts.ppo_math",
    "tasks.base": "pobench.contracts.task",
}


def new_name(old: str) -> str | None:
    """The module pobench's old module ``old`` is now, or None if ``old`` is not one of pobench's old names."""
    root, dot, rest = old.partition(".")
    if root not in OLD_PACKAGES:
        return None
    for before, after in OLD_MODULES.items():
        if old == before or old.startswith(before + "."):
            return after + old[len(before) :]
    return OLD_PACKAGES[root][1] + dot + rest


def moved_message(old: str) -> str:
    moved = [f"{b} -> {a}" for b, a in OLD_MODULES.items() if b.startswith(old + ".")]
    also = f"; moved to the contracts: {', '.join(moved)}" if moved else ""
    return f"{old!r} is pobench's old package name: import {new_name(old)} instead{also}"


class MovedModules(importlib.abc.MetaPathFinder):
    """Refuses ``import bench``/``algorithms``/``tasks`` with the new name, in two places on ``sys.meta_path``:
    first, where what would load is pobench's own folder (a checkout on ``sys.path``); last, where nothing else
    found it. A package of one of those names that is not pobench's imports as usual."""

    def __init__(self, last: bool) -> None:
        self.last = last

    def find_spec(self, fullname, path=None, target=None):
        if "." in fullname or fullname not in OLD_PACKAGES:
            return None
        if not self.last:
            spec = importlib.machinery.PathFinder.find_spec(fullname, path)
            if spec is None or spec.origin is None or Path(spec.origin).resolve().parent != OLD_PACKAGES[fullname][0]:
                return None  # not pobench's folder: let the import go on
        raise ModuleNotFoundError(moved_message(fullname), name=fullname)


if not any(isinstance(finder, MovedModules) for finder in sys.meta_path):
    sys.meta_path.insert(0, MovedModules(last=False))
    sys.meta_path.append(MovedModules(last=True))
