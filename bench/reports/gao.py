"""Gao, Schulman and Hilton (2023), "Scaling laws for reward model overoptimization": the functional forms of gold
reward gain against the distance d = √KL from the initial policy, fitted by least squares. A reading aid beside the
headline, never a ranking: the forms are empirical and the fit says how fast a method's gain bends over.

    best-of-n:  R(d) = d·(α − β·d)
    RL (every other method):  R(d) = d·(α − β·log d)

R is the reward gained over the SFT policy (R(0) = 0: no intercept). Both forms are linear in (α, β): the design
columns are [d, −d²] and [d, −d·log d] (0 at d = 0, its limit), so the fit is ordinary least squares. Per seed one
fit of that seed's points; over seeds the mean of α and of β with a 95% Student-t interval (bench/core/inference.py).

Pure functions of plain numbers, checked in tests/unit/test_gao.py against forms with known α, β.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from pobench.core.inference import t_interval

BEST_OF_N = "best-of-n"
FORMS = {"bon": "d(α − β·d)", "rl": "d(α − β·log d)"}
MIN_POINTS = 2  # per seed: two unknowns
MIN_SEEDS = 2  # over seeds: an interval needs two fits


def form_of(algo: str) -> str:
    """ "bon" for best-of-n, "rl" for every other method (Gao et al. fit their RL form to PPO)."""
    return "bon" if algo == BEST_OF_N else "rl"


def distance(kl: float) -> float:
    """d = √KL, with a slightly negative KL estimate read as 0."""
    return math.sqrt(max(float(kl), 0.0))


def design(ds: Sequence[float], form: str) -> np.ndarray:
    """The least-squares design matrix of a form: rows [d, −d²] (bon) or [d, −d·log d] (rl, 0 at d = 0)."""
    if form not in FORMS:
        raise ValueError(f"form must be one of {', '.join(FORMS)}, got {form!r}")
    d = np.asarray(ds, dtype=float)
    if form == "bon":
        second = d * d
    else:
        second = np.where(d > 0, d * np.log(np.where(d > 0, d, 1.0)), 0.0)
    return np.column_stack([d, -second])


def model(ds: Sequence[float], alpha: float, beta: float, form: str) -> np.ndarray:
    """R(d) of a form at the distances ``ds``."""
    return design(ds, form) @ np.array([alpha, beta])


def fit(kls: Sequence[float], gains: Sequence[float], form: str) -> tuple[float, float]:
    """(α, β) minimising Σ (R_i − R(d_i))² over the finite points, d_i = √KL_i; (nan, nan) with fewer than
    MIN_POINTS points or a design of rank < 2 (all points at one distance, or at d = 0)."""
    pairs = [(distance(k), float(g)) for k, g in zip(kls, gains) if math.isfinite(k) and math.isfinite(g)]
    if len(pairs) < MIN_POINTS:
        return math.nan, math.nan
    x = design([d for d, _ in pairs], form)
    if np.linalg.matrix_rank(x) < 2:
        return math.nan, math.nan
    (alpha, beta), *_ = np.linalg.lstsq(x, np.array([g for _, g in pairs]), rcond=None)
    return float(alpha), float(beta)


def fit_over_seeds(per_seed: dict[int, list[tuple[float, float]]], form: str) -> dict[str, float]:
    """Per seed ``fit`` of its (KL, gain) points; the mean of α and β over the seeds that have a fit, with 95%
    t intervals: keys alpha, alpha_low, alpha_high, beta, beta_low, beta_high, seeds (how many were fitted).
    NaN everywhere with fewer than MIN_SEEDS fits."""
    fits = [fit([k for k, _ in pts], [g for _, g in pts], form) for _, pts in sorted(per_seed.items())]
    fits = [(a, b) for a, b in fits if math.isfinite(a) and math.isfinite(b)]
    out: dict[str, float] = {"seeds": float(len(fits))}
    for i, name in enumerate(("alpha", "beta")):
        values = [f[i] for f in fits]
        mean, low, high = t_interval(values) if len(fits) >= MIN_SEEDS else (math.nan,) * 3
        out.update({name: mean, f"{name}_low": low, f"{name}_high": high})
    return out
