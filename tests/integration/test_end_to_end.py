"""The default benchmark on the tiny model, end to end: prepare, train, evaluate, record."""

import json
import math

import pytest
from pobench.algorithms import ALGORITHMS
from pobench.contracts.adapter import Adapter, TrainResult
from pobench.core.record import RunRecord
from pobench.harness.pipeline import CellFailed, run_cell
from pobench.harness.spec import resolve_spec
from pobench.kit.preference import PAIRS, UNPAIRED, build_pairs, read_jsonl

from tests.helpers import METRICS, RaisingAdapter


def test_dpo_beats_the_sft_baseline_beyond_standard_error(default_cells):
    sft, dpo = default_cells["sft"][0].metrics, default_cells["dpo"][0].metrics
    combined_se = math.hypot(sft["eval/reward_se"], dpo["eval/reward_se"])
    assert dpo["eval/reward"] - sft["eval/reward"] > 2 * combined_se, (sft, dpo)
    assert dpo["eval/kl"] > 0 and dpo["eval/win_rate"] > 0.5


def test_sft_baseline_has_zero_kl_and_even_win_rate(default_cells):
    m = default_cells["sft"][0].metrics
    assert m["eval/kl"] == 0.0 and m["eval/kl_per_token"] == 0.0
    assert abs(m["eval/win_rate"] - 0.5) < 4 * m["eval/win_rate_se"]  # its own samples against its own samples
    assert m["perf/train_tokens_per_s"] == 0.0


def test_records_are_complete_and_comparable(default_cells):
    sft, dpo = default_cells["sft"][0], default_cells["dpo"][0]
    for record, path in (default_cells["sft"], default_cells["dpo"]):
        assert RunRecord.from_json(json.loads(path.read_text())).to_json() == record.to_json()
        assert record.status == "ok" and record.error is None
        assert set(METRICS) <= set(record.metrics) and all(math.isfinite(v) for v in record.metrics.values())
        # checkpoint_s: the seconds spent scoring along training (the default), for a cell that trains
        scored = {"checkpoint_s"} if record.algo == "dpo" else set()
        assert set(record.timings) == {"prepare_s", "train_s", "eval_s", "total_s"} | scored
        assert record.environment["packages"]["trl"] != "not installed" and record.environment["git_commit"]
        assert record.samples and {"prompt", "completion", "gold", "length", "kl"} <= set(record.samples[0])
    assert sft.comparability_key == dpo.comparability_key  # same task, model, data, budget, eval
    assert sft.artifacts["data"]["fingerprint"] == dpo.artifacts["data"]["fingerprint"]
    assert dpo.curve and all("train/loss" in row for row in dpo.curve[:-1])
    assert dpo.metrics["perf/train_tokens_per_s"] > 0 and dpo.metrics["perf/train_steps"] == 128


def test_second_cell_reuses_the_cache_and_says_so(default_cells):
    logs = default_cells["logs"]
    built = [line for line in logs if line.startswith("cache: building")]
    # tokenizer, reference, data, reference eval samples, the proxy reward model and its calibration, then DPO's
    # reference log-probs of the pairs
    assert len(built) == 7 and "reference log-probs of 1024 train rows" in built[-1]
    reused = [line for line in logs if line.startswith("cache: reusing")]
    assert len(reused) == 6 and default_cells["dpo"][0].artifacts["reference"]["reused"]


def test_same_seed_gives_identical_metrics(default_cells, bench_dirs, tmp_path):
    spec, source = resolve_spec("dpo", "sentiment", "tiny", 0, {})
    logs: list[str] = []
    again, _ = run_cell(spec, source, tmp_path, bench_dirs["cache"], device="cpu", log=logs.append)
    assert any(line.startswith("cache: reusing reference log-probs") for line in logs)  # shared across cells
    first = default_cells["dpo"][0]
    quality = {k: v for k, v in first.metrics.items() if k.startswith("eval/")}
    assert quality == {k: v for k, v in again.metrics.items() if k.startswith("eval/")}
    assert [r["train/loss"] for r in first.curve[:-1]] == [r["train/loss"] for r in again.curve[:-1]]
    # the reference log-probs were built by the first cell and reused by this one: the same compute either way
    flops = {k: v for k, v in first.metrics.items() if k.endswith("_flops") or "_flops_" in k}
    assert flops == {k: again.metrics[k] for k in flops}
    assert flops["perf/train_flops_trainable"] > 0 and flops["perf/train_flops_frozen"] > 0
    assert flops["perf/train_flops"] == flops["perf/train_flops_trainable"] + flops["perf/train_flops_frozen"]


