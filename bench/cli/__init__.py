"""The `pobench` command line. Each command is a module of this package with ``add_arguments(parser)`` and
``run(args) -> int``; this module only dispatches. A command's module is imported when that command runs (or
asks for its help), so ``pobench --help`` answers without loading torch."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# command: (module in pobench.cli, one-line help), in the order `pobench --help` lists them
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("run", "run one cell (algorithm × task × model × seed) and record it"),
    "list": ("listing", "list registered algorithms, tasks, models, or the shared settings"),
    "sweep": ("sweep", "run a grid of cells (resumable), then write the leaderboard"),
    "leaderboard": ("leaderboard", "build the leaderboard of a results folder from its records"),
    "perf": ("perf", "train throughput, MFU, memory and generation speed of adapters against raw TRL, side by side"),
    "plot": ("plot", "reward-vs-KL frontier and bars with CIs, as PNG, from a folder's records"),
    "validate": (
        "validate",
        "check an adapter against the exact optimum of the enumerable task (TV distance to its target)",
    ),
    "show": ("show", "print the records in a results folder, one row per cell"),
    "noise": ("noise", "split a reading's variance (eval, training, data) and say what the seeds can resolve"),
    "dashboard": (
        "dashboard",
        "create a wandb report comparing the algorithms of a results folder (--dry-run: print it)",
    ),
    "compare": (
        "compare",
        "do two runs of the same benchmark reach the same conclusions? (another machine, another thread count)",
    ),
    "carry-over": (
        "carry_over",
        "does what one model's headline says about the algorithms hold on another? (tiny → a pretrained model)",
    ),
    "tune-grids": (
        "tune_grids",
        "choose each algorithm's frontier grid on tuning seeds, never on the seeds the benchmark reports",
    ),
    "tune-rm": (
        "tune_rm",
        "choose a model's reward-model settings on tuning seeds: calibration R² and held-out accuracy per setting",
    ),
    "perf-sweep": (
        "perf_sweep",
        "time a sweep against the same cells run one by one, each `pobench run` in a fresh process",
    ),
    "cache": ("cache", "list the artifact cache's entries; --check verifies them, --prune removes damaged ones"),
}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(command_in(argv))
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    from pobench.cli.errors import run_reporting_errors  # loaded with the command: it knows every error type

    return run_reporting_errors(args)


def command_in(argv: Sequence[str]) -> str | None:
    """The command an argument list names: its first word that is not an option."""
    return next((a for a in argv if not a.startswith("-")), None)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser, with the arguments of ``command`` only (None or an unknown name: of none)."""
    parser = argparse.ArgumentParser(prog="pobench", description="Benchmark preference-optimization algorithms.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        command_parser = sub.add_parser(name, help=help_text, description=help_text)
        if command == name:
            module = importlib.import_module(f"pobench.cli.{module_name}")
            module.add_arguments(command_parser)
            command_parser.set_defaults(handler=module.run)
    return parser


if __name__ == "__main__":
    sys.exit(main())
