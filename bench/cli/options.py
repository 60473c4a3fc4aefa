"""The flags several commands share, each with one name, one type and one meaning wherever it appears (a test walks
every command's parser and checks them: tests/unit/test_cli_grammar.py), and helpers the commands share.

The grammar: ``--out DIR`` is the results folder of every command that reads or writes one; ``--cache DIR`` the
artifact cache (default OUT/cache); a plural flag takes a comma-separated list (``--algos``, ``--tasks``,
``--models``; ``--seeds`` also takes ranges, 0-3), its singular one value (``run``'s one cell: ``--task``,
``--model``, ``--seed``); ``--set KEY=VALUE`` a setting; ``--device`` cpu, cuda or cuda:N. Every bad input exits 2
with one line, ``pobench: error: ...``."""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

from pobench.core.atomic import StorageError, check_writable_folder, write_text_atomic
from pobench.core.params import SettingsError
from pobench.core.record import RunRecord, read_records
from pobench.harness.spec import parse_seed, parse_seeds
from pobench.harness.tracking import MODES, Tracker, resolve_mode

DEFAULT_OUT = "results"
KEEP_POLICY_HELP = (
    "keep each trained policy (and its tokenizer), saved with save_pretrained under OUT/policies/RECORD-NAME/, "
    "to sample or inspect later (default: the cell's work folder is deleted)"
)


def names(text: str) -> list[str]:
    """A comma-separated list of names (algorithms, tasks, models): "dpo,ipo" → ["dpo", "ipo"]."""
    items = [v.strip() for v in text.split(",") if v.strip()]
    if not items:
        raise argparse.ArgumentTypeError(f"{text!r}: give at least one name, comma-separated")
    return items


def seeds(text: str) -> list[int]:
    """``--seeds``: "0,1,2", "0-19", "0-4,10"."""
    try:
        return parse_seeds(text)
    except SettingsError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def seed(text: str) -> int:
    try:
        return parse_seed(text)
    except SettingsError:
        raise argparse.ArgumentTypeError(f"{text!r}: must be a non-negative integer, e.g. 0") from None


def device(text: str) -> str:
    """``--device``: cpu, cuda or cuda:N (checked here: a typo is bad input, not a crash an hour in)."""
    value = text.strip().lower()
    if value in ("cpu", "cuda") or (value.startswith("cuda:") and value[5:].isdigit()):
        return value
    raise argparse.ArgumentTypeError(f"{text!r}: must be cpu, cuda or cuda:N (default: cuda when available)")


def add_algos_arg(parser: argparse.ArgumentParser, help_text: str, default: list[str] | None = None, **kw) -> None:
    parser.add_argument("--algos", type=names, default=default, metavar="ALGO[,ALGO...]", help=help_text, **kw)


def add_tasks_arg(parser: argparse.ArgumentParser, help_text: str, default: list[str] | None = None) -> None:
    parser.add_argument("--tasks", type=names, default=default, metavar="TASK[,TASK...]", help=help_text)


def add_models_arg(parser: argparse.ArgumentParser, help_text: str, default: list[str] | None = None) -> None:
    parser.add_argument("--models", type=names, default=default, metavar="MODEL[,MODEL...]", help=help_text)


def add_seeds_arg(parser: argparse.ArgumentParser, help_text: str, default: list[int] | None = None) -> None:
    parser.add_argument("--seeds", type=seeds, default=default, metavar="0,1,2|0-3", help=help_text)


def add_task_arg(parser: argparse.ArgumentParser, help_text: str = "task (default: sentiment)") -> None:
    parser.add_argument("--task", default="sentiment", help=help_text)


def add_model_arg(parser: argparse.ArgumentParser, default: str = "tiny", help_text: str | None = None) -> None:
    help_text = help_text or f"registered model, local folder or hub id (default: {default})"
    parser.add_argument("--model", default=default, help=help_text)


def add_device_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--device", type=device, default=None, help="cpu, cuda or cuda:N (default: cuda when available)"
    )


def add_cache_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--cache", default=None, metavar="DIR", help="artifact cache folder (default: OUT/cache)")


def add_executor_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--executor", choices=("local", "ray"), default="local", help="local (in order, default) or ray (Ray tasks)"
    )
    parser.add_argument("--cpus-per-cell", type=int, default=1, help="Ray: CPUs (torch threads) per cell (default 1)")


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


def add_out_arg(parser: argparse.ArgumentParser, default: str = DEFAULT_OUT, help_text: str = "results folder") -> None:
    parser.add_argument("--out", default=default, metavar="DIR", help=f"{help_text} (default: {default}/)")


def check_folders(out: Path, cache: str | None, plots: bool = False) -> None:
    """Every folder the command writes exists or can be made, and takes a file (a probe file made and removed):
    the results folder, its ``records/``, its ``plots/`` where the command draws them, and the cache (given, or the
    default ``OUT/cache``). Checked before any work, so nothing trains whose results cannot be written; on Ray the
    workers write to the same paths. A problem is bad input (exit 2), one line naming the folder."""
    out = Path(out)
    folders = [(out, "--out"), (out / "records", "--out (its records/)")]
    if plots:
        folders.append((out / "plots", "--out (its plots/)"))
    folders.append((Path(cache), "--cache") if cache else (out / "cache", "--out (its cache/, the default --cache)"))
    made = []
    try:
        for folder, flag in folders:
            if not folder.exists():
                made.append(folder)
            check_writable_folder(folder, flag)
    except StorageError as exc:
        remove_empty(made)  # leave the disk as it was
        raise SettingsError(str(exc)) from None
    remove_empty([f for f in made if f != out])  # a probe: the work makes its folders when it writes


def remove_empty(folders: list[Path]) -> None:
    """Remove the folders a probe made, deepest first, where they are still empty."""
    for folder in reversed(folders):
        with contextlib.suppress(OSError):
            folder.rmdir()


def records_of(out: Path) -> list[RunRecord]:
    """The readable records of a results folder, each unreadable one named on stderr. None at all is bad input
    (SettingsError: exit 2), naming the folder and how many files could not be read."""
    skipped: list[str] = []

    def warn(text: str) -> None:
        skipped.append(text)
        print(text, file=sys.stderr)

    records = read_records(out, warn)
    if not records and skipped:
        raise SettingsError(f"no readable records in {out / 'records'}: {len(skipped)} file(s) could not be read "
                            "(named above)")  # fmt: skip
    if not records:
        raise SettingsError(f"no records in {out / 'records'} (give a results folder written by pobench run or sweep)")
    if skipped:
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
