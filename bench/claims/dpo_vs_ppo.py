"""DPO's reward-vs-KL frontier dominates PPO's (the DPO paper's IMDb figure)."""

from pobench.claims import register
from pobench.claims.claim import REFERENCE_SWEEP, Scenario
from pobench.claims.paired import BetterAtMatchedKL


@register("dpo-beats-ppo")
class DPOBeatsPPO(BetterAtMatchedKL):
    method = "dpo"
    sentence = "DPO's reward-vs-KL frontier dominates PPO's: at every KL budget DPO reads higher gold."
    source = "Rafailov et al. 2023 (arXiv:2305.18290), Fig. 2 (IMDb sentiment); the seed notes, DPO section"
    literature = "DPO's frontier above PPO's at every KL on IMDb; Xu et al. 2024: tuned PPO beats DPO on HH-RLHF"
    scenario = Scenario(
        results="results/reference",
        task="sentiment",
        model="tiny",
        algos=("dpo", "ppo"),
        sweep=REFERENCE_SWEEP,
    )
    better, worse = "dpo", "ppo"
