"""Defaults shared by adapters, so that at their defaults they differ only in their loss."""

# Peak learning rate for the offline adapters at their defaults. Tuned for the embedded `tiny`
# model (~1M parameters, trained from scratch); for a pretrained model of real size set
# learning_rate with --set (DPO's paper used 5e-7 to 1e-6).
DEFAULT_LR = 1e-3
