"""Scoring a cell along its training (the frontier along training), kept apart from the training it interrupts."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from pobench.contracts.task import Task
from pobench.core.environment import world_size
from pobench.core.flops import FlopTally, charge, count_flops
from pobench.core.trajectory import checkpoint_steps, preserved_rng
from pobench.harness.evaluate import score_checkpoint, trajectory_point
from pobench.harness.spec import CellSpec


class CheckpointScorer:
    """``ctx.checkpoint`` of a cell: at the steps ``checkpoint_steps(total, eval_checkpoints)`` chooses, before the
    last (the end's own evaluation scores that one), score the policy as the evaluator does and keep the point.

    Scoring leaves training as it found it: the policy's train/eval mode and every global random state are put back,
    and the seconds and FLOPs it took are kept here, not counted as training's. Under several processes (DDP)
    nothing is scored: only the main process evaluates, and the others would wait at every checkpoint."""

    def __init__(
        self,
        spec: CellSpec,
        task: Task,
        load: Callable[[], tuple[Any, Any, Any]],
        log: Callable[[str], None] = print,
    ) -> None:
        self.spec, self.task, self.load, self.log = spec, task, load, log
        self.count = spec.eval.eval_checkpoints
        self.points: list[dict[str, float]] = []
        self.seconds = 0.0
        self.flops = FlopTally()
        self._judges: tuple[Any, Any, Any] | None = None  # reference, tokenizer, proxy: loaded at the first point

    @property
    def active(self) -> bool:
        return self.count > 1 and world_size() == 1

    def __call__(self, step: int, total: int, policy) -> None:
        if not self.active or step >= total or step not in checkpoint_steps(total, self.count):
            return
        start = time.perf_counter()
        with preserved_rng(), count_flops() as tally:
            if self._judges is None:
                self._judges = self.load()
            reference, tokenizer, proxy = self._judges
            was_training = policy.training
            policy.eval()
            try:
                metrics = score_checkpoint(
                    policy, reference, tokenizer, self.task, self.spec.eval, self.spec.seed, proxy
                )
            finally:
                policy.train(was_training)
        charge({kind: -flops for kind, flops in tally.breakdown().items()})  # training's tally saw these calls too
        for kind, flops in tally.breakdown().items():
            setattr(self.flops, kind, getattr(self.flops, kind) + flops)
        self.seconds += time.perf_counter() - start
        self.points.append(trajectory_point(step, metrics))
        self.log(f"  checkpoint {step}/{total}: gold {metrics['eval/reward']:+.3f}, KL {metrics['eval/kl']:.3f}")

    def trajectory(self, steps: int, final_metrics: dict[str, float]) -> list[dict[str, float]]:
        """The points scored along training, then the end's (step ``steps``, the final evaluation's metrics); empty
        where the cell is scored at the end alone."""
        return [*self.points, trajectory_point(steps, final_metrics)] if self.active else []
