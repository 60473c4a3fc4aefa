"""``pobench validate --algos ALGO,...``: adapters against the exact optimum of the enumerable task."""

from __future__ import annotations

import argparse
from pathlib import Path

from pobench.cli.options import (
    add_algos_arg,
    add_cache_arg,
    add_model_arg,
    add_out_arg,
    add_seeds_arg,
    add_set_arg,
    check_folders,
)
from pobench.cli.options import stderr_log as log
from pobench.core.params import parse_assignments
from pobench.harness.validate import markdown, plan
from pobench.harness.validate import run as run_check


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_algos_arg(parser, "registered algorithms, plugins included", required=True)
    add_seeds_arg(parser, "seeds, a list or a range (default: 0)", default=[0])
    add_model_arg(parser, help_text="tiny (the neural model, default) or tabular (a free table per prefix)")
    add_set_arg(parser, "override the validation recipe; repeatable")
    add_out_arg(parser, default="results/validate", help_text="where records go")
    add_cache_arg(parser)


def run(args: argparse.Namespace) -> int:
    """Exit 0 when every check with a target passes, 1 when one fails (a check without a target has no verdict)."""
    overrides = parse_assignments(args.sets)
    # every algorithm and setting checked before any runs
    plans = [plan(a, args.seeds, overrides, args.model) for a in args.algos]
    check_folders(Path(args.out), args.cache)
    cache = Path(args.cache) if args.cache else None
    checks = [run_check(p, Path(args.out), cache, log=log) for p in plans]
    print(markdown(checks))
    return 1 if any(c.passed is False for c in checks) else 0
