"""SimPO's length-normalized reward does not make answers much longer than DPO's (on the length trap)."""

from __future__ import annotations

import math

import numpy as np
from pobench.claims import register, rules
from pobench.claims.board import Evidence
from pobench.claims.claim import Claim, Finding, Scenario
from pobench.claims.measures import comparison_text, metric_at_kl
from pobench.core.inference import paired_comparison
from pobench.reports.headline import budgets_of

SHARE = 0.10  # "much longer": by more than a tenth of the SFT policy's mean length


@register("simpo-not-longer")
class SimPONotLonger(Claim):
    """Per seed and KL budget, the mean length of SimPO's policy minus DPO's, each read along its grid at that KL;
    paired over the seeds both grids span. Supported where at every budget compared the 95% interval lies below a
    tenth of SFT's length, contradicted where at one it lies above."""

    method = "simpo"
    sentence = "SimPO's length-normalized reward keeps answers from growing much longer than DPO's."
    source = "Meng et al. 2024 (arXiv:2405.14734); the seed notes, SimPO section"
    literature = "AlpacaEval 2 length-controlled gains 'without substantially increasing response length'"
    scenario = Scenario(
        results="results/concise-smollm2",
        task="concise",
        model="smollm2-135m",
        algos=("simpo", "dpo", "sft"),
        sweep="--tasks concise --models smollm2-135m --algos sft,best-of-n,dpo,simpo,ppo --seeds 0,1",
        note="2 seeds on the real model: wide intervals",
    )

    def measure(self, evidence: Evidence) -> Finding:
        mine = evidence.records_of(self.scenario)
        sft = [r.metrics["eval/length"] for r in mine if r.algo == "sft" and r.status == "ok"]
        margin = SHARE * float(np.mean(sft))
        parts, texts = {}, []
        for k in budgets_of(self.scenario.model):
            simpo, dpo = (metric_at_kl(mine, algo, "eval/length", k) for algo in ("simpo", "dpo"))
            c = paired_comparison("simpo", simpo, "dpo", dpo)
            if c.n >= 2:  # a budget both grids span on two seeds or more
                parts[f"KL {k:g}"] = rules.below(c.low, c.high, margin)
            texts.append(f"KL {k:g}: {comparison_text(c if c.n >= 2 else None, holm=False)}")
        verdict = rules.every(list(parts.values()))
        return Finding(
            verdict,
            f"length, simpo − dpo, tokens (margin +{margin:.2f}, a tenth of SFT's {margin / SHARE:.2f}): "
            + "; ".join(texts),
            "a 95% paired interval over the seeds both grids span" if not math.isnan(margin) else "no SFT length",
            parts,
        )
