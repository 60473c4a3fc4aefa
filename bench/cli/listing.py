"""``pobench list [algorithms|tasks|models|settings]``: what is registered, with defaults and presets."""

from __future__ import annotations

import argparse
from dataclasses import fields

from pobench.algorithms import ALGORITHMS
from pobench.core.models import MODELS, Pretrained
from pobench.core.params import describe_field, ordered_fields
from pobench.core.settings import COMMON_SETTINGS
from pobench.tasks import TASKS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("what", nargs="?", default="all", choices=("all", "algorithms", "tasks", "models", "settings"))


def run(args: argparse.Namespace) -> int:
    what = args.what
    if what in ("all", "algorithms"):
        print("algorithms:")
        for name, cls in ALGORITHMS.items():
            params = ", ".join(f"{f.name}={f.default!r}" for f in ordered_fields(cls.hparams))
            print(f"  {name:10s} {cls.description}" + (f"  [{params}]" if params else ""))
            if cls.kl_knob:
                grid = ", ".join(cls.frontier_grid) if cls.frontier_grid else "none (not in the default benchmark)"
                print(f"  {'':10s} KL knob {cls.kl_knob}: frontier grid {grid}")
            if cls.knob_note:
                print(f"  {'':10s} note: {cls.knob_note}")
    if what in ("all", "tasks"):
        print("tasks:")
        for name, cls in TASKS.items():
            if cls.needs_loading:  # a dataset: its size is known once it is loaded
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
