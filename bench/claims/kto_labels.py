"""KTO on completions labelled alone, as its paper trains it: as good as DPO with as many labels, and with 90% of the
desirable ones dropped."""

from pobench.claims import register
from pobench.claims.claim import Scenario
from pobench.claims.paired import AsGoodAtMatchedKL

SWEEP = "--algos sft,dpo,kto --seeds 0-27 --executor ray --cpus-per-cell 1 --set kto.labels=alone"
SOURCE = "Ethayarajh et al. 2024 (arXiv:2402.01306); the seed notes, KTO section"


@register("kto-alone-matches-dpo")
class KTOAloneMatchesDPO(AsGoodAtMatchedKL):
    method = "kto"
    sentence = "KTO, each completion labelled good or bad alone, does as well as DPO with as many labels."
    source = SOURCE
    literature = "KTO matches or beats DPO from 1B to 30B parameters (on paired data split into good and bad)"
    scenario = Scenario(
        results="results/kto-alone",
        task="sentiment",
        model="tiny",
        algos=("kto", "dpo"),
        sweep=SWEEP,
        note="one label per pair: its first completion judged against the median completion by the same "
        "Bradley–Terry rater (T 0.1); KTO's learning rates are those tuned on the view of pairs",
        settings=(("labels", "alone"), ("desirable_kept", 1.0)),
    )
    method_algo, baseline = "kto", "dpo"


@register("kto-fewer-desirable-matches-dpo")
class KTOFewerDesirableMatchesDPO(AsGoodAtMatchedKL):
    method = "kto"
    sentence = "KTO with 90% of its desirable completions dropped still does as well as DPO."
    source = SOURCE
    literature = "KTO with up to 90% of the desirable data discarded still beats DPO (Llama-7B, Fig. 5)"
    scenario = Scenario(
        results="results/kto-fewer-desirable",
        task="sentiment",
        model="tiny",
        algos=("kto", "dpo"),
        sweep=f"{SWEEP} --set kto.desirable_kept=0.1 --set kto.desirable_weight=14",
        note="labelled alone as kto-alone-matches-dpo, then 10% of the desirable rows kept, λ_D 14: "
        "λ_D·n_D / λ_U·n_U ≈ 1.4, a little above the paper's [1, 4/3]; 54% to 58% of DPO's labels and steps",
        settings=(("labels", "alone"), ("desirable_kept", 0.1)),
    )
    method_algo, baseline = "kto", "dpo"
