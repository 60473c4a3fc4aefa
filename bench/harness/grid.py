"""A sweep's grid: algorithms × tasks × models × seeds × hyperparameter values, from flags or YAML.

Expansion is pure; validation resolves every cell before the first one runs and reports every bad
value in the grid at once, so a typo in the last cell does not surface an hour into the sweep.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import yaml
from pobench.algorithms import ALGORITHMS
from pobench.core.models import ModelError, preset_of
from pobench.core.params import SettingsError, meaning_of, meaning_text
from pobench.core.registry import RegistryError
from pobench.core.settings import common_keys
from pobench.harness.spec import parse_seed, parse_seeds, resolve_spec

# The default benchmark: the seven algorithms and both baselines, on the embedded task and model.
DEFAULT_ALGOS = ("sft", "best-of-n", "dpo", "ipo", "kto", "cpo", "orpo", "simpo", "ppo")
DEFAULT_SEEDS = (0, 1, 2, 3)
ALL = "*"  # grid entries that apply to every algorithm that has the key


@dataclass(frozen=True)
class Cell:
    """One unresolved cell: names and ``--set`` strings, as the user wrote them."""

    algo: str
    task: str
    model: str
    seed: int
    overrides: tuple[tuple[str, str], ...] = ()
    varying: frozenset[str] = frozenset()  # keys the grid gives several values: the ones a label shows
    # where each override came from (spec.SOURCES, with the flag or file): pobench sweep --explain, the record
    sources: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    @property
    def label(self) -> str:
        extra = " ".join(f"{k}={v}" for k, v in self.overrides if k in self.varying)
        return f"{self.algo}{' ' + extra if extra else ''} | {self.task} | {self.model} | seed {self.seed}"


@dataclass
class SweepConfig:
    algos: list[str] = field(default_factory=lambda: list(DEFAULT_ALGOS))
    tasks: list[str] = field(default_factory=lambda: ["sentiment"])
    models: list[str] = field(default_factory=lambda: ["tiny"])
    seeds: list[int] = field(default_factory=lambda: list(DEFAULT_SEEDS))
    # target ("*" or an algorithm) → key → values; one cell per combination of one algorithm's values
    grid: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    name: str = "default"
    out: str | None = None
    # every algorithm over its frontier grid (its KL knob's declared values) unless the grid sets that knob;
    # False: one point per algorithm at its defaults
    frontier: bool = True
    # after the grid, at most this many extra cells per (algorithm, task, model, seed), the same for every
    # algorithm, placed where a KL budget has no reading (bench/harness/placement.py); 0: none
    extra_cells: int = 2
    # (target, key) -> where its values were given ("--set", "FILE: set")
    origins: dict[tuple[str, str], str] = field(default_factory=dict)
    keep_policy: bool = False  # every cell saves its trained policy (pobench sweep --keep-policy)

    def add_assignment(self, text: str, where: str) -> None:
        """``KEY=v1,v2`` (every algorithm that has KEY) or ``ALGO.KEY=v1,v2`` (that algorithm only)."""
        key, sep, values = text.partition("=")
        key = key.strip()
        if not sep or not key:
            raise SettingsError(
                f"{where} {text!r}: expected [ALGO.]KEY=VALUE[,VALUE...], e.g. {where} dpo.beta=0.1,0.5"
            )
        self.add_values(key, [v.strip() for v in values.split(",")], where)

    def add_values(self, key: str, values: list[Any], where: str) -> None:
        target, dot, name = key.rpartition(".")
        target = target if dot else ALL
        if not name or any(v == "" for v in map(str, values)) or not values:
            raise SettingsError(f"{where} {key}={values!r}: every value must be non-empty")
        slot = self.grid.setdefault(target, {})
        if name in slot:
            raise SettingsError(f"{where} {key} given twice")
        slot[name] = [_as_text(v) for v in values]
        self.origins[target, name] = where


CONFIG_KEYS = {f.name for f in fields(SweepConfig)} - {"grid", "origins", "keep_policy"} | {"set"}


def load_config(path: str | Path) -> SweepConfig:
    """A YAML sweep file; see docs/sweeps.md. A file with problems (unknown keys, wrong shapes) raises one
    SettingsError that lists every one of them, and every problem of the grid it describes, each naming the file."""
    path = Path(path)
    where = str(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig")) or {}
    except FileNotFoundError:
        raise SettingsError(f"sweep config {where}: no such file") from None
    except UnicodeDecodeError as exc:
        raise SettingsError(f"sweep config {where}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except yaml.YAMLError as exc:
        raise SettingsError(f"sweep config {where}: not valid YAML ({exc})") from None
    if not isinstance(data, dict):
        raise SettingsError(f"sweep config {where}: expected a mapping of {', '.join(sorted(CONFIG_KEYS))}")
    problems = [
        f"sweep config {where}: unknown key {key!r} (accepted: {', '.join(sorted(CONFIG_KEYS))})"
        for key in sorted(set(data) - CONFIG_KEYS, key=str)
    ]
    config = SweepConfig()

    def gather(action, *args) -> None:  # a problem is listed and reading goes on
        try:
            action(*args)
        except SettingsError as exc:
            problems.append(str(exc))

    for key in ("algos", "tasks", "models"):
        if key in data:
            gather(lambda k: setattr(config, k, _as_list(data[k], f"sweep config {where}: {k}")), key)
    if "seeds" in data:  # a list, or ranges as on the command line: 0-3
        gather(lambda: setattr(config, "seeds", _seed_list(data["seeds"], f"sweep config {where}: seeds")))
    for key in ("name", "out"):
        if key in data:
            config.__setattr__(key, str(data[key]))
    if "frontier" in data:
        if isinstance(data["frontier"], bool):
            config.frontier = data["frontier"]
        else:
            problems.append(f"sweep config {where}: frontier must be true or false, got {data['frontier']!r}")
    if "extra_cells" in data:
        value = data["extra_cells"]
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            config.extra_cells = value
        else:
            problems.append(f"sweep config {where}: extra_cells must be a whole number >= 0, got {value!r}")
    sets = data.get("set") or {}
    if not isinstance(sets, dict):
        problems.append(f"sweep config {where}: 'set' must map [ALGO.]KEY to a value or a list of values")
        sets = {}
    for key, values in sets.items():
        gather(lambda k, v: config.add_values(str(k), _as_list(v, f"{where}: set.{k}"), f"{where}: set"), key, values)
    if problems:
        resolve_grid(config, problems)  # raises, with the grid's own problems listed after the file's
    return config


def expand(config: SweepConfig) -> list[Cell]:
    """Every cell of the grid, seed-major: each seed completes a full picture before the next starts."""
    seeds = [parse_seed(s) for s in config.seeds]
    grids = {(algo, model): algo_grid(config, algo, model) for algo in config.algos for model in config.models}
    varying = frozenset(k for keys in grids.values() for k, values in keys.items() if len(values) > 1)
    cells = []
    for task, model, seed in itertools.product(config.tasks, config.models, seeds):
        for algo in config.algos:
            own = grids[algo, model]
            keys = sorted(own)
            sources = tuple(sorted(grid_sources(config, algo, model, keys).items()))
            for values in itertools.product(*(own[k] for k in keys)):
                cells.append(Cell(algo, task, model, seed, tuple(zip(keys, values)), varying, sources))
    return cells


def grid_sources(config: SweepConfig, algo: str, model: str, keys: list[str]) -> dict[str, str]:
    """Where each of ``algo_grid``'s keys came from: the sweep's own values (flag or file), or a frontier grid."""
    out = {}
    for key in keys:
        for target, label in ((algo, f"{algo}.{key}"), (ALL, key)):
            if key in config.grid.get(target, {}):
                out[key] = f"sweep grid ({config.origins.get((target, key), '--set')} {label})"
                break
        else:
            whose = f"model preset {model}" if algo in preset_of(model).frontier_grids else f"adapter {algo}"
            out[key] = f"frontier grid ({whose})"
    return out


def algo_grid(config: SweepConfig, algo: str, model: str = "tiny") -> dict[str, list[str]]:
    """One algorithm's keys and values: its own keys, the "*" keys it has, and (with ``config.frontier``)
    its frontier grid on ``model`` unless those set its KL knob. Its cells are the product of the values.

    A "*" key applies only where the algorithm has it (shared settings apply everywhere); which keys
    an algorithm has is checked in ``resolve_cells``.
    """
    own = {k: v for k, v in config.grid.get(ALL, {}).items() if k in common_keys() or _has_hparam(algo, k)}
    own.update(config.grid.get(algo, {}))
    knob, values = frontier_of(algo, model)
    if config.frontier and knob and knob not in own:
        own[knob] = list(values)
    return own


def frontier_of(algo: str, model: str = "tiny") -> tuple[str | None, tuple[str, ...]]:
    """An algorithm's KL knob and its frontier grid on ``model`` (the model's preset may give its own);
    (None, ()) for one that has none, or an algorithm or model that is not registered."""
    if algo not in ALGORITHMS:
        return None, ()
    cls, preset = ALGORITHMS.get(algo), preset_of(model)
    grid = preset.frontier_grid(algo, cls)
    return (preset.kl_knob(algo, cls), grid) if grid else (None, ())


def ambiguous(key: str, where: str, algos: list[str]) -> list[str]:
    """The problem with an unqualified ``key`` that the algorithms of a sweep declare with different meanings
    (bench/core/params.py ``meaning_of``): one line naming each meaning, its algorithms and the qualified forms."""
    holders: dict[str, list[str]] = {}
    for algo in algos:
        if _has_hparam(algo, key):
            holders.setdefault(meaning_of(ALGORITHMS.get(algo).hparams, key), []).append(algo)
    if len(holders) < 2:
        return []
    texts = [meaning_text(ALGORITHMS.get(names[0]).hparams, key) for names in holders.values()]
    each = "; ".join(f"{', '.join(names)}: {text}" for names, text in zip(holders.values(), texts))
    qualified = ", ".join(f"{names[0]}.{key}" for names in holders.values())
    return [f"{where} {key}: means different settings in this sweep's algorithms ({each}); give it per algorithm, "
            f"e.g. {qualified}"]  # fmt: skip


def _has_hparam(algo: str, key: str) -> bool:
    return algo in ALGORITHMS and key in {f.name for f in fields(ALGORITHMS.get(algo).hparams)}


def resolve_grid(config: SweepConfig, problems: list[str] | None = None) -> list[tuple[Cell, Any, Any]]:
    """Every cell of the sweep resolved (``resolve_cells(config, expand(config))``), or one SettingsError listing
    every problem: ``problems`` already found, bad seeds, and each bad name and value of the grid."""
    problems = list(problems or [])
    seeds = []
    for seed in config.seeds:
        try:
            seeds.append(parse_seed(seed))
        except SettingsError as exc:
            problems.append(f"seeds: {exc}")
    return resolve_cells(config, expand(replace(config, seeds=seeds)), problems)


def resolve_cells(
    config: SweepConfig, cells: list[Cell], problems: list[str] | None = None
) -> list[tuple[Cell, Any, Any]]:
    """(cell, spec, model source) for every cell, or one SettingsError listing every problem in the grid
    (after ``problems``, those found before)."""
    problems = list(problems or [])
    for target in config.grid:
        if target != ALL and target not in config.algos:
            problems.append(
                f"--set {target}.*: {target!r} is not one of this sweep's algorithms ({', '.join(config.algos)})"
            )
    for key in config.grid.get(ALL, {}):
        if key not in common_keys() and not any(_has_hparam(a, key) for a in config.algos):
            names = sorted(common_keys())
            problems.append(
                f"--set {key}: no algorithm in this sweep ({', '.join(config.algos)}) has a setting {key!r}, "
                f"and it is not a shared setting ({', '.join(names)})"
            )
        elif key not in common_keys():
            problems += ambiguous(key, config.origins.get((ALL, key), "--set"), config.algos)
    resolved = []
    for cell in cells:
        try:
            spec, source = resolve_spec(
                cell.algo, cell.task, cell.model, cell.seed, dict(cell.overrides), dict(cell.sources)
            )
        except (RegistryError, SettingsError, ModelError) as exc:
            if str(exc) not in problems:
                problems.append(str(exc))
            continue
        resolved.append((cell, replace(spec, keep_policy=config.keep_policy), source))
    if not config.algos or not config.tasks or not config.models or not config.seeds:
        problems.append("the grid is empty: give at least one algorithm, task, model and seed")
    hashes: dict[str, Cell] = {}
    for cell, spec, _ in resolved:
        other = hashes.setdefault(spec.hash(), cell)
        if other is not cell:
            problems.append(f"cells {other.label!r} and {cell.label!r} are the same cell (a value given twice?)")
    if problems:
        listing = "\n  ".join(problems)
        raise SettingsError(f"the sweep's grid has {len(problems)} problem(s); nothing was run:\n  {listing}")
    return resolved


def _as_list(value: Any, where: str) -> list[Any]:
    if isinstance(value, list):
        items = value
    elif isinstance(value, str):
        items = [v.strip() for v in value.split(",")]
    else:
        items = [value]
    if not items:
        raise SettingsError(f"{where}: give at least one value")
    for item in items:
        if isinstance(item, (dict, list)):
            raise SettingsError(f"{where}: {item!r} is not a single value")
    return items


def _seed_list(value: Any, where: str) -> list[int]:
    try:
        return [s for item in _as_list(value, where) for s in parse_seeds(str(item))]
    except SettingsError as exc:
        raise SettingsError(f"{where}: {exc}") from None


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
