"""Defaults shared by adapters, so that at their defaults they differ only in their loss."""

# Peak learning rates at the adapters' defaults, for the embedded `tiny` model: where β moves KL (offline), and
# where GRPO and RLOO were measured (online); a pretrained model's preset gives its own. Why: docs/presets.md.
DEFAULT_LR = 3e-4
ONLINE_LR = 1e-3
