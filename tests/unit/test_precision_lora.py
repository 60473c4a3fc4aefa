"""Training precision (--dtype) and LoRA through peft (--set lora_r=N); settings added later keep old names."""

from __future__ import annotations

import json

from pobench.core.record import RunRecord
from pobench.harness.spec import resolve_spec

from tests.helpers import ROOT

REFERENCE = ROOT / "results" / "reference" / "records"


def test_committed_reference_records_keep_their_names_and_keys():
    """The committed reference is the default benchmark on more seeds: one record per cell of its grid, plus at most
    ``extra_cells`` placed cells per algorithm and seed (knob values off the frontier grid), and every record still
    resolves to its own spec hash: dtype, lora_* and train_seed came after the first records, and at their defaults
    they change no hash, so a sweep resumes over the records and new rows rank beside them."""
    from collections import Counter

    from pobench.harness.grid import SweepConfig, expand, resolve_grid
    from pobench.reports.reach import is_placed

    paths = sorted(REFERENCE.glob("*.json"))
    records = [json.loads(path.read_text()) for path in paths]
    seeds = sorted({r["seed"] for r in records})
    assert seeds[:4] == [0, 1, 2, 3] == SweepConfig().seeds and seeds == list(range(len(seeds)))  # make bench SEEDS=
    grid = {spec.hash() for _, spec, _ in resolve_grid(SweepConfig(seeds=seeds))}
    assert grid <= {r["spec_hash"] for r in records}  # every cell of the default grid is there, on every seed
    assert len(grid) == len(expand(SweepConfig(seeds=seeds)))
    extra = [r for r in records if r["spec_hash"] not in grid]
    placed = Counter((r["algo"], r["seed"]) for r in extra)
    assert all(n <= SweepConfig().extra_cells for n in placed.values()), placed
    for path, record in zip(paths, records):
        overrides = {k: str(v) for k, v in record["hparams"].items()}
        spec, _ = resolve_spec(record["algo"], record["task"], record["model"], record["seed"], overrides)
        assert spec.hash() == record["spec_hash"], path.name
        assert {"dtype": "auto", "lora_r": 0, "train_seed": -1}.items() <= spec.flat().items()
    assert all(is_placed(RunRecord.from_json(r)) for r in extra)
    changed, _ = resolve_spec("dpo", "sentiment", "tiny", 0, {"lora_r": "8"})
    assert changed.hash() != resolve_spec("dpo", "sentiment", "tiny", 0, {})[0].hash()
