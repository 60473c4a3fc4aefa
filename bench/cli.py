"""The `pobench` command line: run one cell, list what is registered, show records."""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path

DEFAULT_OUT = "results"


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    _quiet_libraries(getattr(args, "verbose", False))
    from bench.models import ModelError
    from bench.params import SettingsError
    from bench.registry import RegistryError

    try:
        return args.handler(args)
    except (RegistryError, SettingsError, ModelError) as exc:
        print(f"pobench: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("pobench: interrupted", file=sys.stderr)
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pobench", description="Benchmark preference-optimization algorithms.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="run one cell (algorithm × task × model × seed) and record it")
    run.add_argument("algo", help="algorithm name (see `pobench list algorithms`)")
    run.add_argument("--task", default="sentiment", help="task name (default: sentiment)")
    run.add_argument("--model", default="tiny", help="registered model, local folder or hub id (default: tiny)")
    run.add_argument("--seed", default="0", help="training and evaluation-sampling seed (default: 0)")
    run.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="set a hyperparameter or shared setting; repeatable (see `pobench list settings`)",
    )
    run.add_argument("--out", default=DEFAULT_OUT, help=f"where records are written (default: {DEFAULT_OUT}/)")
    run.add_argument("--cache", default=None, help="artifact cache folder (default: OUT/cache)")
    run.add_argument("--device", default=None, help="cpu or cuda (default: cuda when available)")
    run.add_argument("--verbose", action="store_true", help="show library warnings and progress bars")
    run.set_defaults(handler=cmd_run)

    lst = sub.add_parser("list", help="list registered algorithms, tasks, models, or the shared settings")
    lst.add_argument("what", nargs="?", default="all", choices=("all", "algorithms", "tasks", "models", "settings"))
    lst.set_defaults(handler=cmd_list)

    show = sub.add_parser("show", help="print the records in a results folder, one row per cell")
    show.add_argument("out", nargs="?", default=DEFAULT_OUT, help=f"results folder (default: {DEFAULT_OUT}/)")
    show.set_defaults(handler=cmd_show)
    return parser


def cmd_run(args: argparse.Namespace) -> int:
    from bench.params import parse_assignments
    from bench.pipeline import CellFailed, run_cell
    from bench.report import records_table
    from bench.spec import resolve_spec

    spec, source = resolve_spec(args.algo, args.task, args.model, args.seed, parse_assignments(args.sets))
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    try:
        record, path = run_cell(
            spec, source, Path(args.out), Path(args.cache) if args.cache else None, device=args.device, log=log
        )
    except CellFailed as failed:
        print(records_table([failed.record]))
        print(f"pobench: cell {failed.record.status}: {failed.record.error}\n  record: {failed.path}", file=sys.stderr)
        return 1
    t = record.timings
    print(records_table([record]))
    print(
        f"record: {path}  (prepare {t['prepare_s']:.1f}s, train {t['train_s']:.1f}s, "
        f"evaluate {t['eval_s']:.1f}s, total {t['total_s']:.1f}s)"
    )
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from dataclasses import fields

    from algorithms import ALGORITHMS
    from bench.models import MODELS
    from bench.params import describe_field
    from bench.settings import COMMON_SETTINGS
    from tasks import TASKS

    what = args.what
    if what in ("all", "algorithms"):
        print("algorithms:")
        for name, cls in ALGORITHMS.items():
            params = ", ".join(f"{f.name}={f.default!r}" for f in fields(cls.hparams))
            print(f"  {name:10s} {cls.description}" + (f"  [{params}]" if params else ""))
    if what in ("all", "tasks"):
        print("tasks:")
        for name, cls in TASKS.items():
            print(f"  {name:10s} {cls.description} (version {cls.version})")
    if what in ("all", "models"):
        print("models:")
        for name, cls in MODELS.items():
            print(f"  {name:10s} {cls.description}")
        print(f"  {'ORG/NAME':10s} or a local folder: any causal LM, loaded with from_pretrained")
    if what == "settings":
        for group, cls in COMMON_SETTINGS.items():
            print(f"{group} ({(cls.__doc__ or '').strip().splitlines()[0]}):")
            for f in fields(cls):
                print(f"  {describe_field(cls, f)}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from bench.record import read_records
    from bench.report import records_table

    records = read_records(Path(args.out))
    if not records:
        print(f"pobench: no records in {Path(args.out) / 'records'}", file=sys.stderr)
        return 1
    by_key: dict[str, list] = {}
    for r in records:
        by_key.setdefault(r.comparability_key or "(failed before prepare)", []).append(r)
    for key, group in by_key.items():
        first = group[0]
        print(f"\n{first.task} v{first.task_version} · {first.model} · comparability key {key}")
        print(records_table(sorted(group, key=lambda r: (r.algo, r.seed))))
    return 0


def _quiet_libraries(verbose: bool) -> None:
    """Keep pobench's own progress readable: library warnings and bars only with --verbose."""
    if verbose:
        return
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
    warnings.filterwarnings("ignore")
    import datasets
    import transformers

    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    datasets.disable_progress_bars()


if __name__ == "__main__":
    sys.exit(main())
