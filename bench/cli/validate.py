"""``pobench validate ALGO...``: adapters against the exact optimum of the enumerable task."""

from __future__ import annotations

import argparse
from pathlib import Path

from pobench.cli.options import add_set_arg, check_folders
from pobench.cli.options import stderr_log as log
from pobench.core.params import parse_assignments
from pobench.harness.spec import parse_seed
from pobench.harness.validate import markdown, plan
from pobench.harness.validate import run as run_check


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("algos", nargs="+", metavar="ALGO", help="registered algorithms, plugins included")
    parser.add_argument("--seeds", default="0", help="comma-separated seeds (default: 0)")
    parser.add_argument(
        "--model", default="tiny", help="tiny (the neural model, default) or tabular (a free table per prefix)"
    )
    add_set_arg(parser, "override the validation recipe; repeatable")
    parser.add_argument("--out", default="results/validate", help="where records go (default: results/validate/)")
    parser.add_argument("--cache", default=None, help="artifact cache folder (default: OUT/cache)")


def run(args: argparse.Namespace) -> int:
    """Exit 0 when every check with a target passes, 1 when one fails (a check without a target has no verdict)."""
    seeds = [parse_seed(s) for s in args.seeds.split(",") if s.strip()]
    overrides = parse_assignments(args.sets)
    # every algorithm and setting checked before any runs
    plans = [plan(a, seeds, overrides, args.model) for a in args.algos]
    check_folders(Path(args.out), args.cache)
    cache = Path(args.cache) if args.cache else None
    checks = [run_check(p, Path(args.out), cache, log=log) for p in plans]
    print(markdown(checks))
    return 1 if any(c.passed is False for c in checks) else 0
