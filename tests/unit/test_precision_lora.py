"""Training precision (--dtype) and LoRA through peft (--set lora_r=N); settings added later keep old names."""

from __future__ import annotations

import json

from bench.harness.spec import resolve_spec
from tests.helpers import ROOT

REFERENCE = ROOT / "results" / "reference" / "records"


def test_committed_reference_records_keep_their_names_and_keys():
    """The committed reference is the default benchmark (one record per cell of its grid), and every record still
    resolves to its own spec hash: dtype and lora_* came after the first records, and at their defaults they change
    no hash, so a sweep resumes over the records and new rows rank beside them."""
    from bench.harness.grid import SweepConfig, expand

    paths = sorted(REFERENCE.glob("*.json"))
    assert len(paths) == len(expand(SweepConfig()))
    for path in paths:
        record = json.loads(path.read_text())
        overrides = {k: str(v) for k, v in record["hparams"].items()}
        spec, _ = resolve_spec(record["algo"], record["task"], record["model"], record["seed"], overrides)
        assert spec.hash() == record["spec_hash"], path.name
        assert {"dtype": "auto", "lora_r": 0}.items() <= spec.flat().items()
    changed, _ = resolve_spec("dpo", "sentiment", "tiny", 0, {"lora_r": "8"})
    assert changed.hash() != resolve_spec("dpo", "sentiment", "tiny", 0, {})[0].hash()
