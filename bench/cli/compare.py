"""``pobench compare A B``: do two runs of the same benchmark reach the same conclusions?"""

from __future__ import annotations

import argparse
from pathlib import Path

from pobench.reports.compare_runs import compare


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Print the headlines of two results folders side by side (another machine, another thread count) and "
        "every disagreement: an algorithm whose 95% intervals do not overlap at a KL budget, or a pair one run "
        "separates that the other puts the other way round. Exits 1 if there is one. Also lists the budgets one "
        "run reads on every seed and the other does not."
    )
    parser.add_argument("a", type=Path, metavar="A", help="the first results folder (run A)")
    parser.add_argument("b", type=Path, metavar="B", help="the second results folder (run B)")


def run(args: argparse.Namespace) -> int:
    return compare(args.a, args.b)
