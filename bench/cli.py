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
    from bench.sweep import SweepLocked

    try:
        return args.handler(args)
    except (RegistryError, SettingsError, ModelError, SweepLocked) as exc:
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
    add_precision_arg(run)
    add_wandb_args(run)
    run.set_defaults(handler=cmd_run)

    lst = sub.add_parser("list", help="list registered algorithms, tasks, models, or the shared settings")
    lst.add_argument("what", nargs="?", default="all", choices=("all", "algorithms", "tasks", "models", "settings"))
    lst.set_defaults(handler=cmd_list)

    add_sweep_parser(sub)
    add_leaderboard_parsers(sub)

    check = sub.add_parser(
        "validate",
        help="check an adapter against the exact optimum of the enumerable task (TV distance to its target)",
    )
    check.add_argument("algos", nargs="+", metavar="ALGO", help="registered algorithms, plugins included")
    check.add_argument("--seeds", default="0", help="comma-separated seeds (default: 0)")
    check.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                       help="override the validation recipe; repeatable")  # fmt: skip
    check.add_argument("--out", default="results/validate", help="where records go (default: results/validate/)")
    check.add_argument("--cache", default=None, help="artifact cache folder (default: OUT/cache)")
    check.set_defaults(handler=cmd_validate)

    show = sub.add_parser("show", help="print the records in a results folder, one row per cell")
    show.add_argument("out", nargs="?", default=DEFAULT_OUT, help=f"results folder (default: {DEFAULT_OUT}/)")
    show.set_defaults(handler=cmd_show)
    return parser


def add_sweep_parser(sub) -> None:
    from bench.grid import DEFAULT_ALGOS, DEFAULT_SEEDS

    sweep = sub.add_parser(
        "sweep",
        help="run a grid of cells (resumable), then write the leaderboard",
        description="Expand algorithms × tasks × models × seeds × hyperparameter values into cells and run them. "
        "A cell whose record exists is skipped, so the same command resumes a sweep that was stopped. "
        "Each algorithm runs over its frontier grid (the values of its KL knob, `pobench list algorithms`) unless "
        "--set gives that knob or --no-frontier is passed. "
        f"With no arguments: the default benchmark ({', '.join(DEFAULT_ALGOS)} on sentiment with tiny, "
        f"seeds {','.join(map(str, DEFAULT_SEEDS))}).",
    )
    sweep.add_argument("config", nargs="?", help="YAML file with algos, tasks, models, seeds, set, name, out")
    sweep.add_argument("--algos", help="comma-separated algorithms (default: the seven and both baselines)")
    sweep.add_argument("--tasks", help="comma-separated tasks (default: sentiment)")
    sweep.add_argument("--models", help="comma-separated models (default: tiny)")
    sweep.add_argument("--seeds", help="comma-separated seeds (default: 0,1,2)")
    sweep.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        metavar="[ALGO.]KEY=V1[,V2...]",
        help="a value or a grid of values; ALGO. limits it to one algorithm, without it the key applies to every "
        "algorithm that has it (shared settings: to all); repeatable",
    )
    sweep.add_argument(
        "--no-frontier",
        dest="frontier",
        action="store_false",
        default=None,
        help="one point per algorithm at its defaults, instead of its frontier grid (its KL knob's declared values)",
    )
    sweep.add_argument("--name", help="the sweep's name (default: default)")
    sweep.add_argument("--out", help=f"results folder (default: {DEFAULT_OUT}/)")
    sweep.add_argument("--cache", default=None, help="artifact cache folder (default: OUT/cache)")
    sweep.add_argument("--device", default=None, help="cpu or cuda (default: cuda when available)")
    sweep.add_argument("--retry-failed", action="store_true", help="run cells whose record says failed or diverged")
    sweep.add_argument(
        "--executor", choices=("local", "ray"), default="local", help="local (in order, default) or ray (Ray tasks)"
    )
    sweep.add_argument("--address", default=None, help="Ray cluster address (default: start a local Ray)")
    sweep.add_argument("--cpus-per-cell", type=int, default=1, help="Ray: CPUs (torch threads) per cell (default 1)")
    sweep.add_argument("--quiet", action="store_true", help="plain log lines (one per cell and stage), no bar")
    sweep.add_argument("--verbose", action="store_true", help="show library warnings and progress bars")
    add_precision_arg(sweep)
    add_wandb_args(sweep)
    sweep.set_defaults(handler=cmd_sweep)


