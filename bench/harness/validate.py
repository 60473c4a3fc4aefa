"""``pobench validate ALGO``: does an adapter reach the policy its paper says it optimizes?

On the enumerable task ``exact`` every number is computed twice: by summing over every response (the truth) and
by the usual sampled estimate. A check runs the adapter's cells with the validation recipe (the shared settings
below, plus the adapter's own ``validation`` overrides) and reports, averaged over seeds:

- the total-variation distance and KL from the trained policy to the adapter's target (``Adapter.exact_target``),
  and which target of the knob scan (the knob × 2^(k/4), bench/harness/evaluate.py) the policy is closest to. The
  check passes when, on every seed, TV ≤ ``tolerance`` (``Adapter.validation_tolerance``) and no scanned target is
  nearer than the declared one by more than SCAN_MARGIN; a nearer one within the margin is flagged. The second
  condition makes the check sharp: a policy stops short of its target (TV 0.04-0.05 for correct DPO and IPO on the
  tabular model), so a trainer given 1.5·β ends within the tolerance of the declared target on some seeds, but
  0.03-0.04 nearer the target of β×2^(1/4) or β×2^(2/4) (measured: results/validate-tabular/README.md). It has no
  verdict without a target;
- the exact KL and reward beside their sampled estimates, and whether every estimate lies within 3 standard errors
  of its exact value (the evaluator's own check);
- the regret at matched KL: the optimal policy's reward at the policy's exact KL, minus the policy's.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from pobench.algorithms import ALGORITHMS
from pobench.core.models import resolve_model
from pobench.core.params import SettingsError
from pobench.core.presets import END_ONLY
from pobench.harness.pipeline import CellFailed, run_cell
from pobench.harness.spec import resolve_spec
from pobench.reports.report import format_table

TASK = "exact"
# Shared settings of every check: enough pairs that the data covers the likely responses well, larger batches.
# the checks read the end of training alone (END_ONLY: the legacy values, so no record's name changes)
SHARED = {"data_pairs": "16384", "batch_size": "64", "eval_samples": "64", **END_ONLY}
ESTIMATES = (("eval/reward", "eval/reward_se", "exact/reward"), ("eval/kl", "eval/kl_se", "exact/kl"))
ESTIMATE_SES = 3.0  # a sampled estimate further than this many standard errors from the exact value is flagged


# How much nearer than the declared target another target of the knob scan may be. Measured on the tabular model
# (results/validate-tabular/README.md, docs/ground-truth.md): correct DPO and IPO 0 to 0.002 (on two CPUs), DPO given
# 1.25·β 0.006 to 0.014, given 1.5·β 0.032 to 0.040, given 2·β 0.075 or more. The margin sits about as many times
# above the correct adapters' worst (5×) as below 1.5·β's least (3.2×), so another CPU's drift fails neither.
SCAN_MARGIN = 0.01


def scan_excess(record) -> float:
    """TV to the declared target minus TV to the nearest target of the knob scan (0 where the declared one is the
    nearest, or nothing was scanned: the knob does not enter the target, or there is no knob)."""
    m = record.metrics
    if "exact/tv_closest" not in m or "exact/tv_target" not in m:
        return 0.0
    return max(0.0, m["exact/tv_target"] - m["exact/tv_closest"])


def on_own_target(record) -> bool:
    """No target of the knob scan is nearer than the declared one by more than SCAN_MARGIN."""
    return scan_excess(record) <= SCAN_MARGIN


@dataclass
class Check:
    algo: str
    target: str  # the target's formula, or a sentence saying there is none
    tolerance: float | None
    records: list = field(default_factory=list)
    knob: str | None = None  # the KL knob the target scan multiplies

    def mean(self, key: str) -> float:
        values = [r.metrics.get(key, math.nan) for r in self.records]
        return float(np.mean(values)) if values else math.nan

    @property
    def failed_cells(self) -> list:
        return [r for r in self.records if r.status != "ok"]

    @property
    def estimates_ok(self) -> bool:
        """Every seed's sampled reward and KL within ESTIMATE_SES standard errors of the exact values; where the KL is
        a bound (best-of-n), the exact KL at or below it."""
        for r in self.records:
            m = r.metrics
            for est, se, truth in ESTIMATES:
                if truth not in m:
                    return False
                if est == "eval/kl" and m.get("eval/kl_is_bound"):
                    if m[truth] > m[est] + 1e-9:
                        return False
                elif abs(m[est] - m[truth]) > ESTIMATE_SES * max(m[se], 1e-12):
                    return False
        return bool(self.records)

    @property
    def moved_toward_target(self) -> bool:
        """Every seed's policy closer to the target than the reference is: the adapter pulls the right way."""
        return bool(self.records) and all(
            r.metrics.get("exact/tv_target", math.inf) < r.metrics.get("exact/reference_tv_target", -math.inf)
            for r in self.records
        )

    def closest(self) -> str:
        """Per seed, the scanned target the policy is closest to: ``knob×factor (TV)``, so a miss says which way."""
        parts = []
        for r in self.records:
            factor, tv = r.metrics.get("exact/closest_factor"), r.metrics.get("exact/tv_closest")
            if factor is not None and tv is not None:
                parts.append(f"{self.knob}×{factor:.2g} ({tv:.3f})")
        return ", ".join(parts) or "-"

    @property
    def passed(self) -> bool | None:
        """On every seed, TV to the target within tolerance and the closest scanned target the adapter's own; None
        without a target. A failed cell fails the check."""
        if self.failed_cells:
            return False
        if self.tolerance is None or not self.records:
            return None
        return all(r.metrics["exact/tv_target"] <= self.tolerance and on_own_target(r) for r in self.records)

    def why_not(self) -> str:
        """Why the check fails ('' where it does not): the seeds beyond the tolerance, or nearer another target."""
        if self.passed is not False or self.failed_cells:
            return ""
        far = [r.seed for r in self.records if r.metrics["exact/tv_target"] > self.tolerance]
        off = [self._nearer(r) for r in self.records if not on_own_target(r)]
        parts = [f"TV > {self.tolerance:g} on seed(s) {', '.join(map(str, far))}"] if far else []
        return "; ".join(parts + ([f"nearer another target ({', '.join(off)})"] if off else []))

    def flags(self) -> str:
        """Seeds nearer another target by no more than SCAN_MARGIN: passing, but worth a look ('' if none)."""
        near = [self._nearer(r) for r in self.records if on_own_target(r) and scan_excess(r) > 0]
        return f"nearer another target within {SCAN_MARGIN:g} ({', '.join(near)})" if near else ""

    def _nearer(self, r) -> str:
        return f"seed {r.seed}: {self.knob}×{r.metrics['exact/closest_factor']:.3g} by {scan_excess(r):.3f}"

    def row(self) -> dict[str, str]:
        verdict = {True: "pass", False: "FAIL", None: "no target"}[self.passed]
        has_target = self.tolerance is not None and not self.failed_cells
        return {
            "algorithm": self.algo,
            "target": self.target,
            "TV to target": f"{self.mean('exact/tv_target'):.3f}" if has_target else "-",
            "TV π_ref to target": f"{self.mean('exact/reference_tv_target'):.3f}" if has_target else "-",
            "KL to target": f"{self.mean('exact/kl_to_target'):.3f}" if has_target else "-",
            "closest target": self.closest() if has_target else "-",
            "KL exact": f"{self.mean('exact/kl'):.3f}",
            "KL estimated": f"{self.mean('eval/kl'):.3f} ± {self.mean('eval/kl_se'):.3f}",
            "reward exact": f"{self.mean('exact/reward'):+.3f}",
            "reward estimated": f"{self.mean('eval/reward'):+.3f} ± {self.mean('eval/reward_se'):.3f}",
            "regret at matched KL": f"{self.mean('exact/regret'):.3f}",
            "estimates within 3 se": "yes" if self.estimates_ok else "NO",
            "seeds": str(len(self.records)),
            "check": f"FAIL ({len(self.failed_cells)} cell(s) not ok)"
            if self.failed_cells
            else (f"FAIL: {self.why_not()}" if self.passed is False else _flagged(verdict, self.flags())),
        }


