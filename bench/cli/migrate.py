"""``pobench migrate --out DIR``: a results folder's records rewritten in today's schema, once."""

from __future__ import annotations

import argparse
from pathlib import Path

from pobench.cli.options import add_out_arg, stderr_log
from pobench.harness.migrate import migrate


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Rewrite the records of a results folder written by an older pobench in today's schema: settings renamed "
        "(SimPO's gamma is simpo_gamma, CPO's nll_weight is cpo_alpha, as TRL names them), metrics under today's "
        "names, the degenerate rule applied. Idempotent: records already in today's schema are left as they are."
    )
    add_out_arg(parser)


def run(args: argparse.Namespace) -> int:
    result = migrate(Path(args.out), log=stderr_log)
    return 1 if result.skipped else 0
