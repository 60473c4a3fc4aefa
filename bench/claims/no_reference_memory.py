"""CPO, ORPO and SimPO keep no reference model: a cell trains in less memory than DPO's."""

from __future__ import annotations

from pobench.claims import register, rules
from pobench.claims.board import Evidence
from pobench.claims.claim import Claim, Finding, Scenario
from pobench.claims.measures import TRAINED, per_seed_mean, ratio_text

STAGE, STEPS = "perf/train_mem_mb", "perf/train_steps_mem_mb"


@register("no-reference-saves-memory")
class NoReferenceSavesMemory(Claim):
    """Per seed, the memory a method's train stage adds at its peak (pobench.core.memory) over DPO's; geometric mean
    over seeds with a 95% interval. DPO's stage includes its reference: loaded, its log-probs computed over the
    train set, then freed before the optimizer steps (TRL's precompute_ref_log_probs, which pobench uses). The
    steps' own figure (the reference's passes apart) is printed beside it. Supported for a method whose interval
    lies below 1."""

    method = "cpo"
    sentence = "CPO (like ORPO and SimPO) keeps no reference model in memory, so it trains in less memory than DPO."
    source = "Xu et al. 2024 (CPO, arXiv:2401.08417); the seed notes, CPO section"
    literature = "CPO: 'no need to load the reference model', memory and speed efficient against DPO"
    scenario = Scenario(
        results="results/memory-smollm2",
        task="sentiment",
        model="smollm2-135m",
        algos=("cpo", "orpo", "simpo", "dpo"),
        sweep="--algos dpo,cpo,orpo,simpo --tasks sentiment --models smollm2-135m --seeds 0-3 --no-frontier "
        "--executor ray --cpus-per-cell 1",
        note="on a CPU: the resident set a stage adds (libraries and the process's own memory apart), one cell at "
        "each method's default rate; DPO's reference is freed once its log-probs are computed, as pobench trains it",
    )
    methods = ("cpo", "orpo", "simpo")

    def measure(self, evidence: Evidence) -> Finding:
        mine = evidence.records_of(self.scenario)
        dpo, dpo_steps = (per_seed_mean(mine, "dpo", m, TRAINED) for m in (STAGE, STEPS))
        if not dpo:
            why = f"no DPO cell here has {STAGE} (made before pobench measured it)"
            return Finding(rules.NOT_RESOLVED, why, "no measurement")
        parts, texts = {}, []
        for m in self.methods:
            text, (_, low, high, _) = ratio_text(f"{m}/dpo", per_seed_mean(mine, m, STAGE, TRAINED), dpo)
            steps, _ = ratio_text("steps alone", per_seed_mean(mine, m, STEPS, TRAINED), dpo_steps)
            parts[m] = rules.below(low, high, 1.0)
            texts.append(f"{text} ({steps})")
        mb = sorted(dpo.values())
        texts.append(f"DPO's stage adds {mb[0]:.0f} to {mb[-1]:.0f} MB")
        return Finding(parts["cpo"], "; ".join(texts), "a ratio's 95% interval over seeds (log scale)", parts)
