"""The frontier along training: which optimizer steps a cell is scored at, and scoring that leaves training as it was.

A cell scored at several points of its training passes through every KL budget its run crosses, where a grid of
end points reads only where runs happen to stop. The points are log-spaced in optimizer steps and include the last.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import torch


def checkpoint_steps(total: int, count: int) -> tuple[int, ...]:
    """Up to ``count`` optimizer steps ending at ``total``, each 1/√2 of the next: round(total / 2^(i/2)) for
    i = 0..count−1, at least 1, duplicates dropped (so fewer where ``total`` is small). Total 128, count 8 → 11, 16,
    23, 32, 45, 64, 91, 128; total 60 → 5, 8, 11, 15, 21, 30, 42, 60. ``count`` ≤ 1: the last step alone.

    Log-spaced, as KL moves by factors along a run (0.05 → 0.4 → 2.9 nats over successive doublings of DPO's steps
    on tiny); a ratio of √2 rather than 2 halves the gap a budget is interpolated across, and the first points of
    training (warm-up, KL ≈ 0) are left to the start, which the SFT cell reads on the same draws.
    """
    if total < 1:
        return ()
    if count <= 1:
        return (total,)
    return tuple(sorted({max(1, int(round(total / 2 ** (i / 2)))) for i in range(count)}))


@contextmanager
def preserved_rng() -> Iterator[None]:
    """Run the block, then put Python's, numpy's and torch's global random states back as they were, so that
    scoring a checkpoint (which samples) leaves the rest of training drawing exactly what it would have drawn."""
    py, np_state, cpu = random.getstate(), np.random.get_state(), torch.get_rng_state()
    cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None
    try:
        yield
    finally:
        random.setstate(py)
        np.random.set_state(np_state)
        torch.set_rng_state(cpu)
        if cuda is not None:
            torch.cuda.set_rng_state_all(cuda)