def add_precision_arg(parser) -> None:
    parser.add_argument(
        "--dtype",
        choices=("auto", "float32", "bfloat16", "float16"),
        default=None,
        help="training precision, as --set dtype=... (default auto: bf16 mixed precision on CUDA, fp32 on CPU)",
    )


def assignments(args: argparse.Namespace) -> list[str]:
    """The --set items, with --dtype as the setting it names."""
    return args.sets + ([f"dtype={args.dtype}"] if args.dtype else [])


def add_wandb_args(parser) -> None:
    parser.add_argument(
        "--wandb",
        choices=("online", "offline", "disabled"),
        default=None,
        help="wandb mode (default: WANDB_MODE if set, else online when logged in, else offline; "
        "offline runs are written under OUT/wandb/ for `wandb sync`)",
    )
    parser.add_argument("--wandb-project", default="pobench", help="wandb project (default: pobench)")
    parser.add_argument("--wandb-entity", default=None, help="wandb entity (default: your default entity)")


def make_tracker(args: argparse.Namespace, out: Path, group: str):
    from bench.tracking import Tracker, resolve_mode

    return Tracker(resolve_mode(args.wandb), out, group, project=args.wandb_project, entity=args.wandb_entity)


def report_wandb(tracker) -> None:
    """Where offline runs went and how to upload them."""
    if tracker.mode == "offline" and tracker.run_dirs:
        folder = Path(tracker.run_dirs[0]).parent.parent  # OUT/wandb/offline-run-*/files
        count = len(tracker.run_dirs)
        print(f"wandb: {count} offline run(s) in {folder}; upload: wandb sync {folder}/offline-run-*", file=sys.stderr)


def add_leaderboard_parsers(sub) -> None:
    board = sub.add_parser("leaderboard", help="build the leaderboard of a results folder from its records")
    board.add_argument("out", nargs="?", default=DEFAULT_OUT, help=f"results folder (default: {DEFAULT_OUT}/)")
    board.add_argument(
        "--format",
        choices=("md", "csv", "headline-csv", "html"),
        default="md",
        help="md (default: the headline and every configuration), csv (every configuration), headline-csv "
        "(reward at matched KL budgets) or html",
    )
    board.add_argument("--by", default="task,model", help="how tables are ordered and headed (default: task,model)")
    board.add_argument(
        "-o", "--output", help="write to this file (default: md and csv to stdout, html to OUT/leaderboard.html)"
    )
    board.set_defaults(handler=cmd_leaderboard)

    perf = sub.add_parser(
        "perf",
        help="train throughput, MFU, memory and generation speed of adapters against raw TRL, side by side",
    )
    perf.add_argument("--algos", default="dpo", help="comma-separated TRL-backed adapters (default: dpo)")
    perf.add_argument("--model", default="tiny", help="a shape built from its config, random init: tiny, qwen2-0.5b")
    perf.add_argument("--batch-size", type=int, default=8)
    perf.add_argument("--seq-len", type=int, default=64, help="prompt + completion tokens (half each)")
    perf.add_argument("--steps", type=int, default=20, help="optimizer steps per side (the first 3 are warm-up)")
    perf.add_argument("--device", default=None, help="cpu or cuda (default: cuda when available)")
    perf.set_defaults(handler=cmd_perf)

    plot = sub.add_parser("plot", help="reward-vs-KL frontier and bars with CIs, as PNG, from a folder's records")
    plot.add_argument("out", nargs="?", default=DEFAULT_OUT, help=f"results folder (default: {DEFAULT_OUT}/)")
    plot.set_defaults(handler=cmd_plot)


