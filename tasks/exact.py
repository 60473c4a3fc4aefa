"""exact (ground truth): every response can be enumerated, so reward, KL and each algorithm's optimum are exact.

Four one-word prompts; a response is up to three words from a five-word list, then EOS (156 responses per
prompt); the gold reward of each (prompt, response) is a fixed table of values in [0, 1], drawn once from a
seed named after the task's version. Anything else scores the floor −1: a response with any other word (a
prompt's), or one cut at ``max_new_tokens`` = 4 without EOS. Gold reads the decoded text, as everywhere, so a
special token inside a response (``<pad>``, ``<s>``, ``<unk>``) is dropped as the sampler drops it.

The task declares a closed vocabulary, so a model that builds its tokenizer from the task (``tiny``) has 13
outputs (the nine words and four special tokens) and the tree of every response of at most four tokens has
22,621 leaves per prompt: the evaluator sums over all of them (bench/core/enumeration.py) and records the exact
expected gold reward, the exact KL(π‖π_ref) and each adapter's distance to its theoretical target beside the
sampled estimates. ``pobench validate ALGO`` runs that check.

The SFT corpus makes π_ref uneven (some words and lengths far likelier than others, in an order of its own for
each prompt), so the optimum differs visibly from the reference. Train and eval prompts are the same four: an
algorithm's target is defined per prompt, and this task asks whether an adapter reaches it, not whether it
generalizes.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from functools import cached_property

from pobench.contracts.task import SFTExample, Task
from pobench.tasks import register

PROMPTS = ("north", "south", "east", "west")
WORDS = ("red", "green", "blue", "gold", "grey")
MAX_WORDS = 3
FLOOR = -1.0
WORD_WEIGHTS = (8, 4, 2, 1, 1)  # how often the SFT corpus uses each word, in an order shuffled per prompt
LENGTH_WEIGHTS = (1, 9, 6, 4)  # how often it writes 0, 1, 2, 3 words


@register("exact")
class Exact(Task):
    name = "exact"
    version = "1"
    description = "up to 3 of 5 words, then EOS; gold a fixed table in [0, 1] (else −1): every response enumerable"
    max_new_tokens = MAX_WORDS + 1
    truncated_gold = FLOOR
    vocabulary = PROMPTS + WORDS

    @cached_property
    def table(self) -> dict[str, dict[tuple[str, ...], float]]:
        """Gold reward of every in-set response of every prompt (a tuple of words; () is the empty response)."""
        rng = random.Random(f"{self.name}-v{self.version}-gold")
        responses = [r for n in range(MAX_WORDS + 1) for r in itertools.product(WORDS, repeat=n)]
        return {p: {r: round(rng.random(), 3) for r in responses} for p in PROMPTS}

    @cached_property
    def _word_weights(self) -> dict[str, list[int]]:
        rng = random.Random(f"{self.name}-v{self.version}-style")
        return {p: rng.sample(WORD_WEIGHTS, len(WORD_WEIGHTS)) for p in PROMPTS}

    def train_prompts(self) -> list[str]:
        return list(PROMPTS)

    def eval_prompts(self) -> list[str]:
        return list(PROMPTS)  # the same four: see the module docstring

    def sft_examples(self, n: int, seed: int) -> list[SFTExample]:
        rng = random.Random(seed)
        out = []
        for _ in range(n):
            prompt = rng.choice(PROMPTS)
            length = rng.choices(range(MAX_WORDS + 1), weights=LENGTH_WEIGHTS)[0]
            words = rng.choices(WORDS, weights=self._word_weights[prompt], k=length)
            out.append(SFTExample(prompt, "".join(" " + w for w in words)))
        return out

    def gold_reward(self, prompts: Sequence[str], completions: Sequence[str]) -> list[float]:
        return [self.table.get(p, {}).get(tuple(c.split()), FLOOR) for p, c in zip(prompts, completions, strict=True)]
