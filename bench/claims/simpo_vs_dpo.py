"""SimPO, with no reference model, beats DPO (its paper's AlpacaEval 2 result)."""

from pobench.claims import register
from pobench.claims.claim import REFERENCE_SWEEP, Scenario
from pobench.claims.paired import BetterAtMatchedKL


@register("simpo-beats-dpo")
class SimPOBeatsDPO(BetterAtMatchedKL):
    method = "simpo"
    sentence = "SimPO's length-normalized reward with a target margin, without a reference, beats DPO."
    source = "Meng et al. 2024 (arXiv:2405.14734); the seed notes, SimPO section"
    literature = "+6.4 points AlpacaEval 2 LC win rate over DPO (Mistral-7B-Instruct)"
    scenario = Scenario(
        results="results/reference",
        task="sentiment",
        model="tiny",
        algos=("simpo", "dpo"),
        sweep=REFERENCE_SWEEP,
        note="gold at matched KL on the default task; the length part (on concise) is not measured yet",
    )
    better, worse = "simpo", "dpo"
