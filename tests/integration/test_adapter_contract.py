"""The contract every registered adapter meets, for free: a new adapter is picked up by these tests.

On the tiny task within a small budget it trains, yields a policy that generates, produces a
complete record, and gives identical metrics for the same seed on CPU. Its short training curve
on a fixed float64 setup is pinned (tests/pinned/curves.json), so a silent change of behaviour
fails a test; after an intended change, re-pin with
`POBENCH_REPIN=1 pytest tests/integration/test_adapter_contract.py -k pinned` (it measures the tolerances too).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from pobench.algorithms import ALGORITHMS
from pobench.contracts.adapter import TrainContext
from pobench.core.environment import cpu_model, package_versions
from pobench.harness.spec import resolve_spec

from tests.helpers import PINNED_METRIC, ROOT, SMALL_BUDGET, TESTS, assert_meets_contract, smoke_runs_of

PINNED = TESTS / "pinned" / "curves.json"


@pytest.fixture(scope="module")
def smoke_runs(bench_dirs, tmp_path_factory, default_cells):
    """Every registered adapter's smoke runs, sharing the default cells' cache (SFT model, data)."""
    return {name: smoke_runs_of(name, bench_dirs["cache"], tmp_path_factory.mktemp) for name in ALGORITHMS.names()}


@pytest.mark.parametrize("algo", ALGORITHMS.names())
def test_adapter_meets_the_contract(algo, smoke_runs):
    assert_meets_contract(algo, smoke_runs[algo])


# --- The pinned curves -------------------------------------------------------------------------------------------
#
# The smoke runs above train from an SFT model (600 steps) on completions SAMPLED from it: another CPU gives
# other last bits, the sampler draws other tokens, and the data (hence the curve) differ wholly. The curves
# are pinned on a setup that involves neither: a tiny Llama of model `tiny`'s shape with weights drawn from a
# fixed seed by exact arithmetic, a BPE tokenizer trained on a fixed corpus (integer work), and hand-written
# preference pairs; every adapter trains on it for its smoke budget with the model and every tensor it creates
# in float64 (online adapters sample their rollouts from that float64 policy).

FIXED_SEED = 0
FIXED_PAIRS = 64
INIT_RANGE = 0.02  # Llama's initializer_range, as the standard deviation of a uniform draw
POSITIVE = (
    " great fun .",
    " really good .",
    " a joy to watch .",
    " wonderful and sweet .",
    " so funny , i loved it .",
    " brilliant , even moving .",
    " clever and warm .",
    " the best in years .",
)
NEGATIVE = (
    " dull and boring .",
    " really bad .",
    " a waste of time .",
    " awful , even painful .",
    " so stupid , i hated it .",
    " not good at all .",
    " weak and lazy .",
    " the worst in years .",
)
# GRPO's and RLOO's two-step smoke loss is zero by construction (no update before step 2), so the mean reward of
# their rollouts is pinned too: it checks the float64 sampler and the reward model
PINNED_METRICS = (PINNED_METRIC, "train/reward")
ZERO = 1e-12  # |value| below this is a zero at rounding level (that GRPO/RLOO loss): compared absolutely
TOLERANCE_FLOOR, SAFETY = 1e-9, 1000  # tolerance = max(SAFETY × measured spread, TOLERANCE_FLOOR)
# Another CPU's arithmetic, as far as one machine can show it: MKL's conditional-reproducibility code path (other
# GEMM summation order) and ATen's scalar kernels (other exp/log/reductions than the vectorized ones)
OTHER_ARITHMETIC = {"MKL_CBWR": "COMPATIBLE", "ATEN_CPU_CAPABILITY": "default"}


def _environment() -> dict:
    versions = package_versions()
    return {
        "torch": versions["torch"],
        "transformers": versions["transformers"],
        "trl": versions["trl"],
        "machine": platform.machine(),
        "cpu": cpu_model(),
        "python": platform.python_version(),
    }


@contextlib.contextmanager
def float64_and_threads(threads: int | None = None):
    """torch's default dtype float64 (tensors the adapters and TRL create, the PPO critic's head) and, if given,
    ``threads`` torch threads; both restored after."""
    dtype, old_threads = torch.get_default_dtype(), torch.get_num_threads()
    torch.set_default_dtype(torch.float64)
    if threads:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_default_dtype(dtype)
        torch.set_num_threads(old_threads)


def build_fixed_setup(root: Path) -> tuple[Path, Path]:
    """The fixed model folder (float64, save_pretrained) and preference data folder; the same bytes on any CPU."""
    from pobench.core.models import TinyLlama, load_model
    from pobench.core.tokenizer import train_bpe_tokenizer
    from pobench.kit.preference import PAIRS, UNPAIRED, unpaired_view, write_jsonl
    from pobench.tasks import make_task

    task = make_task("sentiment")
    tokenizer_dir, reference_dir, data_dir = root / "tokenizer", root / "reference-fixed", root / "data-fixed"
    corpus = [e.prompt + e.completion for e in task.sft_examples(2000, FIXED_SEED)] + [*POSITIVE, *NEGATIVE]
    train_bpe_tokenizer(corpus, TinyLlama.vocab_size, tokenizer_dir)
    with float64_and_threads():
        TinyLlama().build_base(tokenizer_dir, reference_dir, seed=FIXED_SEED)  # model `tiny`'s config and tokenizer
    model = load_model(reference_dir, dtype=torch.float64)
    # The weights are redrawn without transcendental functions (torch's normal_ uses log/cos, and a vectorized
    # path for float32): 53 random bits from the seeded generator, then one subtraction and one multiplication
    generator = torch.Generator().manual_seed(FIXED_SEED)
    with torch.no_grad():
        for _, weight in sorted(model.named_parameters()):
            if weight.dim() > 1:  # embeddings and projections; the norms keep their ones
                uniform = torch.rand(weight.shape, generator=generator, dtype=torch.float64)
                weight.copy_((uniform - 0.5) * (2 * math.sqrt(3) * INIT_RANGE))
    model.save_pretrained(reference_dir)
    prompts = task.train_prompts()[:FIXED_PAIRS]
    pairs = []
    for i, prompt in enumerate(prompts):  # a positive completion chosen over a negative one
        chosen, rejected = POSITIVE[i % len(POSITIVE)], NEGATIVE[3 * i % len(NEGATIVE)]
        gold_chosen, gold_rejected = task.gold_reward([prompt, prompt], [chosen, rejected])
        pairs.append(dict(prompt=prompt, chosen=chosen, rejected=rejected, gold_chosen=gold_chosen,
                          gold_rejected=gold_rejected))  # fmt: skip
    data_dir.mkdir()
    write_jsonl(data_dir / PAIRS, pairs)
    write_jsonl(data_dir / UNPAIRED, unpaired_view(pairs))
    return reference_dir, data_dir


class Float64Context(TrainContext):
    """A TrainContext whose policy and reference load in float64 (load_model defaults to float32)."""

    def load_policy(self):
        from pobench.core.models import load_model

        return load_model(self.reference_dir, device=self.device, dtype=torch.float64)

    def load_reference(self):
        return self.load_policy().eval().requires_grad_(False)


def float64_curve(name: str, reference_dir: Path, data_dir: Path, work: Path) -> dict[str, list[float]]:
    """``name`` trained on the fixed setup for its smoke budget, in float64; its pinned metrics per step."""
    from pobench.core.cache import ArtifactCache
    from pobench.core.curve import Curve
    from pobench.kit.reward_model import prepare_reward_model
    from pobench.tasks import make_task
    from transformers import set_seed

    spec, _ = resolve_spec(name, "sentiment", "tiny", FIXED_SEED, {**SMALL_BUDGET, **ALGORITHMS.get(name).smoke})
    adapter = ALGORITHMS.get(name)()
    cache = ArtifactCache(work / "cache", log=lambda _: None)  # the reward model and reference log-probs
    with float64_and_threads():
        settings = adapter.reward_model_settings(spec.hparams)
        if settings is not None:  # built in prepare, as the pipeline does
            prepare_reward_model(cache, reference_dir, data_dir, settings, "cpu", log=lambda _: None)
        set_seed(spec.seed)
        ctx = Float64Context(
            params=spec.hparams, budget=spec.budget, task=make_task("sentiment"), reference_dir=reference_dir,
            data_dir=data_dir, work_dir=work / f"train-{name}", device="cpu", seed=spec.seed, curve=Curve(),
            cache=cache, log=lambda _: None,
        )  # fmt: skip
        result = adapter.train(ctx)
    if adapter.trains:
        assert next(result.policy.parameters()).dtype == torch.float64, f"{name} did not train in float64"
    return {m: values for m in PINNED_METRICS if (values := [row[m] for row in ctx.curve.rows if m in row])}


def pinned_adapters() -> list[str]:
    """pobench's own adapters (a plugin's curve is its own package's business)."""
    return [
        name
        for name in ALGORITHMS.names()
        if ALGORITHMS.get(name).__module__.startswith("pobench.algorithms.") and ALGORITHMS.get(name).trains
    ]