def cmd_sweep(args: argparse.Namespace) -> int:
    from bench.grid import expand, resolve_cells
    from bench.publish import write_outputs
    from bench.sweep import run_sweep, stage_totals

    config = build_sweep_config(args)
    out = Path(args.out or config.out or DEFAULT_OUT)
    resolved = resolve_cells(config, expand(config))  # every problem in the grid, before any work
    print(f"sweep {config.name!r}: {len(resolved)} cells → {out}", file=sys.stderr)
    tracker = make_tracker(args, out, group=config.name)
    outcome = run_sweep(
        resolved,
        out,
        Path(args.cache) if args.cache else None,
        device=args.device,
        retry_failed=args.retry_failed,
        progress_mode="quiet" if args.quiet else "auto",
        tracker=tracker,
        executor=args.executor,
        address=args.address,
        cpus_per_cell=args.cpus_per_cell,
    )
    from bench.record import read_records

    written = write_outputs(out, read_records(out))
    print(written["leaderboard.md"].read_text())
    frontiers = [path for name, path in written.items() if name.startswith("frontier-")]
    tracker.finish_sweep(written["leaderboard.csv"].read_text(), frontiers, written["headline.csv"].read_text())
    report_wandb(tracker)
    totals = stage_totals(outcome.ran)
    print(
        f"sweep {config.name!r}: ran {len(outcome.ran)}, skipped {len(outcome.skipped)} (already recorded), "
        f"wall {outcome.wall_s:.0f}s; stages over the cells that ran: prepare {totals.get('prepare_s', 0):.0f}s, "
        f"train {totals.get('train_s', 0):.0f}s, evaluate {totals.get('eval_s', 0):.0f}s",
        file=sys.stderr,
    )
    print(
        f"leaderboard: {written['leaderboard.md']}, {written['leaderboard.csv']}, {written['leaderboard.html']}",
        file=sys.stderr,
    )
    if outcome.interrupted:
        print("pobench: sweep interrupted; run the same command again to resume", file=sys.stderr)
        return 130
    if outcome.failures:
        lines = "\n".join(f"  {r.algo} seed {r.seed} [{r.status}]: {r.error}" for r in outcome.failures)
        print(
            f"pobench: {len(outcome.failures)} cell(s) did not finish:\n{lines}\n"
            "  (their records keep the error; --retry-failed runs them again)",
            file=sys.stderr,
        )
        return 1
    return 0


def build_sweep_config(args: argparse.Namespace):
    """The YAML file's values, then the flags over them."""
    from bench.grid import SweepConfig, load_config

    config = load_config(args.config) if args.config else SweepConfig()
    for name in ("algos", "tasks", "models", "seeds"):
        value = getattr(args, name)
        if value is not None:
            setattr(config, name, [v.strip() for v in value.split(",") if v.strip()])
    for item in assignments(args):
        config.add_assignment(item, "--set")
    if args.name:
        config.name = args.name
    if args.frontier is not None:
        config.frontier = args.frontier
    return config


def cmd_leaderboard(args: argparse.Namespace) -> int:
    from bench.leaderboard import build_boards, headline_csv, to_csv, to_markdown

    out = Path(args.out)
    records = records_of(out)
    if not records:
        return 1
    by = tuple(b.strip() for b in args.by.split(",") if b.strip())
    boards = build_boards(records, by)
    if args.format == "html":
        from bench.atomic import write_text_atomic
        from bench.publish import html_page

        target = Path(args.output or out / "leaderboard.html")
        write_text_atomic(target, html_page(boards, records))
        print(f"leaderboard: {target}")
        return 0
    text = {"md": to_markdown, "csv": to_csv, "headline-csv": headline_csv}[args.format](boards)
    if args.output:
        from bench.atomic import write_text_atomic

        write_text_atomic(args.output, text)
        print(f"leaderboard: {args.output}")
    else:
        print(text, end="")
    return 0


def cmd_perf(args: argparse.Namespace) -> int:
    from bench.environment import device_name, pick_device
    from bench.perf import print_table, run

    device = args.device or pick_device()
    algos = [a.strip() for a in args.algos.split(",") if a.strip()]
    print(
        f"pobench perf: {args.model} (random init), batch {args.batch_size}, {args.seq_len} tokens, "
        f"{args.steps} steps per side, on {device_name(device)}",
        file=sys.stderr,
    )
    print_table(run(algos, args.model, args.batch_size, args.seq_len, args.steps, min(3, args.steps - 1), device))
    return 0