def _flagged(verdict: str, flags: str) -> str:
    return f"{verdict} (flag: {flags})" if flags else verdict


@dataclass
class Plan:
    """One adapter's validation cells, resolved (every input checked) before any of them runs."""

    check: Check
    cells: list  # (CellSpec, ModelSource), one per seed


def plan(algo: str, seeds: list[int], overrides: dict[str, str], model: str = "tiny") -> Plan:
    """``algo``'s validation cells with the recipe (``overrides`` win over it) and its target; raises RegistryError
    or SettingsError, naming the value, before anything runs."""
    if not seeds:
        raise SettingsError("--seeds: give at least one seed, e.g. --seeds 0")
    adapter_cls = ALGORITHMS.get(algo)
    # the recipe is written for tiny: where the model's preset sets a value (tabular's learning rates), it wins
    given = resolve_model(model).preset.overrides(algo, adapter_cls)
    recipe = {k: v for k, v in {**SHARED, **adapter_cls.validation}.items() if k not in given}
    settings = {**recipe, **overrides}
    sources = {k: "validation recipe" for k in recipe} | {k: "--set" for k in overrides}
    cells = [resolve_spec(algo, TASK, model, seed, settings, sources) for seed in seeds]
    spec = cells[0][0]
    target = adapter_cls().exact_target(spec.hparams, spec.data)
    check = Check(
        algo,
        target.formula if target else "none known (distance to the optimum at the same KL only)",
        adapter_cls.validation_tolerance if target else None,
        knob=adapter_cls.kl_knob,
    )
    return Plan(check, cells)


def run(plan: Plan, out: Path, cache: Path | None = None, log: Callable[[str], None] = print) -> Check:
    """Run the planned cells; a failed cell is a result (its record joins the check)."""
    for spec, source in plan.cells:
        try:
            record, _ = run_cell(spec, source, out, cache, log=log)
        except CellFailed as failed:
            record = failed.record
        plan.check.records.append(record)
    return plan.check


def validate(
    algo: str,
    seeds: list[int],
    overrides: dict[str, str],
    out: Path,
    cache: Path | None = None,
    model: str = "tiny",
    log: Callable[[str], None] = print,
) -> Check:
    """Plan and run ``algo``'s validation cells (one per seed) and summarize them."""
    return run(plan(algo, seeds, overrides, model), out, cache, log)


def markdown(checks: list[Check]) -> str:
    rows = [c.row() for c in checks]
    return format_table([list(r.values()) for r in rows], list(rows[0]))
