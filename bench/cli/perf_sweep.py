"""``pobench dev perf-sweep``: a sweep against the same cells run one by one, each `pobench run` in a fresh
process."""

from __future__ import annotations

import argparse
from pathlib import Path

from pobench.cli.options import add_algos_arg, add_out_arg, add_seeds_arg
from pobench.harness.grid import DEFAULT_ALGOS
from pobench.harness.perf_sweep import perf_sweep


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Time a sweep of one cell per algorithm and seed (from an empty cache) against the same cells run one by "
        "one, each `pobench run` in a fresh process, and print the sweep's wall time by stage and the ratio sweep "
        "/ one-by-one for each baseline: cold (each cell its own empty cache) and warm (one shared cache). Run "
        "nothing else heavy on the machine meanwhile."
    )
    add_algos_arg(parser, f"algorithms (default: {','.join(DEFAULT_ALGOS)})", default=list(DEFAULT_ALGOS))
    add_seeds_arg(parser, "cell seeds (default: 0-2)", default=[0, 1, 2])
    parser.add_argument(
        "--baseline", default="cold,warm", help="cold, warm or both (comma-separated; default: cold,warm)"
    )
    add_out_arg(parser, default="results/perf-sweep", help_text="scratch folder, emptied first")


def run(args: argparse.Namespace) -> int:
    return perf_sweep(args.algos, [str(s) for s in args.seeds], _items(args.baseline), Path(args.out))


def _items(text: str) -> list[str]:
    return [v.strip() for v in text.split(",") if v.strip()]
