"""Defaults shared by adapters, so that at their defaults they differ only in their loss."""

# Peak learning rate for the offline adapters at their defaults, for the embedded `tiny` model (~1M
# parameters, trained from scratch). At 1e-3 (the value before the frontier benchmark) DPO, IPO and KTO
# on `tiny` were chaotic: on tuning seed 100, KL did not follow β and 9 of 18 (algorithm, β) cells
# degenerated into text that never ends (99% truncated). 3e-4 is where β moves KL. For a pretrained
# model of real size set learning_rate with --set (DPO's paper used 5e-7 to 1e-6).
DEFAULT_LR = 3e-4
# Online adapters over TRL (GRPO, RLOO) keep the rate they were measured at.
ONLINE_LR = 1e-3
