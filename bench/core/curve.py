"""The training curve: metrics per logged step, checked for divergence as they arrive."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any


class DivergedError(FloatingPointError):
    """The training loss became NaN or infinite."""


class Curve:
    """Collects ``{"step": n, "train/loss": ..., ...}`` rows; a non-finite loss raises at once."""

    def __init__(self, sinks: list[Callable[[dict[str, Any]], None]] | None = None) -> None:
        self.rows: list[dict[str, Any]] = []
        self.sinks = sinks or []  # told every row as it arrives (wandb); they must not raise

    def log(self, step: int, metrics: dict[str, float]) -> None:
        row = {"step": step, **{k: float(v) for k, v in metrics.items() if _is_number(v)}}
        self.rows.append(row)
        for sink in self.sinks:
            sink(row)
        loss = row.get("train/loss")
        if loss is not None and not math.isfinite(loss):
            raise DivergedError(f"training loss became {loss} at step {step}")

    @property
    def last(self) -> dict[str, Any]:
        return self.rows[-1] if self.rows else {}


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
