"""Tasks whose preference data is given rather than generated: a user's file or a public dataset.

The rows are used as given (no sampling, no labeler); SFT trains on the chosen (or desirable)
completions. About 10% of the distinct prompts (by a hash of the prompt, at most 128) are held
out for evaluation, with their rows; the rest train. The gold reward is optional
(``module:function``); without one, evaluation reports KL, length and throughput, and gold reward
and win rate are NaN. The task version is a hash of the rows and the gold reward.
"""

from __future__ import annotations

import hashlib
import importlib
import math
import random
from collections.abc import Callable, Sequence
from functools import cached_property

from pobench.contracts.task import SFTExample, Task
from pobench.core.hashing import content_hash
from pobench.core.params import SettingsError

EVAL_BUCKETS = 10  # one prompt in ten is held out for evaluation
MAX_EVAL_PROMPTS = 128


class DataFileError(SettingsError):
    """Preference data that cannot be used: one message listing every problem found."""


def load_gold(spec: str) -> Callable[[Sequence[str], Sequence[str]], list[float]]:
    module, sep, function = spec.partition(":")
    if not sep or not module or not function:
        raise SettingsError(f"gold reward {spec!r}: expected module:function, e.g. file:prefs.jsonl@my_rewards:score")
    try:
        return getattr(importlib.import_module(module), function)
    except (ImportError, AttributeError) as exc:
        raise SettingsError(f"gold reward {spec!r}: cannot load it ({exc})") from None


def joined(prompt: str, completion: str) -> str:
    """The completion as appended to its prompt: a space between them unless one side has whitespace."""
    return completion if prompt[-1:].isspace() or completion[:1].isspace() else " " + completion


class PreferenceRowsTask(Task):
    """A task whose preference data is given (a file, a hub dataset) rather than sampled and labelled.

    Subclasses call ``setup(name, source, kind, rows, gold_spec)`` with validated rows.
    """

    max_new_tokens = 64
    source: str  # where the rows came from, for messages and the record

    def setup(self, name: str, source: str, kind: str, rows: list[dict], gold_spec: str | None) -> None:
        self.name, self.source, self.kind, self.rows, self.gold_spec = name, source, kind, rows, gold_spec
        self.version = content_version(rows, gold_spec)
        self.description = f"{kind} preference rows from {source}"
        self._gold = load_gold(gold_spec) if gold_spec else None
        if len(self._split[0]) == 0 or len(self._split[1]) == 0:
            raise DataFileError(f"{source}: needs at least two distinct prompts (one to train, one to evaluate)")

    @property
    def has_gold(self) -> bool:
        return self._gold is not None

    @cached_property
    def _split(self) -> tuple[list[str], list[str]]:
        prompts = sorted({r["prompt"] for r in self.rows})
        digest = {p: int(hashlib.sha256(p.encode()).hexdigest(), 16) for p in prompts}
        held = [p for p in prompts if digest[p] % EVAL_BUCKETS == 0][:MAX_EVAL_PROMPTS]
        if not held and len(prompts) > 1:
            held = [min(prompts, key=digest.get)]
        return [p for p in prompts if p not in set(held)], held

    def train_prompts(self) -> list[str]:
        return list(self._split[0])

    def eval_prompts(self) -> list[str]:
        return list(self._split[1])

    def train_rows(self) -> list[dict]:
        train = set(self.train_prompts())
        return [r for r in self.rows if r["prompt"] in train]

    def preference_rows(self) -> list[dict]:
        """The data as given, for the train prompts only (completions joined to their prompts)."""
        out = []
        for r in self.train_rows():
            texts = {k: joined(r["prompt"], v) for k, v in r.items() if k in ("chosen", "rejected", "completion")}
            out.append({**r, **texts})
        return out

    def sft_examples(self, n: int, seed: int) -> list[SFTExample]:
        good = [r for r in self.train_rows() if r.get("label", True)]
        key = "chosen" if self.kind == "paired" else "completion"
        rng = random.Random(seed)
        return [SFTExample(r["prompt"], joined(r["prompt"], r[key])) for r in (rng.choice(good) for _ in range(n))]

    def gold_reward(self, prompts: Sequence[str], completions: Sequence[str]) -> list[float]:
        if self._gold is None:
            return [math.nan] * len(completions)
        return [float(x) for x in self._gold(list(prompts), list(completions))]

    def fingerprint_inputs(self) -> dict:
        return {"source": self.source, "gold": self.gold_spec}


def content_version(rows: list[dict], gold_spec: str | None) -> str:
    """The task version: a hash of the rows and the gold reward, so changed data never shares a leaderboard."""
    return content_hash({"rows": rows, "gold": gold_spec}, length=12)
