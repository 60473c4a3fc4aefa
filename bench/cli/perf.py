"""``pobench dev perf``: train throughput, MFU, memory and generation speed of adapters against raw TRL."""

from __future__ import annotations

import argparse
import sys

from pobench.cli.options import add_algos_arg, add_device_arg, add_model_arg
from pobench.core.environment import device_name, pick_device
from pobench.harness.perf import print_table
from pobench.harness.perf import run as run_perf


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_algos_arg(parser, "TRL-backed adapters (default: dpo)", default=["dpo"])
    add_model_arg(parser, help_text="a shape built from its config, random init: tiny, qwen2-0.5b (default: tiny)")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--seq-len", type=int, default=64, help="prompt + completion tokens (half each)")
    parser.add_argument("--steps", type=int, default=20, help="optimizer steps per side (the first 3 are warm-up)")
    add_device_arg(parser)


def run(args: argparse.Namespace) -> int:
    device = args.device or pick_device()
    algos = args.algos
    print(
        f"pobench perf: {args.model} (random init), batch {args.batch_size}, {args.seq_len} tokens, "
        f"{args.steps} steps per side, on {device_name(device)}",
        file=sys.stderr,
    )
    print_table(run_perf(algos, args.model, args.batch_size, args.seq_len, args.steps, min(3, args.steps - 1), device))
    return 0
