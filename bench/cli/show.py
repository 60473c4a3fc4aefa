"""``pobench show [--out DIR | --record RECORD.json]``: the records of a results folder, one row per cell, by
comparability key; or one record in full: its row, every setting with where its value came from, and what its adapter
reported."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from pobench.cli.options import add_out_arg, records_of
from pobench.core.params import SettingsError
from pobench.core.record import RunRecord, read_record
from pobench.harness.spec import IDENTITY_KEYS
from pobench.reports.report import records_table, settings_lines


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_out_arg(parser)
    parser.add_argument(
        "--record", type=Path, default=None, metavar="FILE", help="one record in full instead (OUT/records/*.json)"
    )


def run(args: argparse.Namespace) -> int:
    if args.record is not None:
        return show_record(args.record)
    records = records_of(Path(args.out))
    by_key: dict[str, list[RunRecord]] = {}
    for r in records:
        by_key.setdefault(r.comparability_key or "(failed before prepare)", []).append(r)
    for key, group in by_key.items():
        first = group[0]
        print(f"\n{first.task} v{first.task_version} · {first.model} · comparability key {key}")
        print(records_table(sorted(group, key=lambda r: (r.algo, r.seed))))
    return 0


def show_record(path: Path) -> int:
    try:
        record = read_record(path)
    except (ValueError, TypeError) as exc:
        raise SettingsError(f"--record {path}: not a readable record ({exc})") from None
    except OSError as exc:
        raise SettingsError(f"--record {path}: cannot be read ({exc.strerror or exc})") from None
    print(records_table([record]))
    print(f"\nspec hash {record.spec_hash} · comparability key {record.comparability_key or '-'}")
    print("settings (value, and where it came from):")
    if record.settings_source:
        print("\n".join(settings_lines(record.spec, record.settings_source)))
    else:  # a record written before sources were kept
        keys = {k: "(source not recorded)" for k in record.spec if k not in IDENTITY_KEYS}
        print("\n".join(settings_lines(record.spec, keys)))
    if record.train_extra:
        print("reported by the adapter:")
        print("\n".join(f"  {k}: {json.dumps(v, default=str)}" for k, v in record.train_extra.items()))
    if record.error:
        print(f"error: {record.error}")
    return 0
