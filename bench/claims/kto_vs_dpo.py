"""KTO, which needs only good/bad labels, matches DPO."""

from pobench.claims import register
from pobench.claims.claim import REFERENCE_SWEEP, Scenario
from pobench.claims.paired import AsGoodAtMatchedKL


@register("kto-matches-dpo")
class KTOMatchesDPO(AsGoodAtMatchedKL):
    method = "kto"
    sentence = "KTO needs only a good/bad label per completion and does as well as DPO."
    source = "Ethayarajh et al. 2024 (arXiv:2402.01306); the seed notes, KTO section"
    literature = "matches or beats DPO from 1B to 30B parameters, also with up to 90% fewer desirable examples"
    scenario = Scenario(
        results="results/reference",
        task="sentiment",
        model="tiny",
        algos=("kto", "dpo"),
        sweep=REFERENCE_SWEEP,
        note="KTO's labels come from DPO's pairs (chosen good, rejected bad); completions labelled alone: "
        "kto-alone-matches-dpo",
        settings=(("labels", "pairs"),),  # not the cells of KTO trained on completions labelled alone
    )
    method_algo, baseline = "kto", "dpo"
