"""IPO's regularizer lets it converge without early stopping, where DPO's KL keeps growing."""

from __future__ import annotations

import math

from pobench.claims import register, rules
from pobench.claims.board import Evidence
from pobench.claims.claim import Claim, Finding, Scenario
from pobench.claims.measures import comparison_text, detectable, growth_by_seed
from pobench.core.inference import paired_comparison


@register("ipo-needs-no-early-stopping")
class IPONeedsNoEarlyStopping(Claim):
    """Per cell, the late KL growth log(KL_end / KL_half): how far the policy still moves from the reference in
    the second half of training (8 epochs, near-deterministic labels, on the tabular model, which can represent
    either target); per seed the mean over the method's cells. Supported where
    DPO's growth exceeds IPO's, paired over seeds (the test separates them); contradicted where IPO's is the
    larger."""

    method = "ipo"
    sentence = "IPO's regularizer lets it converge without early stopping, where DPO's KL keeps growing."
    source = "Azar et al. 2023 (arXiv:2310.12036); the seed notes, IPO section"
    literature = "with deterministic preferences DPO's optimum puts π(y_l) → 0 whatever β; IPO's stays finite"
    scenario = Scenario(
        results="results/ipo-epochs",
        task="exact",
        model="tabular",
        algos=("ipo", "dpo"),
        sweep="--algos dpo,ipo --tasks exact --models tabular --seeds 0-2 --no-frontier --set dpo.beta=3 "
        "--set ipo.beta=1 --set labeler_temperature=0.01 --set epochs=8 --set data_pairs=16384 --set batch_size=64 "
        "--set eval_checkpoints=8 --set checkpoint_samples=64",
        note="8 epochs scored at 8 checkpoints, not separate runs of 1 to 8 epochs",
        settings=(("labeler_temperature", 0.01), ("epochs", 8)),
    )

    def measure(self, evidence: Evidence) -> Finding:
        mine = evidence.records_of(self.scenario)
        c = paired_comparison("dpo", growth_by_seed(mine, "dpo"), "ipo", growth_by_seed(mine, "ipo"))
        verdict = rules.better({0.0: c if c.n >= 2 else None})
        resolves = f"detects {detectable(c):.3f} (80% power)" if math.isfinite(c.sd) else "fewer than two seeds"
        return Finding(verdict, f"late KL growth, dpo − ipo: {comparison_text(c, holm=False)}", resolves)