def test_preference_data_is_byte_identical_for_the_same_seed(default_cells, bench_dirs, tmp_path):
    from pobench.core.models import load_model, load_tokenizer
    from pobench.core.settings import DataSettings
    from pobench.tasks import TASKS

    ref_dir = bench_dirs["cache"] / "reference" / default_cells["dpo"][0].artifacts["reference"]["key"]
    model, tok, task = load_model(ref_dir).eval(), load_tokenizer(ref_dir), TASKS.get("sentiment")()
    settings = DataSettings(data_pairs=64)
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        build_pairs(model, tok, task, settings, tmp_path / name)
    assert (tmp_path / "a" / PAIRS).read_bytes() == (tmp_path / "b" / PAIRS).read_bytes()
    (tmp_path / "c").mkdir()
    build_pairs(model, tok, task, DataSettings(data_pairs=64, data_seed=1), tmp_path / "c")
    assert (tmp_path / "a" / PAIRS).read_bytes() != (tmp_path / "c" / PAIRS).read_bytes()
    (tmp_path / "d").mkdir()  # another cell seed: another draw of completions and labels
    build_pairs(model, tok, task, settings, tmp_path / "d", seed=1)
    assert (tmp_path / "a" / PAIRS).read_bytes() != (tmp_path / "d" / PAIRS).read_bytes()
    pairs, unpaired = read_jsonl(tmp_path / "a" / PAIRS), read_jsonl(tmp_path / "a" / UNPAIRED)
    assert len(unpaired) == 2 * len(pairs) and unpaired[0]["completion"] == pairs[0]["chosen"]
    assert [u["label"] for u in unpaired[:2]] == [True, False]
    # the labeler is noisy but informative: it mostly agrees with gold where gold differs
    decided = [p for p in pairs if p["gold_chosen"] != p["gold_rejected"]]
    assert sum(p["gold_chosen"] > p["gold_rejected"] for p in decided) > 0.6 * len(decided)


class _Diverges(Adapter):
    description = "test adapter whose loss becomes NaN"
    data = "none"

    def train(self, ctx):
        ctx.curve.log(1, {"train/loss": 0.7})
        ctx.curve.log(2, {"train/loss": float("nan")})
        return TrainResult(policy=ctx.load_reference())


@pytest.mark.parametrize(
    ("adapter", "status", "message"),
    [(RaisingAdapter, "failed", "adapter exploded"), (_Diverges, "diverged", "loss became nan")],
)
def test_failed_cell_is_recorded_with_its_error(
    monkeypatch, bench_dirs, default_cells, tmp_path, adapter, status, message
):
    monkeypatch.setitem(ALGORITHMS._entries, "broken", adapter)
    spec, source = resolve_spec("broken", "sentiment", "tiny", 0, {})
    with pytest.raises(CellFailed) as err:
        run_cell(spec, source, tmp_path, bench_dirs["cache"], device="cpu", log=lambda _: None)
    record = RunRecord.from_json(json.loads(err.value.path.read_text()))
    assert record.status == status and message in record.error and record.error.startswith("train:")
    assert record.artifacts["reference"]["reused"]
    if status == "failed":
        assert record.metrics == {}  # nothing was logged before the exception
    else:  # the last training metrics seen are kept: the NaN and the step it appeared at
        assert record.curve[0] == {"step": 1, "train/loss": 0.7}
        assert record.metrics["train/step"] == 2.0 and math.isnan(record.metrics["train/loss"])
