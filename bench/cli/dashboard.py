"""``pobench dashboard [OUT]``: a wandb report comparing the algorithms of a results folder, as the leaderboard does."""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
from pathlib import Path
from urllib.parse import urlparse

from pobench.cli.options import add_out_arg, emit, records_of
from pobench.core.params import SettingsError
from pobench.harness.tracking import logged_in
from pobench.reports.dashboard import frontier_plot_names, plot_names, specification, to_report

NETWORK_TIMEOUT_S = 5


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_out_arg(parser)
    parser.add_argument("--project", default="pobench", help="wandb project the runs are in (default: pobench)")
    parser.add_argument("--entity", default=None, help="wandb entity (default: your default entity)")
    parser.add_argument("--sweep", default=None, help="only this sweep's runs (its --name, the runs' wandb group)")
    parser.add_argument("--task", default=None, help="only this task's runs")
    parser.add_argument("--model", default=None, help="only this model's runs")
    parser.add_argument(
        "--dry-run", action="store_true", help="print the report's specification instead of creating it (no network)"
    )
    parser.add_argument("-o", "--output", default=None, help="with --dry-run: write the specification to this file")


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    records = records_of(out)
    if not records:
        return 1
    try:
        spec = specification(
            records,
            frontier_plot_names(out),
            args.project,
            args.entity,
            args.sweep,
            args.task,
            args.model,
            plots=plot_names(out),
        )
    except ValueError as exc:
        raise SettingsError(f"dashboard of {out}: {exc}") from None
    if args.dry_run:
        emit(json.dumps(spec, indent=1, ensure_ascii=False) + "\n", args.output, "dashboard specification")
        return 0
    check_wandb_reachable()
    report = to_report(spec)
    report.save()
    print(f"dashboard: {report.url}")
    return 0


def check_wandb_reachable() -> None:
    """Fail at once, naming what is missing, rather than after wandb's own retries."""
    hint = "; pobench dashboard --dry-run prints the report's specification without it"
    if not logged_in():
        raise SettingsError("pobench dashboard needs wandb credentials: run `wandb login` or set WANDB_API_KEY" + hint)
    url = os.environ.get("WANDB_BASE_URL", "https://api.wandb.ai")
    host = urlparse(url).hostname or url
    port = urlparse(url).port or (80 if url.startswith("http://") else 443)
    try:
        socket.create_connection((host, port), timeout=NETWORK_TIMEOUT_S).close()
    except OSError as exc:
        raise SettingsError(f"pobench dashboard cannot reach {host}:{port} ({exc}){hint}") from None
    try:
        import wandb_workspaces  # noqa: F401  (optional until here)
    except ImportError:
        raise SettingsError(
            "pobench dashboard needs the package wandb-workspaces: pip install wandb-workspaces"
        ) from None
    print(f"pobench dashboard: creating the report in {host}", file=sys.stderr)
