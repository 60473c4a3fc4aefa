"""Choose a model's reward-model settings on tuning seeds, never on the seeds the benchmark reports.

    pobench dev tune-rm [--model smollm2-135m] [--seeds 100] [--learning-rates 1e-5,3e-4] [--epochs 1,4] [--out DIR]

The reward model is what PPO and best-of-n optimize and what judges every cell as its proxy (pobench.kit.proxy);
a model preset sets it with ``rm_learning_rate`` and ``rm_epochs``. Each candidate setting (every learning rate
× every epoch count) is trained on a tuning seed's preference pairs as the sweep trains it
(``prepare_reward_model``, cached, so a setting built before is reused) and judged by what a record would report
of it: the calibration line's R² (gold on the score over the reference's samples of the eval prompts,
``prepare_proxy``: the same function and the same samples as every record's ``proxy/r2``) and its accuracy on the
held-out pairs, against the labeler and against gold. The setting with the highest mean R² over the seeds is
printed for the preset.

Each figure comes with its standard error: R²'s large-sample one (the delta method), 2·√R²·(1 − R²)/√n over n
samples, and an accuracy's √(p(1 − p)/m) over m pairs. With the CPU budget's
32 × 4 samples and 13 held-out pairs they are near 0.07 and 0.12: the step from a blind model to an informative
one reads, the order of two close settings does not.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pobench.core.cache import ArtifactCache
from pobench.core.environment import pick_device
from pobench.core.params import SettingsError
from pobench.harness.prepare import prepare, prepare_proxy
from pobench.harness.spec import parse_seed, resolve_spec
from pobench.kit.reward_model import RewardModelSettings
from pobench.reports.report import format_table

ALGO = "best-of-n"  # resolves the cell settings (SFT, data, eval) every algorithm of the model shares


@dataclass(frozen=True)
class Probe:
    """One reward-model setting on one tuning seed: its calibration line and held-out accuracies."""

    seed: int
    learning_rate: float
    epochs: int
    r2: float
    slope: float
    samples: int  # reference samples the line was fitted on
    accuracy: float  # held-out pairs ordered as the labeler did
    gold_accuracy: float  # ... as gold does
    pairs: int  # held-out pairs
    build_s: float  # seconds to train it (0 when the cache had it)


def r2_se(r2: float, n: int) -> float:
    """The delta-method standard error of a sample R² of one predictor over n points: 2·√R²·(1 − R²)/√n."""
    return 2 * math.sqrt(max(r2, 0.0)) * (1 - r2) / math.sqrt(n) if n > 0 else math.nan


def accuracy_se(p: float, m: int) -> float:
    """The binomial standard error √(p(1 − p)/m) of an accuracy over m pairs."""
    return math.sqrt(p * (1 - p) / m) if m > 0 and math.isfinite(p) else math.nan


def signed_r2(p: Probe) -> float:
    """R² with the slope's sign: a reward model that orders samples against gold fits a line as well as one that
    orders them with it, and must not be chosen for it."""
    return p.r2 if p.slope > 0 else -p.r2


def mean_signed_r2(probes: Sequence[Probe]) -> dict[tuple[float, int], float]:
    """(learning rate, epochs) → its mean signed R² over the seeds, for the settings probed, with a finite R², on
    every seed that any setting was probed on; in the order first probed."""
    seeds = {p.seed for p in probes}
    by_setting: dict[tuple[float, int], list[float]] = {}
    for p in probes:
        by_setting.setdefault((p.learning_rate, p.epochs), []).append(signed_r2(p))
    return {
        s: sum(r2s) / len(seeds)
        for s, r2s in by_setting.items()
        if len(r2s) == len(seeds) and all(map(math.isfinite, r2s))
    }


def choose(probes: Sequence[Probe]) -> tuple[float, int] | None:
    """The (learning rate, epochs) with the highest mean_signed_r2; None if there is none. Ties go to the first
    probed."""
    means = mean_signed_r2(probes)
    return max(means, key=means.get) if means else None


def probe(
    model: str,
    task: str,
    seed: int,
    settings: Sequence[RewardModelSettings],
    cache: ArtifactCache,
    device: str,
    log: Callable[[str], None],
    overrides: dict[str, str] | None = None,
) -> list[Probe]:
    """Each of ``settings`` trained on ``seed``'s preference pairs of ``task`` on ``model`` and calibrated on the
    reference's eval samples, as a sweep's cell of that seed with the shared settings ``overrides`` would have it."""
    spec, source = resolve_spec(ALGO, task, model, seed, overrides or {})
    task_obj = spec.task_object(source.chat_tokenizer())
    prepared = prepare(spec, task=task_obj, source=source, cache=cache, device=device, log=log)
    out = []
    for s in settings:
        with_proxy = prepare_proxy(spec, task_obj, prepared, cache, device, log, rm_settings=s)
        if with_proxy.proxy_line is None:
            raise SettingsError(
                f"--model {model!r} --task {task!r}: no reward model to tune ({with_proxy.proxy_skipped})"
            )
        line, trained = with_proxy.proxy_line.extra, with_proxy.proxy_model
        out.append(
            Probe(
                seed=seed,
                learning_rate=s.learning_rate,
                epochs=s.epochs,
                r2=line["r2"],
                slope=line["slope"],
                samples=int(line["samples"]),
                accuracy=trained.extra["heldout_accuracy"],
                gold_accuracy=trained.extra.get("heldout_gold_accuracy", math.nan),
                pairs=int(trained.extra["heldout_pairs"]),
                build_s=0.0 if trained.reused else trained.build_s,
            )
        )
    return out


def parse_floats(text: str, option: str) -> list[float]:
    values = []
    for item in [v.strip() for v in text.split(",") if v.strip()]:
        try:
            value = float(item)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and value > 0):
            raise SettingsError(
                f"{option} {item!r}: must be positive numbers, comma-separated, e.g. {option} 1e-4,3e-4"
            )
        values.append(value)
    if not values:
        raise SettingsError(f"{option}: give at least one value, e.g. {option} 1e-4,3e-4")
    return values


def parse_epochs(text: str) -> list[int]:
    values = parse_floats(text, "--epochs")
    if any(v != int(v) for v in values):
        raise SettingsError(f"--epochs {text!r}: must be whole numbers of epochs, e.g. --epochs 1,2,4")
    return [int(v) for v in values]


COLUMNS = ("rm_learning_rate", "rm_epochs", "seed", "R² (se)", "slope", "held-out acc. labeler (se)", "gold", "pairs",
           "train s")  # fmt: skip


def table(probes: Sequence[Probe]) -> str:
    """One row per (setting, seed), as a markdown table."""
    rows = [
        [
            f"{p.learning_rate:g}",
            str(p.epochs),
            str(p.seed),
            f"{p.r2:.3f} ({r2_se(p.r2, p.samples):.3f})",
            f"{p.slope:+.3f}",
            f"{p.accuracy:.2f} ({accuracy_se(p.accuracy, p.pairs):.2f})",
            f"{p.gold_accuracy:.2f}",
            str(p.pairs),
            "cached" if p.build_s == 0 else f"{p.build_s:.1f}",
        ]
        for p in probes
    ]
    return format_table(rows, COLUMNS)


def tune_rm(
    model: str,
    task: str,
    seeds: Sequence[str],
    learning_rates: str,
    epochs: str,
    cache_dir: Path,
    device: str | None = None,
    overrides: dict[str, str] | None = None,
) -> int:
    """Probe every learning rate × epochs on every tuning seed, print the table and the chosen setting. Bad values
    are a SettingsError before anything is trained."""
    rates, counts = parse_floats(learning_rates, "--learning-rates"), parse_epochs(epochs)
    parsed = [parse_seed(s) for s in seeds]
    if not parsed:
        raise SettingsError("--seeds: give at least one tuning seed, e.g. --seeds 100")
    settings = [RewardModelSettings(learning_rate=lr, epochs=n) for lr in rates for n in counts]
    for s in settings:
        s.validate()
    overrides = overrides or {}
    for key in ("rm_learning_rate", "rm_epochs"):
        if key in overrides:
            raise SettingsError(f"--set {key}: tune-rm varies it; give its values with --learning-rates / --epochs")
    resolve_spec(ALGO, task, model, parsed[0], overrides)  # an unknown model, task or setting fails here, first
    log = lambda text: print(text, file=sys.stderr)  # noqa: E731 - progress to stderr, the table to stdout
    cache = ArtifactCache(cache_dir, log=log)
    print(
        f"tune-rm: {len(settings)} settings of {model} on {task}, seeds {', '.join(map(str, parsed))}", file=sys.stderr
    )
    device = device or pick_device()
    probes = [p for seed in parsed for p in probe(model, task, seed, settings, cache, device, log, overrides)]
    print(table(probes))
    chosen = choose(probes)
    if chosen is None:
        print("\nno setting has a finite R² on every seed: nothing to choose")
        return 1
    mean = mean_signed_r2(probes)[chosen]
    print(
        f"\nhighest mean R² ({mean:.3f} over {len(parsed)} seed(s); a negative slope counts as −R²): "
        f"rm_learning_rate={chosen[0]:g} rm_epochs={chosen[1]} (for the model preset's settings)"
    )
    return 0
