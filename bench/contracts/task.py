"""What a task is: prompts, an SFT corpus, and a gold reward that every policy is judged by."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import ClassVar


@dataclass(frozen=True)
class SFTExample:
    prompt: str
    completion: str  # starts with a space; the tokenizer adds no separator


class Task:
    """A benchmark task. Subclasses set the class attributes and implement the four methods.

    ``version`` must change whenever prompts, corpus or gold reward change: it is part of the
    comparability key, so records made under another version never share a leaderboard.
    """

    name: ClassVar[str]
    version: ClassVar[str]
    description: ClassVar[str]
    max_new_tokens: ClassVar[int]  # generation length for pairs and evaluation
    # The gold reward of a completion that hit max_new_tokens without EOS (it never ended): the task's floor,
    # so that word salad which never stops cannot win. None: no penalty (tasks made from files or datasets).
    truncated_gold: ClassVar[float | None] = None
    # A closed vocabulary: a model that builds its tokenizer from the task (``tiny``) gets exactly these words
    # and the special tokens, so with a short max_new_tokens every response can be enumerated and the evaluator
    # adds exact reward and KL (bench/core/enumeration.py). Empty: a BPE tokenizer trained on the task's corpus.
    vocabulary: ClassVar[tuple[str, ...]] = ()
    # A question a user asks (concise, arithmetic), rather than text to continue (sentiment): on a model with a chat
    # template its prompts are rendered as a user turn (tasks/chat.py).
    conversational: ClassVar[bool] = False

    # Optional capabilities, each with its default. The harness reads these; it never probes a task with getattr.
    # A dataset read from a path or the hub: built as ``cls(spec, chat_tokenizer=...)`` with spec "[PATH][@GOLD]",
    # so ``--task NAME:PATH@GOLD`` works. False (a built-in task): built as ``cls()``.
    needs_loading: ClassVar[bool] = False
    # The shape of the task's preference data: "paired" (prompt, chosen, rejected; a task without given rows has
    # pairs sampled and labelled) or "unpaired" (prompt, completion, desirable label: KTO's data, which algorithms
    # that train on pairs cannot use).
    kind: str = "paired"
    # Whether ``gold_reward`` is defined. Without it gold reward and win rate are NaN, and an algorithm cannot be
    # trained on the gold reward.
    has_gold: bool = True

    def preference_rows(self) -> list[dict] | None:
        """The preference data as given (a file, a dataset), for the train prompts only. None, the default:
        pobench samples pairs from the SFT model and has the task's labeler label them."""
        return None

    def sft_examples(self, n: int, seed: int) -> list[SFTExample]:
        """``n`` demonstrations, the same for the same seed; usually over the train prompts (a task that
        uses the eval prompts too, as ``arithmetic`` does, says why in its docstring)."""
        raise NotImplementedError

    def train_prompts(self) -> list[str]:
        """Prompts for preference data and online training; disjoint from the eval prompts."""
        raise NotImplementedError

    def eval_prompts(self) -> list[str]:
        """Held-out prompts, fixed by the task version (not by any seed)."""
        raise NotImplementedError

    def gold_reward(self, prompts: Sequence[str], completions: Sequence[str]) -> list[float]:
        """The true objective, one float per completion; higher is better."""
        raise NotImplementedError

    def labeler_score(self, prompts: Sequence[str], completions: Sequence[str]) -> list[float]:
        """What the labeler's Bradley–Terry draw compares; by default the gold reward. A task whose
        raters are biased away from the true objective (``concise``: they like length) overrides it."""
        return self.gold_reward(prompts, completions)

    def gold(self, prompts: Sequence[str], completions: Sequence[str], truncated: Sequence[bool]) -> list[float]:
        """The gold reward of sampled completions as every metric and oracle uses it: ``gold_reward``, except
        that a completion cut at the length limit scores ``truncated_gold``."""
        return _floor_truncated(self.gold_reward(prompts, completions), truncated, self.truncated_gold)

    def labeler(self, prompts: Sequence[str], completions: Sequence[str], truncated: Sequence[bool]) -> list[float]:
        """``labeler_score`` of sampled completions, a cut one scoring ``truncated_gold`` (raters dislike it too)."""
        return _floor_truncated(self.labeler_score(prompts, completions), truncated, self.truncated_gold)

    def fingerprint_inputs(self) -> dict:
        """Anything beyond name and version that determines the task's data (e.g. a lexicon hash)."""
        return {}

    def data_stats(self) -> dict:
        """What building the task did to the rows it was given, for the record's data artifact (read by prepare after
        the cache, so a reused artifact reports this run's numbers); e.g. ``{"duplicate_rows_dropped": 3}``."""
        return {}


def _floor_truncated(scores: list[float], truncated: Sequence[bool], floor: float | None) -> list[float]:
    if len(scores) != len(truncated):
        raise ValueError(f"{len(scores)} scores but {len(truncated)} truncation flags")
    if floor is None:
        return list(scores)
    return [floor if cut else s for s, cut in zip(scores, truncated)]


class HeldOutPrompts(Task):
    """A task whose prompts are one list, shuffled once by a seed made of the task's name and version;
    the first ``eval_count`` are held out for evaluation, the rest train. Subclasses give ``all_prompts``."""

    eval_count: ClassVar[int]

    def all_prompts(self) -> list[str]:
        raise NotImplementedError

    @cached_property
    def _prompt_split(self) -> tuple[list[str], list[str]]:
        prompts = self.all_prompts()
        random.Random(f"{self.name}-v{self.version}-split").shuffle(prompts)
        return prompts[self.eval_count :], prompts[: self.eval_count]

    def train_prompts(self) -> list[str]:
        return list(self._prompt_split[0])

    def eval_prompts(self) -> list[str]:
        return list(self._prompt_split[1])
