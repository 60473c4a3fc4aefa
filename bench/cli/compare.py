"""``pobench compare A B``: what two results folders conclude about the algorithms, and where they disagree."""

from __future__ import annotations

import argparse
from pathlib import Path

from pobench.reports.compare import compare


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Put the headlines of two results folders side by side (the same benchmark on another machine, or one task "
        "on two models): each algorithm's reading, share of the optimal gain and paired rank at every KL budget "
        "both have, and for every pair of algorithms whether each run's paired, Holm-corrected test separates it: "
        "holds, reverses, A only, B only or neither. The runs disagree where a pair reverses (both tests separate "
        "it, opposite ways round): exit 1. Also prints what would explain a difference (seeds, data, steps, eval "
        "samples, the reward model's fit to gold) and the budgets one run reads on every seed and the other not."
    )
    parser.add_argument("a", type=Path, metavar="A", help="the first results folder (run A, e.g. results/reference)")
    parser.add_argument("b", type=Path, metavar="B", help="the second results folder (run B)")


def run(args: argparse.Namespace) -> int:
    return compare(args.a, args.b)
