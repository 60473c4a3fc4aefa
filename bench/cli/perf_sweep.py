"""``pobench perf-sweep``: a sweep against the same cells run one by one, each `pobench run` in a fresh process."""

from __future__ import annotations

import argparse
from pathlib import Path

from pobench.harness.grid import DEFAULT_ALGOS
from pobench.harness.perf_sweep import perf_sweep

ALGOS = ",".join(DEFAULT_ALGOS)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Time a sweep of one cell per algorithm and seed (from an empty cache) against the same cells run one by "
        "one, each `pobench run` in a fresh process, and print the sweep's wall time by stage and the ratio sweep "
        "/ one-by-one for each baseline: cold (each cell its own empty cache) and warm (one shared cache). Run "
        "nothing else heavy on the machine meanwhile."
    )
    parser.add_argument("--algos", default=ALGOS, help=f"algorithms, comma-separated (default: {ALGOS})")
    parser.add_argument("--seeds", default="0,1,2", help="cell seeds, comma-separated (default: 0,1,2)")
    parser.add_argument(
        "--baseline", default="cold,warm", help="cold, warm or both (comma-separated; default: cold,warm)"
    )
    parser.add_argument(
        "--dir", default="results/perf-sweep", help="scratch folder, emptied first (default: results/perf-sweep)"
    )


def run(args: argparse.Namespace) -> int:
    return perf_sweep(_items(args.algos), _items(args.seeds), _items(args.baseline), Path(args.dir))


def _items(text: str) -> list[str]:
    return [v.strip() for v in text.split(",") if v.strip()]
