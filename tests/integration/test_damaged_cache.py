"""A cell whose cached SFT model was damaged (truncated, as a killed copy or a bad disk leaves it) rebuilds it,
says which artifact and file, and succeeds, instead of failing in prepare on the weights' header."""

import json
import shutil

from pobench.core.cache import META, verify
from pobench.harness.pipeline import run_cell
from pobench.harness.spec import resolve_spec

# a cell of its own, small enough that building its SFT model twice costs seconds
SMALL = {"sft_steps": "40", "data_pairs": "32", "eval_prompts": "8", "eval_samples": "2", "frontier_samples": "4"}


def test_a_truncated_sft_model_is_named_rebuilt_and_used(tmp_path):
    spec, source = resolve_spec("sft", "sentiment", "tiny", 0, SMALL)
    first, _ = run_cell(spec, source, tmp_path / "out1", tmp_path / "cache1", device="cpu", log=lambda _: None)
    cache = tmp_path / "cache"
    shutil.copytree(tmp_path / "cache1", cache)  # the first cache stays as it is
    key = first.artifacts["reference"]["key"]
    folder = cache / "reference" / key
    weights = folder / "model.safetensors"
    size, digest = weights.stat().st_size, json.loads((folder / META).read_text())["manifest"]["model.safetensors"]
    with open(weights, "r+b") as f:
        f.truncate(size // 2)

    logs: list[str] = []
    record, _ = run_cell(spec, source, tmp_path / "out2", cache, device="cpu", log=logs.append)
    assert record.status == "ok", record.error
    assert [line for line in logs if "damaged" in line] == [
        f"cache: WARNING: reference (SFT) model tiny [{key}] is damaged (model.safetensors: size {size // 2}, "
        f"expected {size}); deleting it and building it again"
    ]
    assert any(line.startswith(f"cache: built reference (SFT) model tiny [{key}]") for line in logs)
    assert record.artifacts["reference"]["key"] == key and not record.artifacts["reference"]["reused"]
    assert verify(folder) is None and weights.stat().st_size == size
    rebuilt = json.loads((folder / META).read_text())["manifest"]["model.safetensors"]
    assert rebuilt == digest  # SFT on CPU is deterministic: the same model again
    quality = {k: v for k, v in first.metrics.items() if k.startswith("eval/")}
    assert quality == {k: v for k, v in record.metrics.items() if k.startswith("eval/")}
    assert sorted(p.name for p in folder.parent.iterdir()) == [key]  # nothing left aside
