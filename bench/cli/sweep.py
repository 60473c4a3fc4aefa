"""``pobench sweep [CONFIG]``: a grid of cells, resumable, then the leaderboard."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from pobench.claims import CLAIMS
from pobench.claims.report import evaluate
from pobench.claims.report import markdown as claims_markdown
from pobench.cli.options import (
    DEFAULT_OUT,
    KEEP_POLICY_HELP,
    add_algos_arg,
    add_cache_arg,
    add_device_arg,
    add_executor_args,
    add_models_arg,
    add_out_arg,
    add_precision_arg,
    add_seeds_arg,
    add_set_arg,
    add_tasks_arg,
    add_wandb_args,
    assignments,
    check_folders,
    make_tracker,
    report_wandb,
)
from pobench.core.params import SettingsError
from pobench.core.record import read_records
from pobench.harness.grid import DEFAULT_ALGOS, DEFAULT_SEEDS, SweepConfig, load_config, resolve_grid
from pobench.harness.placement import Placement
from pobench.harness.sweep import run_sweep, stage_totals
from pobench.reports import verdict
from pobench.reports.leaderboard import build_boards
from pobench.reports.publish import write_outputs
from pobench.reports.report import settings_lines


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Expand algorithms × tasks × models × seeds × hyperparameter values into cells and run them. "
        "A cell whose record exists is skipped, so the same command resumes a sweep that was stopped. "
        "Each algorithm runs over its frontier grid (the values of its KL knob, `pobench list algorithms`) unless "
        "--set gives that knob or --no-frontier is passed. "
        f"With no arguments: the default benchmark ({', '.join(DEFAULT_ALGOS)} on sentiment with tiny, "
        f"seeds {','.join(map(str, DEFAULT_SEEDS))})."
    )
    parser.add_argument("config", nargs="?", help="YAML file with algos, tasks, models, seeds, set, name, out")
    parser.add_argument(
        "--claim",
        metavar="NAME",
        help="run the cells of a registered claim's scenario (docs/claims.md) into its results folder, then print "
        "the claims table; flags given beside it override the scenario's (e.g. --seeds 0-3 --out DIR for a quick "
        "look)",
    )
    add_algos_arg(parser, "algorithms (default: the seven and both baselines)")
    add_tasks_arg(parser, "tasks (default: sentiment)")
    add_models_arg(parser, "models (default: tiny)")
    add_seeds_arg(parser, "seeds, a list or a range (default: 0-3)")
    add_set_arg(
        parser,
        "a value or a grid of values; ALGO. limits it to one algorithm, without it the key applies to every "
        "algorithm that has it (shared settings: to all); repeatable",
        metavar="[ALGO.]KEY=V1[,V2...]",
    )
    parser.add_argument(
        "--no-frontier",
        dest="frontier",
        action="store_false",
        default=None,
        help="one point per algorithm at its defaults, instead of its frontier grid (its KL knob's declared values)",
    )
    parser.add_argument(
        "--extra-cells",
        dest="extra_cells",
        type=int,
        default=None,
        metavar="M",
        help="after the grid, at most M extra cells per algorithm, task, model and seed (the same M for every "
        "algorithm), placed at knob values that bracket the KL budgets the grid did not read (default 2; 0: none)",
    )
    parser.add_argument("--name", help="the sweep's name (default: default)")
    add_out_arg(parser, default=None, help_text="results folder (YAML out:, else results)")
    add_cache_arg(parser)
    add_device_arg(parser)
    parser.add_argument("--retry-failed", action="store_true", help="run cells whose record says failed or diverged")
    add_executor_args(parser)
    parser.add_argument("--address", default=None, help="Ray cluster address (default: start a local Ray)")
    parser.add_argument("--quiet", action="store_true", help="plain log lines (one per cell and stage), no bar")
    parser.add_argument("--verbose", action="store_true", help="show library warnings and progress bars")
    parser.add_argument(
        "--explain",
        action="store_true",
        help="print each cell's settings that are not at their default, with where each came from, then stop",
    )
    parser.add_argument("--keep-policy", action="store_true", help=KEEP_POLICY_HELP)
    add_precision_arg(parser)
    add_wandb_args(parser)


def run(args: argparse.Namespace) -> int:
    if args.claim:
        args = claim_arguments(args)
    config = build_sweep_config(args)
    out = Path(args.out or config.out or DEFAULT_OUT)
    resolved = resolve_grid(config)  # every problem in the grid, before any work
    if args.explain:
        for cell, spec, _ in resolved:
            print(f"{cell.label}  (spec hash {spec.hash()})")
            print("\n".join(settings_lines(spec.flat(), spec.sources, only_given=True)))
        print(f"{len(resolved)} cells; every setting not listed is at its default (pobench list settings)")
        return 0
    print(f"sweep {config.name!r}: {len(resolved)} cells → {out}", file=sys.stderr)
    check_folders(out, args.cache, plots=True)
    tracker = make_tracker(args, out, group=config.name)

    outcome = run_sweep(
        resolved,
        out,
        Path(args.cache) if args.cache else None,
        device=args.device,
        retry_failed=args.retry_failed,
        progress_mode="quiet" if args.quiet else "auto",
        tracker=tracker,
        executor=args.executor,
        address=args.address,
        cpus_per_cell=args.cpus_per_cell,
        follow_up=Placement(config, resolved).after,  # extra cells where the grid misses a budget
    )
    records = read_records(out)
    boards = build_boards(records)
    written = write_outputs(out, records, boards=boards)
    print(written["leaderboard.md"].read_text())
    frontiers = [path for name, path in written.items() if name.startswith("frontier-")]
    tracker.finish_sweep(written["leaderboard.csv"].read_text(), frontiers, written["headline.csv"].read_text())
    report_wandb(tracker)
    print_summary(config.name, outcome, written)
    if args.claim:
        print(claims_markdown(*evaluate(records)))
    for quote in verdict.quotes(boards):  # the conclusion, last on the screen
        print(f"verdict: {quote}", file=sys.stderr)
    if outcome.interrupted:
        print("pobench: sweep interrupted; run the same command again to resume", file=sys.stderr)
        return 130
    if outcome.failures:
        lines = "\n".join(f"  {r.algo} seed {r.seed} [{r.status}]: {r.error}" for r in outcome.failures)
        print(
            f"pobench: {len(outcome.failures)} cell(s) did not finish:\n{lines}\n"
            "  (their records keep the error; --retry-failed runs them again)",
            file=sys.stderr,
        )
        return 1
    return 0


def print_summary(name: str, outcome, written: dict[str, Path]) -> None:
    """What ran, how long each stage took, and where the leaderboard is (on stderr)."""
    totals = stage_totals(outcome.ran)
    print(
        f"sweep {name!r}: ran {len(outcome.ran)}, skipped {len(outcome.skipped)} (already recorded), "
        f"wall {outcome.wall_s:.0f}s; stages over the cells that ran: prepare {totals.get('prepare_s', 0):.0f}s, "
        f"train {totals.get('train_s', 0):.0f}s, evaluate {totals.get('eval_s', 0):.0f}s",
        file=sys.stderr,
    )
    print(
        f"leaderboard: {written['leaderboard.md']}, {written['leaderboard.csv']}, {written['leaderboard.html']}",
        file=sys.stderr,
    )


def claim_arguments(args: argparse.Namespace) -> argparse.Namespace:
    """The claim's scenario as sweep arguments (its ``sweep``, ``--out`` its results folder), with every flag the
    user gave beside ``--claim`` over them (a ``--set`` is added to the scenario's)."""
    if args.config:
        raise SettingsError(f"--claim {args.claim} and a sweep config ({args.config}): give one of them")
    scenario = CLAIMS.get(args.claim).scenario
    parser = argparse.ArgumentParser(prog="pobench sweep")
    add_arguments(parser)
    given = {k: v for k, v in vars(args).items() if k in vars(parser.parse_args([])) and v != parser.get_default(k)}
    merged = parser.parse_args([*shlex.split(scenario.sweep), "--out", scenario.results])
    for key, value in given.items():
        setattr(merged, key, (getattr(merged, key) or []) + value if key == "sets" else value)
    return argparse.Namespace(**{**vars(args), **vars(merged)})


def build_sweep_config(args: argparse.Namespace) -> SweepConfig:
    """The YAML file's values, then the flags over them."""
    config = load_config(args.config) if args.config else SweepConfig()
    for name in ("algos", "tasks", "models", "seeds"):
        value = getattr(args, name)
        if value is not None:
            setattr(config, name, list(value))
    for item in assignments(args):
        config.add_assignment(item, "--set")
    if args.name:
        config.name = args.name
    if args.frontier is not None:
        config.frontier = args.frontier
    config.keep_policy = args.keep_policy
    if args.extra_cells is not None:
        if args.extra_cells < 0:
            raise SettingsError(f"--extra-cells {args.extra_cells}: must be a whole number >= 0")
        config.extra_cells = args.extra_cells
    return config
