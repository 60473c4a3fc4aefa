"""``pobench carry-over A B``: does what one model says about the algorithms hold on another?"""

from __future__ import annotations

import argparse
from pathlib import Path

from pobench.reports.carry_over import carry_over


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Put the headlines of two results folders of one task on two models side by side (each algorithm's "
        "reading, share of the optimal gain and paired rank at every KL budget both have), and say for every pair "
        "of algorithms whether each run's paired, Holm-corrected test separates it: holds, reverses, one run only, "
        "or neither. Also prints what would explain a difference: seeds, data, steps, eval samples and the reward "
        "model's fit to gold. Exits 0: a difference between models is a finding."
    )
    parser.add_argument("a", type=Path, metavar="A", help="the first results folder (run A, e.g. results/reference)")
    parser.add_argument(
        "b", type=Path, metavar="B", help="the second results folder (run B, e.g. results/reference-smollm2)"
    )


def run(args: argparse.Namespace) -> int:
    return carry_over(args.a, args.b)