def cmd_plot(args: argparse.Namespace) -> int:
    from bench.leaderboard import build_boards
    from bench.publish import board_plots, write_plots

    out = Path(args.out)
    records = records_of(out)
    if not records:
        return 1
    for path in write_plots(out, board_plots(build_boards(records))).values():
        print(path)
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from bench.params import parse_assignments
    from bench.pipeline import CellFailed, run_cell
    from bench.report import records_table
    from bench.spec import resolve_spec

    spec, source = resolve_spec(args.algo, args.task, args.model, args.seed, parse_assignments(assignments(args)))
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    tracker = make_tracker(args, Path(args.out), group="runs")
    try:
        record, path = run_cell(
            spec,
            source,
            Path(args.out),
            Path(args.cache) if args.cache else None,
            device=args.device,
            log=log,
            tracker=tracker,
        )
    except CellFailed as failed:
        report_wandb(tracker)
        print(records_table([failed.record]))
        print(f"pobench: cell {failed.record.status}: {failed.record.error}\n  record: {failed.path}", file=sys.stderr)
        return 1
    if path is None:  # another process of a multi-process run: the main one reports
        return 0
    report_wandb(tracker)
    t = record.timings
    print(records_table([record]))
    print(
        f"record: {path}  (prepare {t['prepare_s']:.1f}s, train {t['train_s']:.1f}s, "
        f"evaluate {t['eval_s']:.1f}s, total {t['total_s']:.1f}s)"
    )
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """Exit 0 when every check with a target passes, 1 when one fails (a check without a target has no verdict)."""
    from bench.params import parse_assignments
    from bench.spec import parse_seed
    from bench.validate import markdown, plan, run

    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    seeds = [parse_seed(s) for s in args.seeds.split(",") if s.strip()]
    overrides = parse_assignments(args.sets)
    plans = [plan(a, seeds, overrides) for a in args.algos]  # every algorithm and setting checked before any runs
    cache = Path(args.cache) if args.cache else None
    checks = [run(p, Path(args.out), cache, log=log) for p in plans]
    print(markdown(checks))
    return 1 if any(c.passed is False for c in checks) else 0


def cmd_list(args: argparse.Namespace) -> int:
    from dataclasses import fields

    from algorithms import ALGORITHMS
    from bench.models import MODELS, Pretrained
    from bench.params import describe_field
    from bench.settings import COMMON_SETTINGS
    from tasks import TASKS

    what = args.what
    if what in ("all", "algorithms"):
        print("algorithms:")
        for name, cls in ALGORITHMS.items():
            params = ", ".join(f"{f.name}={f.default!r}" for f in fields(cls.hparams))
            print(f"  {name:10s} {cls.description}" + (f"  [{params}]" if params else ""))
            if cls.kl_knob:
                grid = ", ".join(cls.frontier_grid) if cls.frontier_grid else "none (not in the default benchmark)"
                print(f"  {'':10s} KL knob {cls.kl_knob}: frontier grid {grid}")
            if cls.knob_note:
                print(f"  {'':10s} note: {cls.knob_note}")
    if what in ("all", "tasks"):
        print("tasks:")
        for name, cls in TASKS.items():
            if getattr(cls, "needs_loading", False):  # a dataset: its size is known once it is loaded
                print(f"  {name:13s} {cls.description}; pairs as given")
                continue
            task = cls()
            size = f"{len(task.train_prompts())} train / {len(task.eval_prompts())} eval prompts"
            print(f"  {name:13s} {cls.description} (version {cls.version}; {size}; pairs sampled and labelled)")
        print(
            f"  {'file:PATH':13s} your preference file (.jsonl/.csv/.parquet: prompt,chosen,rejected or "
            "prompt,completion,label); gold reward as file:PATH@module:function"
        )
    if what in ("all", "models"):
        print("models:")
        for name, cls in MODELS.items():
            print(f"  {name:13s} {cls.description}")
            for line in cls.preset.lines():
                print(f"  {'':13s} {line}")
        print(f"  {'ORG/NAME':13s} or a local folder: any causal LM, loaded with from_pretrained")
        for line in Pretrained.preset.lines():
            print(f"  {'':13s} {line}")
    if what == "settings":
        for group, cls in COMMON_SETTINGS.items():
            print(f"{group} ({(cls.__doc__ or '').strip().splitlines()[0]}):")
            for f in fields(cls):
                print(f"  {describe_field(cls, f)}")
    return 0


def records_of(out: Path) -> list:
    """The records of a results folder; an empty list after saying there are none."""
    from bench.record import read_records

    records = read_records(out)
    if not records:
        print(f"pobench: no records in {out / 'records'}", file=sys.stderr)
    return records


def cmd_show(args: argparse.Namespace) -> int:
    from bench.report import records_table

    records = records_of(Path(args.out))
    if not records:
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
    os.environ.setdefault("TQDM_DISABLE", "1")  # TRL's own bars (reference precompute); pobench's bar opts back in
    warnings.filterwarnings("ignore")
    import datasets
    import transformers

    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    datasets.disable_progress_bars()


if __name__ == "__main__":
    sys.exit(main())
