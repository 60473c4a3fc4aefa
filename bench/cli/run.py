"""``pobench run ALGO``: one cell (algorithm × task × model × seed), recorded."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from pobench.cli.options import (
    KEEP_POLICY_HELP,
    add_cache_arg,
    add_device_arg,
    add_model_arg,
    add_out_arg,
    add_precision_arg,
    add_set_arg,
    add_task_arg,
    add_wandb_args,
    assignments,
    check_folders,
    make_tracker,
    report_wandb,
    seed,
)
from pobench.cli.options import stderr_log as log
from pobench.core.params import parse_assignments
from pobench.harness.pipeline import CellFailed, run_cell
from pobench.harness.spec import resolve_spec
from pobench.reports.report import records_table, settings_lines


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("algo", help="algorithm name (see `pobench list algorithms`)")
    add_task_arg(parser, "task name (default: sentiment)")
    add_model_arg(parser)
    parser.add_argument("--seed", type=seed, default=0, help="the cell's seed: data, training, evaluation (default: 0)")
    add_set_arg(parser, "set a hyperparameter or shared setting; repeatable (see `pobench list settings`)")
    add_out_arg(parser, help_text="where records are written")
    add_cache_arg(parser)
    add_device_arg(parser)
    parser.add_argument("--verbose", action="store_true", help="show library warnings and progress bars")
    parser.add_argument(
        "--explain", action="store_true", help="print every setting's value and where it came from, then stop"
    )
    parser.add_argument("--keep-policy", action="store_true", help=KEEP_POLICY_HELP)
    add_precision_arg(parser)
    add_wandb_args(parser)


def run(args: argparse.Namespace) -> int:
    spec, source = resolve_spec(args.algo, args.task, args.model, args.seed, parse_assignments(assignments(args)))
    spec = replace(spec, keep_policy=args.keep_policy)
    if args.explain:
        print(f"{spec.algo} | {spec.task} | {spec.model} | seed {spec.seed}  (spec hash {spec.hash()})")
        print("\n".join(settings_lines(spec.flat(), spec.sources)))
        return 0
    check_folders(Path(args.out), args.cache)
    tracker = make_tracker(args, Path(args.out), group="runs")
    try:
        record, path = run_cell(
            spec,
            source,
            Path(args.out),
            Path(args.cache) if args.cache else None,
            device=args.device,
            log=log,
            tracker=tracker,
        )
    except CellFailed as failed:
        report_wandb(tracker)
        print(records_table([failed.record]))
        print(f"pobench: cell {failed.record.status}: {failed.record.error}\n  record: {failed.path}", file=sys.stderr)
        return 1
    if path is None:  # another process of a multi-process run: the main one reports
        return 0
    report_wandb(tracker)
    t = record.timings
    print(records_table([record]))
    if record.status != "ok":  # finished, but degenerate: recorded and flagged like a diverged cell
        print(f"pobench: warning: cell {record.status}: {record.error}", file=sys.stderr)
    print(
        f"record: {path}  (prepare {t['prepare_s']:.1f}s, train {t['train_s']:.1f}s, "
        f"evaluate {t['eval_s']:.1f}s, total {t['total_s']:.1f}s)"
    )
    return 0
