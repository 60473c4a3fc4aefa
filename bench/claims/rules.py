"""Verdict rules: a claim's measurement (intervals, paired tests) → supported, contradicted or not resolved.

Pure functions of numbers, tested on hand-made readings (tests/unit/test_claims.py), each verdict reachable. A rule
never calls a claim supported on a difference its test does not separate, and says "not resolved" with what the
measurement can resolve instead of guessing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from pobench.core.inference import PairedComparison

SUPPORTED, CONTRADICTED, NOT_RESOLVED = "supported", "contradicted", "not resolved"
ALPHA = 0.05


def better(comparisons: Mapping[float, PairedComparison | None], alpha: float = ALPHA) -> str:
    """The claim "a reads higher than b" at every budget, from each budget's paired comparison a − b (None where
    the two share fewer than two seeds), its p already Holm-adjusted over the budgets (``p_holm``).

    Contradicted where any budget separates the pair the other way; supported where every budget with a comparison
    separates it the claimed way (and there is at least one); not resolved otherwise."""
    read = [c for c in comparisons.values() if c is not None and c.n >= 2]
    if any(c.p_holm < alpha and c.mean < 0 for c in read):
        return CONTRADICTED
    if read and all(c.p_holm < alpha and c.mean > 0 for c in read):
        return SUPPORTED
    return NOT_RESOLVED


def at_least(low: float, high: float, margin: float) -> str:
    """Non-inferiority, "a does at least as well as b, within ``margin``", from the interval (low, high) of a − b:
    supported when the whole interval lies above −margin, contradicted when it lies below −margin, else not
    resolved (the interval straddles −margin, or is undefined)."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return NOT_RESOLVED
    if low > -margin:
        return SUPPORTED
    if high < -margin:
        return CONTRADICTED
    return NOT_RESOLVED


def below(low: float, high: float, bound: float) -> str:
    """ "The quantity is below ``bound``" (a cost ratio below 1, a length growth below a margin), from its interval:
    supported when the whole interval is below the bound, contradicted when the whole interval is at or above it."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return NOT_RESOLVED
    if high < bound:
        return SUPPORTED
    if low >= bound:
        return CONTRADICTED
    return NOT_RESOLVED


def every(verdicts: Sequence[str]) -> str:
    """A claim made of parts that must all hold: contradicted if any part is, supported if all are."""
    if not verdicts:
        return NOT_RESOLVED
    if CONTRADICTED in verdicts:
        return CONTRADICTED
    return SUPPORTED if all(v == SUPPORTED for v in verdicts) else NOT_RESOLVED
