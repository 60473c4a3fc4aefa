"""``pobench tune-grids``: choose each algorithm's frontier grid on tuning seeds, never on the reported seeds."""

from __future__ import annotations

import argparse
from pathlib import Path

from pobench.harness.tune_grids import CANDIDATES, TUNING_SEEDS, tune

DEFAULT_ALGOS = ",".join(CANDIDATES)
DEFAULT_SEEDS = ",".join(map(str, TUNING_SEEDS))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Run the same number of candidate values of each algorithm's KL knob on the tuning seeds, under the "
        "benchmark's own budget, and print the usable ones and the grid chosen from them (the two extremes and "
        "the candidates nearest even steps in log KL), for pasting into the adapters' FRONTIER_GRID."
    )
    parser.add_argument(
        "--algos", default=DEFAULT_ALGOS, help=f"algorithms to tune, comma-separated (default: {DEFAULT_ALGOS})"
    )
    parser.add_argument(
        "--model",
        default="tiny",
        help="model to tune on (default: tiny); its preset may give its own candidates (pobench list models)",
    )
    parser.add_argument(
        "--seeds", default=DEFAULT_SEEDS, help=f"tuning seeds, comma-separated (default: {DEFAULT_SEEDS})"
    )
    parser.add_argument("--out", default="results/tuning", help="results folder (default: results/tuning)")
    parser.add_argument("--cache", default=None, help="artifact cache folder (default: OUT/cache)")
    parser.add_argument(
        "--executor", choices=("local", "ray"), default="local", help="local (in order, default) or ray (Ray tasks)"
    )
    parser.add_argument("--cpus-per-cell", type=int, default=1, help="Ray: CPUs (torch threads) per cell (default 1)")


def run(args: argparse.Namespace) -> int:
    return tune(
        _items(args.algos),
        _items(args.seeds),
        Path(args.out),
        Path(args.cache) if args.cache else None,
        args.executor,
        args.cpus_per_cell,
        args.model,
    )


def _items(text: str) -> list[str]:
    return [v.strip() for v in text.split(",") if v.strip()]
