"""Labelers: who decides which of two completions is preferred. Never the gold reward itself."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence


def bradley_terry_prob(gold_a: float, gold_b: float, temperature: float) -> float:
    """P(a ≻ b) = σ((gold_a − gold_b) / T): a noisy rater whose noise grows with T."""
    z = (gold_a - gold_b) / temperature
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)  # the same value, computed without overflow for very negative z
    return e / (1.0 + e)


def alone_labels(scores: Sequence[float], temperature: float, seed: int) -> list[bool]:
    """A good/bad label for each completion judged alone: good with probability σ((s − m) / T), m the median of
    ``scores``. The rater of ``bradley_terry_labels`` comparing each completion with a typical one (of score m),
    so the two label the same noise T; about half the completions are good. Same seed, same draws."""
    ordered = sorted(scores)
    n = len(ordered)
    if n == 0:
        return []
    bar = ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2
    rng = random.Random(seed)
    return [rng.random() < bradley_terry_prob(s, bar, temperature) for s in scores]


def bradley_terry_labels(gold_a: Sequence[float], gold_b: Sequence[float], temperature: float, seed: int) -> list[bool]:
    """One Bradley–Terry draw per pair: True where a is preferred. Same seed, same draws."""
    rng = random.Random(seed)
    return [rng.random() < bradley_terry_prob(a, b, temperature) for a, b in zip(gold_a, gold_b, strict=True)]
