"""Options and helpers that several commands share: results folder, precision, wandb."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pobench.core.atomic import StorageError, check_writable_folder, write_text_atomic
from pobench.core.params import SettingsError
from pobench.core.record import RunRecord, read_records
from pobench.harness.tracking import MODES, Tracker, resolve_mode

DEFAULT_OUT = "results"
KEEP_POLICY_HELP = (
    "keep each trained policy (and its tokenizer), saved with save_pretrained under OUT/policies/RECORD-NAME/, "
    "to sample or inspect later (default: the cell's work folder is deleted)"
)


def add_precision_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dtype",
        choices=("auto", "float32", "bfloat16", "float16"),
        default=None,
        help="training precision, as --set dtype=... (default auto: bf16 mixed precision on CUDA, fp32 on CPU)",
    )


def add_set_arg(parser: argparse.ArgumentParser, help_text: str, metavar: str = "KEY=VALUE") -> None:
    """The repeatable ``--set`` option, gathered into ``args.sets``."""
    parser.add_argument("--set", dest="sets", action="append", default=[], metavar=metavar, help=help_text)


def assignments(args: argparse.Namespace) -> list[str]:
    """The --set items, with --dtype as the setting it names."""
    return args.sets + ([f"dtype={args.dtype}"] if args.dtype else [])


def add_wandb_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--wandb",
        choices=MODES,
        default=None,
        help="wandb mode (default: WANDB_MODE if set, else online when logged in, else offline; "
        "offline runs are written under OUT/wandb/ for `wandb sync`)",
    )
    parser.add_argument("--wandb-project", default="pobench", help="wandb project (default: pobench)")
    parser.add_argument("--wandb-entity", default=None, help="wandb entity (default: your default entity)")


def make_tracker(args: argparse.Namespace, out: Path, group: str) -> Tracker:
    return Tracker(resolve_mode(args.wandb), out, group, project=args.wandb_project, entity=args.wandb_entity)


def report_wandb(tracker: Tracker) -> None:
    """Where offline runs went and how to upload them."""
    if tracker.mode == "offline" and tracker.run_dirs:
        folder = Path(tracker.run_dirs[0]).parent.parent  # OUT/wandb/offline-run-*/files
        count = len(tracker.run_dirs)
        print(f"wandb: {count} offline run(s) in {folder}; upload: wandb sync {folder}/offline-run-*", file=sys.stderr)


def add_out_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", nargs="?", default=DEFAULT_OUT, help=f"results folder (default: {DEFAULT_OUT}/)")


def check_folders(out: Path, cache: str | None) -> None:
    """The results folder (and the cache, if given) exist or can be made, and take a file: checked before any
    work, so nothing trains whose results cannot be written. A problem is bad input (exit 2), one line."""
    try:
        check_writable_folder(out, "--out")
        if cache:
            check_writable_folder(cache, "--cache")
    except StorageError as exc:
        raise SettingsError(str(exc)) from None


def records_of(out: Path) -> list[RunRecord]:
    """The readable records of a results folder, each unreadable one named on stderr; an empty list after saying
    there are none (and how many files could not be read)."""
    skipped: list[str] = []

    def warn(text: str) -> None:
        skipped.append(text)
        print(text, file=sys.stderr)

    records = read_records(out, warn)
    if not records and skipped:
        print(f"pobench: no readable records in {out / 'records'}: {len(skipped)} file(s) could not be read "
              "(named above)", file=sys.stderr)  # fmt: skip
    elif not records:
        print(f"pobench: no records in {out / 'records'}", file=sys.stderr)
    elif skipped:
        print(f"pobench: warning: {len(skipped)} unreadable record file(s) left out", file=sys.stderr)
    return records


def stderr_log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def emit(text: str, output: str | None, what: str) -> None:
    """``text`` to the file ``output`` (atomically, saying where), or to stdout."""
    if output:
        write_text_atomic(output, text)
        print(f"{what}: {output}")
    else:
        print(text, end="")