def float64_curves(root: Path, threads: int | None = None) -> dict[str, dict[str, list[float]]]:
    """Every pinned adapter's float64 curve on a fixed setup built in ``root``."""
    reference_dir, data_dir = build_fixed_setup(root)
    with float64_and_threads(threads):
        return {name: float64_curve(name, reference_dir, data_dir, root / "work") for name in pinned_adapters()}


def curves_under_other_arithmetic(root: Path) -> dict[str, dict[str, list[float]]]:
    """float64_curves in a fresh process with OTHER_ARITHMETIC (the libraries read it when they load)."""
    out = root / "curves.json"
    code = (
        "import json, sys; from pathlib import Path; "
        "from tests.integration.test_adapter_contract import float64_curves; "
        "Path(sys.argv[2]).write_text(json.dumps(float64_curves(Path(sys.argv[1]))))"
    )
    env, repo = {**os.environ, **OTHER_ARITHMETIC}, ROOT
    subprocess.run([sys.executable, "-c", code, str(root), str(out)], env=env, cwd=repo, check=True)
    return json.loads(out.read_text())


def spread(a: dict[str, list[float]], b: dict[str, list[float]]) -> float:
    """The largest relative difference between two runs' curves (values within ZERO of zero excepted)."""
    assert a.keys() == b.keys() and all(len(a[m]) == len(b[m]) for m in a), (a, b)
    worst = 0.0
    for metric in a:
        for x, y in zip(a[metric], b[metric], strict=True):
            scale = max(abs(x), abs(y))
            worst = max(worst, abs(x - y) / scale if scale > ZERO else 0.0)
    return worst


