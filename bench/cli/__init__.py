"""The `pobench` command line. Each command is a module of this package with ``add_arguments(parser)`` and
``run(args) -> int``; this module only dispatches. A command's module is imported when that command runs (or
asks for its help), so ``pobench --help`` answers without loading torch. The flags the commands share are in
``options`` (one name, one type, one meaning each); the maintainers' tools sit under ``pobench dev``."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from pobench.core.version import package_version

# command: (module in pobench.cli, one-line help), in the order `pobench --help` lists them
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("run", "run one cell (algorithm × task × model × seed) and record it"),
    "sweep": ("sweep", "run a grid of cells (resumable), then write the leaderboard"),
    "leaderboard": (
        "leaderboard",
        "the leaderboard of a results folder, from its records: Markdown, CSV, HTML, PNG figures or a wandb report",
    ),
    "show": ("show", "print the records of a results folder, one row per cell, or one record in full"),
    "compare": (
        "compare",
        "what two results folders conclude about the algorithms, side by side, and where they disagree",
    ),
    "noise": ("noise", "split a reading's variance (eval, training, data) and say what the seeds can resolve"),
    "validate": (
        "validate",
        "check adapters against the exact optimum of the enumerable task (TV distance to each one's target)",
    ),
    "list": ("listing", "list registered algorithms, tasks, models, or the shared settings"),
    "cache": ("cache", "list the artifact cache's entries; --check verifies them, --prune removes damaged ones"),
    "migrate": ("migrate", "rewrite a results folder's records from an older pobench in today's schema, once"),
}
# `pobench dev TOOL`: what the maintainers use to choose the defaults and measure pobench itself
DEV_COMMANDS: dict[str, tuple[str, str]] = {
    "tune-grids": (
        "tune_grids",
        "choose each algorithm's frontier grid on tuning seeds, never on the seeds the benchmark reports",
    ),
    "tune-rm": (
        "tune_rm",
        "choose a model's reward-model settings on tuning seeds: calibration R² and held-out accuracy per setting",
    ),
    "perf": ("perf", "train throughput, MFU, memory and generation speed of adapters against raw TRL, side by side"),
    "perf-sweep": (
        "perf_sweep",
        "time a sweep against the same cells run one by one, each `pobench run` in a fresh process",
    ),
}
DEV_HELP = "maintainer tools: " + ", ".join(DEV_COMMANDS)


class Parser(argparse.ArgumentParser):
    """argparse with pobench's error: one line, ``pobench: error: ...``; ``main`` returns 2 (argparse would exit).
    No abbreviations: ``--algo`` is not taken for ``--algos``, so a flag has one spelling."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, allow_abbrev=False, **kwargs)

    def error(self, message: str):
        raise UsageError(f"{self.prog}: {message} (see {self.prog} --help)")


class UsageError(Exception):
    """A command line argparse refuses: an unknown flag, a missing or malformed value."""


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(words_in(argv))
    try:
        args = parser.parse_args(argv)
    except UsageError as exc:
        print(f"pobench: error: {exc}", file=sys.stderr)
        return 2
    if not args.command or (args.command == "dev" and not args.tool):
        (args.dev_help if args.command else parser.print_help)()
        return 2
    from pobench.cli.errors import run_reporting_errors  # loaded with the command: it knows every error type

    return run_reporting_errors(args)


def words_in(argv: Sequence[str]) -> list[str]:
    """The words of an argument list that are not options: the command (and a dev tool) come first."""
    return [a for a in argv if not a.startswith("-")][:2]


def build_parser(words: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The parser, with the arguments of the command ``words`` names only (none, or an unknown name: of none)."""
    command = words[0] if words else None
    parser = Parser(prog="pobench", description="Benchmark preference-optimization algorithms.")
    parser.add_argument("--version", action="version", version=f"pobench {package_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for name, (module_name, help_text) in COMMANDS.items():
        add_command(sub, name, module_name, help_text, load=command == name)
    dev = sub.add_parser("dev", help=DEV_HELP, description=DEV_HELP)
    dev.set_defaults(dev_help=dev.print_help)  # `pobench dev` without a tool
    tools = dev.add_subparsers(dest="tool", metavar="TOOL", parser_class=Parser)
    for name, (module_name, help_text) in DEV_COMMANDS.items():
        add_command(tools, name, module_name, help_text, load=command == "dev" and words[1:2] == [name])
    return parser


def add_command(sub, name: str, module_name: str, help_text: str, load: bool) -> None:
    command_parser = sub.add_parser(name, help=help_text, description=help_text)
    if load:
        module = importlib.import_module(f"pobench.cli.{module_name}")
        module.add_arguments(command_parser)
        command_parser.set_defaults(handler=module.run)


if __name__ == "__main__":
    sys.exit(main())
