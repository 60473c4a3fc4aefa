"""``pobench noise [OUT]``: where the noise of a reading comes from, and what the seeds can resolve."""

from __future__ import annotations

import argparse
from pathlib import Path

from pobench.cli.options import (
    add_algos_arg,
    add_cache_arg,
    add_executor_args,
    add_model_arg,
    add_out_arg,
    add_precision_arg,
    add_seeds_arg,
    add_set_arg,
    add_task_arg,
    assignments,
    check_folders,
    records_of,
    seed,
    seeds,
)
from pobench.core.params import SettingsError, parse_assignments
from pobench.harness.grid import DEFAULT_SEEDS
from pobench.harness.noise import noise_configs, readings, run_noise
from pobench.reports.leaderboard import build_boards
from pobench.reports.noise import (
    BIAS_HEADER,
    COVERAGE_HEADER,
    POWER_HEADER,
    bias_rows,
    coverage_rows,
    eval_share_rows,
    power_rows,
    split_table,
    split_variance,
)
from pobench.reports.report import format_table

DEFAULT_SEED_COUNT = len(DEFAULT_SEEDS)
BIAS_NOTE = (
    "Each seed's trajectories stand for the truth; each checkpoint gets independent noise of the median gold standard "
    "error and relative KL error measured on the folder's checkpoints, then the seed is read as the headline reads it "
    "(the latest policy within the budget along each run, best run of the seed). Bias = mean(reading − truth). "
    "Independent noise is the worst case for the best-of-runs step: common random numbers make much of it shared, "
    "which cancels there."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Without --algos: from a results folder's records, how much of each configuration's spread over seeds the "
        "evaluation's sampling explains, and at each KL budget the minimum paired difference the seeds at hand "
        "detect with 80% power and the seeds needed for --delta. With --algos: first run one configuration at "
        "--seeds (data, training and evaluation vary) and at one cell seed over --train-seeds (training alone "
        "varies), into OUT (resumable), and split its variance into evaluation sampling, training order and data."
    )
    add_out_arg(parser)
    parser.add_argument("--delta", type=float, default=0.03, help="the paired difference to detect (default 0.03)")
    add_algos_arg(parser, "run and split these algorithms' configurations (default: report only)")
    add_task_arg(parser, "task of --algos' cells (default: sentiment)")
    add_model_arg(parser, help_text="model of --algos' cells (default: tiny)")
    add_set_arg(parser, "repeatable")
    add_seeds_arg(parser, "cell seeds of the seeds group: 0,1,2 or 0-19 (default: 0-5)", default=list(range(6)))
    parser.add_argument(
        "--train-seeds", type=seeds, default=list(range(6)), help="train seeds of the train group (default: 0-5)"
    )
    parser.add_argument("--cell-seed", type=seed, default=0, help="the train group's cell seed (default: 0)")
    add_cache_arg(parser)
    add_precision_arg(parser)
    add_executor_args(parser)
    parser.add_argument(
        "--seeds-shown",
        type=int,
        default=DEFAULT_SEED_COUNT,
        help="replication: the seed count whose interval "
        f"coverage is measured from configurations with at least 10 seeds (default {DEFAULT_SEED_COUNT})",
    )
    parser.add_argument("--quiet", action="store_true", help="plain log lines, no progress bar")
    parser.add_argument(
        "--replications",
        type=int,
        default=200,
        help="simulated replications per algorithm and seed of the reading rule's bias (default 200)",
    )


def run(args: argparse.Namespace) -> int:
    if not args.delta > 0:
        raise SettingsError(f"--delta {args.delta}: must be > 0, e.g. --delta 0.03")
    if args.replications < 2:
        raise SettingsError(f"--replications {args.replications}: must be at least 2, e.g. --replications 200")
    out = Path(args.out)
    algos = args.algos or []
    if algos:  # cells will run: their records and cache need folders that take a file
        check_folders(out, args.cache)
    for algo in algos:
        split_section(args, algo, out)
    records = records_of(out)
    for board in build_boards(records):
        parts = []
        rows = eval_share_rows(board.records)
        if rows:
            header = ["configuration", "seeds", "sd over seeds", "eval se", "eval share of variance"]
            parts.append(f"**Evaluation sampling against the spread over seeds**\n\n{format_table(rows, header)}")
        coverage = coverage_rows(board.records, args.seeds_shown)
        if coverage:
            title = f"**Replication: coverage of 95% intervals from {args.seeds_shown} of many seeds**"
            parts.append(f"{title}\n\n{format_table(coverage, COVERAGE_HEADER)}")
        power = power_rows(board.headline, args.delta) if board.headline is not None else []
        if any(int(row[1]) for row in power):
            table = format_table(power, POWER_HEADER)
            parts.append(f"**Power of paired comparisons at each KL budget**\n\n{table}")
        bias = bias_rows(board.headline, args.replications) if board.headline is not None else []
        if bias:
            parts.append(f"**The reading rule's bias along training (simulated, measured noise)**\n\n"
                         f"{format_table(bias, BIAS_HEADER)}\n\n{BIAS_NOTE}")  # fmt: skip
        if parts:  # a key with one cell per configuration (a train seed of the split) has nothing to say
            print("\n\n".join([f"### {board.title}", *parts]) + "\n")
    return 0


def split_section(args: argparse.Namespace, algo: str, out: Path) -> None:
    overrides = parse_assignments(assignments(args))
    configs = noise_configs(
        algo,
        args.task,
        args.model,
        overrides,
        _two_or_more(args.seeds, "--seeds"),
        _two_or_more(args.train_seeds, "--train-seeds"),
        args.cell_seed,
    )
    seeds, trains, _ = run_noise(
        configs,
        out,
        Path(args.cache) if args.cache else None,
        progress_mode="quiet" if args.quiet else "auto",
        executor=args.executor,
        cpus_per_cell=args.cpus_per_cell,
    )
    label = " ".join([algo, *(f"{k}={v}" for k, v in overrides.items())])
    print(f"**Variance of one reading: {label} on {args.task} with {args.model}**\n")
    print(split_table(label, split_variance(readings(seeds), readings(trains))))


def _two_or_more(values: list[int], flag: str) -> list[int]:
    if len(set(values)) < 2:
        raise SettingsError(
            f"{flag} '{','.join(map(str, values))}': give at least two different seeds, e.g. {flag} 0-5 or {flag} 0,1,2"
        )
    return sorted(set(values))
