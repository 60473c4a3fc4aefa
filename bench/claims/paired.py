"""Claims that one method reads higher than another (or as high) at matched KL, on the same seeds and data."""

from __future__ import annotations

import math

from pobench.claims import rules
from pobench.claims.board import Evidence
from pobench.claims.claim import Claim, Finding
from pobench.claims.measures import comparison_text, detectable, matched_kl

MARGIN = 0.03  # gold reward: the difference the paired power analysis is asked to detect (the headline's DELTA)


class BetterAtMatchedKL(Claim):
    """``better`` over ``worse`` at every KL budget both are read at: paired gold, Holm over the budgets."""

    better = ""
    worse = ""

    def measure(self, evidence: Evidence) -> Finding:
        found = matched_kl(evidence.headline(self.scenario), self.better, self.worse)
        parts = {f"KL {k:g}": rules.better({k: c}) for k, c in found.items()}
        return Finding(
            rules.better(found),
            f"{self.better} − {self.worse}: " + "; ".join(f"KL {k:g}: {comparison_text(c)}" for k, c in found.items()),
            _resolves(found),
            parts,
        )


class AsGoodAtMatchedKL(Claim):
    """``method`` at least as good as ``baseline`` at every budget both are read at, within MARGIN: the paired 95%
    interval of method − baseline above −MARGIN (intervals per budget, not Holm: a non-inferiority reading)."""

    method_algo = ""
    baseline = ""

    def measure(self, evidence: Evidence) -> Finding:
        found = matched_kl(evidence.headline(self.scenario), self.method_algo, self.baseline)
        parts = {
            f"KL {k:g}": rules.NOT_RESOLVED if c is None else rules.at_least(c.low, c.high, MARGIN)
            for k, c in found.items()
        }
        return Finding(
            rules.every(list(parts.values())),
            f"{self.method_algo} − {self.baseline} (margin −{MARGIN:g}): "
            + "; ".join(f"KL {k:g}: {comparison_text(c)}" for k, c in found.items()),
            _resolves(found),
            parts,
        )


def _resolves(found) -> str:
    shown = [f"KL {k:g}: {detectable(c):.3f}" for k, c in found.items() if c is not None and math.isfinite(c.sd)]
    return "detects (80% power, before Holm): " + ", ".join(shown) if shown else "no budget read on every seed"
