"""The optimizer pobench's own training loops use (SFT, PPO): AdamW, with PyTorch's fused kernel where the
device has one (CPU and CUDA since torch 2.4). The fused step is the same update in one kernel per parameter
group instead of a Python loop over tensors. On ``tiny`` (1.0M parameters in 38 tensors, one thread of a 2-core
Intel Xeon) a step takes 1.6 ms fused against 6.2 ms unfused: about 2 s of a PPO cell's 38 s (240 steps of the
actor and critic).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

FUSED_DEVICES = ("cpu", "cuda")


def adamw(params: Iterable[Any], device: str | torch.device, **options: Any) -> torch.optim.AdamW:
    """``torch.optim.AdamW(params, **options)``, fused on the devices in ``FUSED_DEVICES``."""
    kind = torch.device(device).type
    return torch.optim.AdamW(params, fused=kind in FUSED_DEVICES, **options)
