"""Settings that several adapters declare under one name and mean the same thing by (``param(meaning=...)``).

A sweep's unqualified ``--set KEY=V`` applies to every algorithm that has KEY only when all of them mean the same
thing by it; otherwise it is refused and the qualified forms (``dpo.beta``) are named. A name that is the same in
two adapters without a shared meaning here (CPO's β, ORPO's λ and SimPO's scale are all ``beta``, as in TRL) means
that adapter's own setting."""

KL_STRENGTH = "β, the strength of the implicit KL pull toward the reference (DPO, IPO, KTO)"
ONLINE_KL_COEF = "β, the KL penalty coefficient toward the reference of an online trainer over TRL (GRPO, RLOO)"
POLICY_LEARNING_RATE = "the policy's peak learning rate"
ROLLOUT_PROMPTS = "prompts sampled per update of an online method"
UPDATES = "updates of an online method, each on a freshly sampled batch"
REWARD_SOURCE = "what an online method is trained on: the reward model, or the gold reward (an oracle)"
RM_LEARNING_RATE = "the reward model's learning rate"
RM_EPOCHS = "the reward model's epochs over the preference pairs"
