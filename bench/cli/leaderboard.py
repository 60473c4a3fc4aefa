"""``pobench leaderboard --out DIR``: the leaderboard of a results folder, from its records: as Markdown, CSV or an
HTML page, its figures as PNG, or a wandb report comparing the algorithms as the leaderboard does."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from pobench.claims.report import END as CLAIMS_END
from pobench.claims.report import START as CLAIMS_START
from pobench.claims.report import evaluate, evaluate_tree
from pobench.claims.report import markdown as claims_markdown
from pobench.claims.report import summary as claims_summary
from pobench.cli.options import add_out_arg, emit, records_of
from pobench.cli.wandb_report import check_wandb_reachable
from pobench.core.atomic import write_text_atomic
from pobench.core.params import SettingsError
from pobench.reports.dashboard import frontier_plot_names, plot_names, specification, to_report
from pobench.reports.leaderboard import build_boards, headline_csv, to_csv, to_markdown
from pobench.reports.publish import board_plots, html_page, write_plots
from pobench.reports.readings import readings_csv
from pobench.reports.verdict import END, START, board_markdown, replace_between_markers

CLAIMS_MARKERS = (CLAIMS_START, CLAIMS_END)
FORMATS = ("md", "verdict", "claims", "csv", "headline-csv", "readings-csv", "html", "png", "wandb")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_out_arg(parser)
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="md",
        help="md (default: the verdict, the headline, the proxy and cost at matched KL, the Gao et al. fits and every "
        "configuration), verdict (the verdict alone: what the README shows between its markers), claims (the "
        "claims whose scenario the folder holds, measured, with their verdicts), "
        "csv (every configuration), headline-csv (reward, proxy, gap and compute at matched KL "
        "budgets, the fits), readings-csv (every per-seed reading in long form: algorithm, seed, budget, KL read, "
        "gold, proxy, FLOPs, cells), html (OUT/leaderboard.html), png (the figures, under OUT/plots/) or wandb "
        "(a wandb report of the folder's runs; needs wandb credentials, or --dry-run)",
    )
    parser.add_argument("--by", default="task,model", help="how tables are ordered and headed (default: task,model)")
    parser.add_argument(
        "-o", "--output", help="write to this file (default: md and csv to stdout, html to OUT/leaderboard.html)"
    )
    parser.add_argument(
        "--into",
        metavar="FILE",
        help="--format verdict or claims: write it into FILE between its markers (the README's verdict: make "
        "readme-verdict)",
    )
    wandb = parser.add_argument_group("--format wandb")
    wandb.add_argument("--wandb-project", default="pobench", help="wandb project the runs are in (default: pobench)")
    wandb.add_argument("--wandb-entity", default=None, help="wandb entity (default: your default entity)")
    wandb.add_argument("--sweep", default=None, help="only this sweep's runs (its --name, the runs' wandb group)")
    wandb.add_argument("--task", default=None, help="only this task's runs")
    wandb.add_argument("--model", default=None, help="only this model's runs")
    wandb.add_argument(
        "--dry-run", action="store_true", help="print the report's specification instead of creating it (no network)"
    )


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if args.format == "claims" and not (out / "records").is_dir() and any(out.glob("*/records")):
        return claims_of_tree(args, out)  # a folder of results folders: each claim read in its own
    records = records_of(out)
    if args.format == "wandb":
        return wandb_report(args, out, records)
    if args.dry_run or args.sweep or args.task or args.model:
        raise SettingsError("--dry-run, --sweep, --task and --model belong to --format wandb")
    by = tuple(b.strip() for b in args.by.split(",") if b.strip())
    boards = build_boards(records, by)
    if args.format == "html":
        target = Path(args.output or out / "leaderboard.html")
        write_text_atomic(target, html_page(boards, records))
        print(f"leaderboard: {target}")
        return 0
    if args.format == "png":
        for path in write_plots(out, board_plots(boards)).values():
            print(path)
        return 0
    if args.format == "claims":
        return put_claims(args, claims_markdown(*evaluate(records, out)), str(out))
    if args.into:
        if args.format != "verdict":
            raise SettingsError("--into belongs to --format verdict and --format claims")
        write_into(Path(args.into), board_markdown(boards))
        print(f"verdict of {out} written into {args.into}")
        return 0
    formats = {"md": to_markdown, "verdict": board_markdown, "csv": to_csv, "headline-csv": headline_csv}
    text = {**formats, "readings-csv": readings_csv}[args.format](boards)
    emit(text, args.output, "leaderboard")
    return 0


def claims_of_tree(args: argparse.Namespace, root: Path) -> int:
    """Every claim measured in its own results folder under ``root``: one row each (``results/README.md``)."""
    return put_claims(args, claims_summary(*evaluate_tree(root, records_of)), f"{root}/*")


def put_claims(args: argparse.Namespace, text: str, source: str) -> int:
    """A claims table into ``--into``'s markers, to ``-o``, or to stdout."""
    if args.into:
        write_into(Path(args.into), text, CLAIMS_MARKERS)
        print(f"claims of {source} written into {args.into}")
    else:
        emit(text, args.output, "claims")
    return 0


def write_into(path: Path, block: str, markers: tuple[str, str] = (START, END)) -> None:
    """``block`` between the ``markers`` of the file at ``path``; the rest of the file is kept as it is."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise SettingsError(f"--into {path}: {exc.strerror or exc}") from None
    try:
        write_text_atomic(path, replace_between_markers(text, block, markers))
    except ValueError as exc:
        raise SettingsError(f"--into {path}: {exc}; put the two marker lines where the verdict goes") from None


def wandb_report(args: argparse.Namespace, out: Path, records) -> int:
    try:
        spec = specification(
            records,
            frontier_plot_names(out),
            args.wandb_project,
            args.wandb_entity,
            args.sweep,
            args.task,
            args.model,
            plots=plot_names(out),
        )
    except ValueError as exc:
        raise SettingsError(f"wandb report of {out}: {exc}") from None
    if args.dry_run:
        emit(json.dumps(spec, indent=1, ensure_ascii=False) + "\n", args.output, "wandb report specification")
        return 0
    check_wandb_reachable()
    report = to_report(spec)
    report.save()
    print(f"wandb report: {report.url}")
    return 0
