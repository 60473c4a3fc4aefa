"""ORPO folds SFT into preference training: from the model SFT starts from, it does as well as SFT then DPO, for
less compute."""

from __future__ import annotations

import math

from pobench.claims import register, rules
from pobench.claims.board import Evidence
from pobench.claims.claim import Finding, Scenario
from pobench.claims.measures import TRAINED, comparison_text, per_seed_mean, ratio_text
from pobench.claims.paired import MARGIN, AsGoodAtMatchedKL
from pobench.core.inference import paired_comparison
from pobench.reports.headline import algorithm_readings

FLOPS = "perf/train_flops"


def sft_flops(records) -> float | None:
    """The SFT stage's FLOPs (the reference artifact's, counted where it was built), or None where no record says."""
    counted = [r.artifacts.get("reference", {}).get("sft_flops") for r in records]
    counted = [c for c in counted if c]
    return max(counted) if counted else None


@register("orpo-folds-sft-in")
class ORPOFoldsSFTIn(AsGoodAtMatchedKL):
    """Gold at matched KL (to the SFT model, the reference every method is measured from), ORPO started from the
    model SFT starts from against DPO started from SFT, non-inferiority within 0.03 per budget; and the training
    compute, ORPO's over SFT's plus DPO's (per seed, the mean over each method's cells; SFT counted in full, once,
    as DPO's path needs it). Supported where ORPO is as good at every budget read and its compute ratio's interval
    lies below 1."""

    method = "orpo"
    sentence = "ORPO, from the model SFT starts from, does as well as SFT then DPO without the SFT stage's compute."
    source = "Hong et al. 2024 (arXiv:2403.07691); the seed notes, ORPO section"
    literature = "Mistral-ORPO (7B, from the base model) above SFT+DPO on AlpacaEval 2.0 and MT-Bench"
    scenario = Scenario(
        results="results/orpo-smollm2",
        task="sentiment",
        model="smollm2-135m",
        algos=("orpo", "dpo"),
        sweep="--algos sft,dpo,orpo --tasks sentiment --models smollm2-135m --seeds 0-1 --set orpo.start=base "
        "--executor ray --cpus-per-cell 1",
        note="2 seeds, wide intervals; SmolLM2-135M's SFT is 60 steps on the task's own demonstrations, so its "
        "base is a pretrained model "
        "near it; ORPO's grid is the one tuned from SFT (the same tuning effort as DPO's, none for the base start). "
        "On tiny the base is a random initialization: ORPO would learn language from 1,024 chosen completions "
        "against SFT's 19,200 demonstrations (one trial cell of 8 steps ended degenerate at KL 170)",
        settings=(("start", "base"),),
    )
    method_algo, baseline = "orpo", "dpo"

    def measure(self, evidence: Evidence) -> Finding:
        gold = super().measure(evidence)
        mine = evidence.records_of(self.scenario)
        if all(v == rules.NOT_RESOLVED for v in gold.parts.values()):  # no budget compared: is ORPO dominated?
            gold = self.dominated(evidence, mine, gold)
        sft = sft_flops(mine)
        if sft is None:
            parts = {**gold.parts, "compute": rules.NOT_RESOLVED}
            return Finding(rules.every(list(parts.values())), gold.measurement + "; SFT's FLOPs not recorded",
                           gold.resolves, parts)  # fmt: skip
        dpo_path = {s: sft + f for s, f in per_seed_mean(mine, "dpo", FLOPS, TRAINED).items()}
        text, (_, low, high, _) = ratio_text("orpo/(sft + dpo)", per_seed_mean(mine, "orpo", FLOPS, TRAINED), dpo_path)
        parts = {**gold.parts, "compute": rules.below(low, high, 1.0)}
        measurement = f"{gold.measurement}; training FLOPs {text} (SFT {sft:.3g})"
        return Finding(rules.every(list(parts.values())), measurement, gold.resolves, parts)

    def dominated(self, evidence: Evidence, mine, gold: Finding) -> Finding:
        """Where ORPO is read at no budget: its best gold at any KL against DPO's reading at the smallest budget DPO
        is read at on every seed (non-inferiority within the margin). Contradicted where even ORPO's best cell,
        however far it moved, is below DPO's within that budget: DPO dominates it."""
        headline = evidence.headline(self.scenario)
        best: dict[int, float] = {}
        for r in mine:
            if r.algo == "orpo" and r.status == "ok":
                best[r.seed] = max(best.get(r.seed, -math.inf), r.metrics["eval/reward"])
        for k in headline.budgets:
            dpo = algorithm_readings(headline, "dpo", k)
            if dpo and len(dpo) == len(headline.seed_points["dpo"]):
                c = paired_comparison("orpo", best, "dpo", dpo)
                part = rules.at_least(c.low, c.high, MARGIN) if c.n >= 2 else rules.NOT_RESOLVED
                text = f"{gold.measurement}; orpo's best cell at any KL − dpo at KL {k:g}: "
                text += comparison_text(c, holm=False)
                return Finding(part, text, gold.resolves, {**gold.parts, f"best orpo vs dpo at KL {k:g}": part})
        return gold
