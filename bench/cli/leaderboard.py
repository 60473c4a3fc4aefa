"""``pobench leaderboard [OUT]``: the leaderboard of a results folder, from its records."""

from __future__ import annotations

import argparse
from pathlib import Path

from pobench.cli.options import add_out_arg, emit, records_of
from pobench.core.atomic import write_text_atomic
from pobench.reports.leaderboard import build_boards, headline_csv, to_csv, to_markdown
from pobench.reports.publish import html_page
from pobench.reports.readings import readings_csv


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_out_arg(parser)
    parser.add_argument(
        "--format",
        choices=("md", "csv", "headline-csv", "readings-csv", "html"),
        default="md",
        help="md (default: the headline, the proxy and cost at matched KL, the Gao et al. fits and every "
        "configuration), csv (every configuration), headline-csv (reward, proxy, gap and compute at matched KL "
        "budgets, the fits), readings-csv (every per-seed reading in long form: algorithm, seed, budget, KL read, "
        "gold, proxy, FLOPs, cells) or html",
    )
    parser.add_argument("--by", default="task,model", help="how tables are ordered and headed (default: task,model)")
    parser.add_argument(
        "-o", "--output", help="write to this file (default: md and csv to stdout, html to OUT/leaderboard.html)"
    )


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    records = records_of(out)
    if not records:
        return 1
    by = tuple(b.strip() for b in args.by.split(",") if b.strip())
    boards = build_boards(records, by)
    if args.format == "html":
        target = Path(args.output or out / "leaderboard.html")
        write_text_atomic(target, html_page(boards, records))
        print(f"leaderboard: {target}")
        return 0
    text = {"md": to_markdown, "csv": to_csv, "headline-csv": headline_csv, "readings-csv": readings_csv}[args.format](
        boards
    )
    emit(text, args.output, "leaderboard")
    return 0
