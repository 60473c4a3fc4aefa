"""CPO, ORPO and SimPO keep no reference model: a cell costs less training compute than DPO's."""

from __future__ import annotations

from pobench.claims import register, rules
from pobench.claims.board import Evidence
from pobench.claims.claim import REFERENCE_SWEEP, Claim, Finding, Scenario
from pobench.claims.measures import TRAINED, per_seed_mean, ratio

FLOPS, FROZEN = "perf/train_flops", "perf/train_flops_frozen"


@register("no-reference-is-cheaper")
class NoReferenceIsCheaper(Claim):
    """Per seed, the mean training FLOPs of a method's cells over DPO's, with DPO's frozen forward passes (its
    reference log-probs, made once per cell and cached) counted and then left out; geometric mean over seeds with
    a 95% interval. Supported for a method whose interval lies below 1 with the reference counted."""

    method = "cpo"
    sentence = "CPO (like ORPO and SimPO) keeps no reference model, so it trains for less compute than DPO."
    source = "Xu et al. 2024 (CPO, arXiv:2401.08417); the seed notes, CPO, ORPO and SimPO sections"
    literature = "CPO: no reference model in memory or compute; ORPO, SimPO: reference-free"
    scenario = Scenario(
        results="results/reference",
        task="sentiment",
        model="tiny",
        algos=("cpo", "orpo", "simpo", "dpo"),
        sweep=REFERENCE_SWEEP,
        note="training FLOPs (analytic, bench/core/flops.py); memory: no-reference-saves-memory, on smollm2-135m",
    )
    methods = ("cpo", "orpo", "simpo")

    def measure(self, evidence: Evidence) -> Finding:
        mine = evidence.records_of(self.scenario)
        dpo_all = per_seed_mean(mine, "dpo", FLOPS, TRAINED)
        frozen = per_seed_mean(mine, "dpo", FROZEN, TRAINED)
        dpo_trained = {s: dpo_all[s] - frozen.get(s, 0.0) for s in dpo_all}
        parts, texts = {}, []
        for m in self.methods:
            theirs = per_seed_mean(mine, m, FLOPS, TRAINED)
            r, low, high, n = ratio(theirs, dpo_all)
            r2, low2, high2, _ = ratio(theirs, dpo_trained)
            parts[m] = rules.below(low, high, 1.0)
            texts.append(
                f"{m}/dpo {r:.2f} ({low:.2f}, {high:.2f}) with DPO's reference passes, {r2:.2f} ({low2:.2f}, "
                f"{high2:.2f}) without; {n} seeds"
            )
        return Finding(parts["cpo"], "; ".join(texts), "a ratio's 95% interval over seeds (log scale)", parts)
