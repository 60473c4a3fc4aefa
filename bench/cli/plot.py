"""``pobench plot [OUT]``: the reward-vs-KL frontier, bars with intervals and, where the records hold them, gold
against the calibrated proxy along KL and the matched-KL rewards against training compute, as PNG."""

from __future__ import annotations

import argparse
from pathlib import Path

from pobench.cli.options import add_out_arg, records_of
from pobench.reports.leaderboard import build_boards
from pobench.reports.publish import board_plots, write_plots


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_out_arg(parser)


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    records = records_of(out)
    if not records:
        return 1
    for path in write_plots(out, board_plots(build_boards(records))).values():
        print(path)
    return 0
