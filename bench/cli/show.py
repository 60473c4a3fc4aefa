"""``pobench show [OUT]``: the records of a results folder, one row per cell, by comparability key."""

from __future__ import annotations

import argparse
from pathlib import Path

from pobench.cli.options import add_out_arg, records_of
from pobench.core.record import RunRecord
from pobench.reports.report import records_table


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_out_arg(parser)


def run(args: argparse.Namespace) -> int:
    records = records_of(Path(args.out))
    if not records:
        return 1
    by_key: dict[str, list[RunRecord]] = {}
    for r in records:
        by_key.setdefault(r.comparability_key or "(failed before prepare)", []).append(r)
    for key, group in by_key.items():
        first = group[0]
        print(f"\n{first.task} v{first.task_version} · {first.model} · comparability key {key}")
        print(records_table(sorted(group, key=lambda r: (r.algo, r.seed))))
    return 0
