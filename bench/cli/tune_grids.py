"""``pobench dev tune-grids``: choose each algorithm's frontier grid on tuning seeds, never on the reported
seeds."""

from __future__ import annotations

import argparse
from pathlib import Path

from pobench.cli.options import (
    add_algos_arg,
    add_cache_arg,
    add_executor_args,
    add_model_arg,
    add_out_arg,
    add_seeds_arg,
)
from pobench.harness.tune_grids import TUNING_SEEDS, candidates_for, tune

DEFAULT_SEEDS = ",".join(map(str, TUNING_SEEDS))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Run the same number of candidate values of each algorithm's KL knob on the tuning seeds, under the "
        "benchmark's own budget, and print the usable ones and the grid chosen from them (the two extremes and "
        "the candidates nearest even steps in log KL), for pasting into the adapters' FRONTIER_GRID."
    )
    add_algos_arg(parser, "algorithms to tune (default: every one whose adapter declares tuning candidates)")
    add_model_arg(
        parser,
        help_text="model to tune on (default: tiny); its preset may give its own candidates (pobench list models)",
    )
    add_seeds_arg(parser, f"tuning seeds (default: {DEFAULT_SEEDS})", default=list(TUNING_SEEDS))
    add_out_arg(parser, default="results/tuning")
    add_cache_arg(parser)
    add_executor_args(parser)


def run(args: argparse.Namespace) -> int:
    return tune(
        args.algos or list(candidates_for(args.model)),
        [str(s) for s in args.seeds],
        Path(args.out),
        Path(args.cache) if args.cache else None,
        args.executor,
        args.cpus_per_cell,
        args.model,
    )
