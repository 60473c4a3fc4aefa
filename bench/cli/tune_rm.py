"""``pobench dev tune-rm``: choose a model's reward-model settings on tuning seeds, never on the reported seeds."""

from __future__ import annotations

import argparse
from pathlib import Path

from pobench.cli.options import (
    add_cache_arg,
    add_device_arg,
    add_model_arg,
    add_out_arg,
    add_seeds_arg,
    add_set_arg,
    add_task_arg,
)
from pobench.core.params import parse_assignments
from pobench.harness.tune_rm import tune_rm

DEFAULT_RATES = "1e-5,1e-4,3e-4,1e-3"
DEFAULT_EPOCHS = "2,4"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Train the reward model (what PPO and best-of-n optimize, and every cell's proxy) at every learning rate × "
        "epochs on the tuning seeds' preference pairs, as a sweep trains it, and print each setting's calibration "
        "R² against gold on the reference's eval samples and its held-out accuracy, with standard errors, and the "
        "setting with the highest mean R², for the model preset's rm_learning_rate and rm_epochs."
    )
    add_model_arg(parser, default="smollm2-135m")
    add_task_arg(parser)
    add_seeds_arg(parser, "tuning seeds (default: 100)", default=[100])
    parser.add_argument("--learning-rates", default=DEFAULT_RATES, help=f"comma-separated (default: {DEFAULT_RATES})")
    parser.add_argument("--epochs", default=DEFAULT_EPOCHS, help=f"comma-separated (default: {DEFAULT_EPOCHS})")
    add_out_arg(parser, default="results/tuning-rm", help_text="folder whose cache (OUT/cache) keeps the models")
    add_cache_arg(parser)
    add_device_arg(parser)
    add_set_arg(parser, "a shared setting the cells would have (data_pairs, eval_prompts, ...); repeatable")


def run(args: argparse.Namespace) -> int:
    return tune_rm(
        args.model,
        args.task,
        [str(s) for s in args.seeds],
        args.learning_rates,
        args.epochs,
        Path(args.cache) if args.cache else Path(args.out) / "cache",
        args.device,
        parse_assignments(args.sets),
    )