def repin(root: Path) -> None:
    """Pin the one-thread curves; tolerances from their spread against two threads and other arithmetic."""
    one, two = float64_curves(root / "one", threads=1), float64_curves(root / "two", threads=2)
    other = curves_under_other_arithmetic(root / "other")
    spreads = {
        name: {"threads_1_vs_2": spread(one[name], two[name]), "other_arithmetic": spread(one[name], other[name])}
        for name in one
    }
    tolerance = {name: max(SAFETY * max(s.values()), TOLERANCE_FLOOR) for name, s in spreads.items()}
    pinned = {"environment": _environment(), "dtype": "float64", "spread": spreads, "tolerance": tolerance}
    PINNED.write_text(json.dumps({**pinned, "curves": one}, indent=1, sort_keys=True) + "\n")


@pytest.fixture(scope="module")
def float64_curves_now(tmp_path_factory) -> dict[str, dict[str, list[float]]]:
    root = tmp_path_factory.mktemp("fixed")
    if os.environ.get("POBENCH_REPIN") == "1":
        repin(root / "repin")
    return float64_curves(root / "now")


@pytest.mark.parametrize("algo", ALGORITHMS.names())
def test_short_training_curve_matches_the_pinned_one(algo, float64_curves_now):
    """Each adapter's smoke-budget curve on the fixed float64 setup matches the pinned one on any x86_64/arm CPU.

    What it guarantees: the setup involves no sampling from machine-trained floats, and each adapter trains in
    float64, so another CPU's last bits stay in the last bits instead of changing the data. The tolerance per
    adapter is SAFETY (1000) × the largest relative difference measured at re-pin between the one-thread curve
    and (a) the same run with two threads, (b) the same run under OTHER_ARITHMETIC (another GEMM summation order
    and ATen's scalar exp/log), floored at 1e-9; curves.json keeps both spreads and the tolerance.

    Measured at the last re-pin (AMD EPYC, torch 2.13, transformers 5.24, TRL 1.16): two runs at the same thread
    count are bit-identical, and one vs two threads is bit-identical for every adapter (spread 0: tiny matrices
    and reductions stay below torch's parallel grain). Under other arithmetic: CPO 1.2e-16, SimPO 5.6e-16, PPO
    2.2e-14, ORPO 1.3e-9, KTO 2.4e-8, IPO 6.0e-8, DPO 7.4e-8; GRPO, RLOO bit-identical. So the tolerance is 1e-9
    for CPO, SimPO, PPO, GRPO, RLOO, 1.3e-6 for ORPO, and 2.4e-5 to 7.4e-5 for KTO, IPO, DPO (the old test's was
    1e-3 for all, and failed on other CPUs anyway).

    Where the spread comes from: TRL computes parts of these losses in float32 whatever the model's dtype.
    DPO, IPO, KTO, GRPO and RLOO score tokens through TRL's fused LM head (trl.kernels.ChunkedLogProbFunction,
    added unconditionally), which casts the logits to float32 and returns float32 per-token log-probs (their
    sums, the sequence log-probs these losses compare, too) and a float32 LM-head gradient; ORPO's trainer casts
    the sequence log-probs to float32 for its odds-ratio term (`.float()` in odds_ratio_loss); GRPO/RLOO hold
    rewards in float32, and pobench's reward scorer returns float32 scores. transformers' Llama also runs
    RMSNorm and the rotary embedding in float32 inside a float64 model. CPO, SimPO and PPO (pobench's own) are
    float64 but for those Llama parts. No adapter refused float64 or had to be pinned in float32.
    """
    if not ALGORITHMS.get(algo).trains:
        pytest.skip(f"{algo!r} does not train: it has no training curve to pin")
    if algo not in pinned_adapters():
        pytest.skip(f"{algo!r} comes from a plugin: pinned curves cover pobench's own adapters")
    pinned = json.loads(PINNED.read_text()) if PINNED.exists() else {"curves": {}}
    assert algo in pinned["curves"], f"no pinned curve for {algo!r}: run with POBENCH_REPIN=1 once and commit it"
    expected, got, rel = pinned["curves"][algo], float64_curves_now[algo], pinned["tolerance"][algo]
    note = f"pinned under {pinned['environment']}, running under {_environment()}; rel tolerance {rel:.1e}"
    assert got.keys() == expected.keys(), note
    for metric, want in expected.items():
        assert len(got[metric]) == len(want), f"{metric}: {got[metric]} != {want} ({note})"
        for step, (value, pin) in enumerate(zip(got[metric], want, strict=True), start=1):
            assert value == pytest.approx(pin, rel=rel, abs=ZERO), f"{metric} step {step}: {value} != {pin} ({note})"
