"""Public datasets as tasks, on small local files in each dataset's real schema; no test touches the network."""

from __future__ import annotations

import json
import math

from pobench.cli import main
from pobench.core.record import read_records

from tests.helpers import hh_rows, tiny_classifier, write_imdb


def test_dataset_tasks_run_end_to_end_on_tiny(capsys, tmp_path):
    hh = tmp_path / "hh.jsonl"
    hh.write_text("".join(json.dumps(r) + "\n" for r in hh_rows()))
    imdb = f"imdb:{write_imdb()}@{tiny_classifier(tmp_path / 'clf')}"
    out = tmp_path / "results"
    small = ["sft_steps=50", "data_pairs=64", "eval_prompts=8", "eval_samples=2", "max_length=96"]
    args = ["sweep", "--algos", "sft,dpo", "--tasks", f"hh-rlhf:{hh},{imdb}", "--seeds", "0", "--no-frontier"]
    args += ["--out", str(out)]
    assert main([*args, "--quiet", *[x for s in small for x in ("--set", s)]]) == 0
    records = read_records(out)
    assert len(records) == 4 and all(r.status == "ok" for r in records)
    by_task = {(r.task.split(":")[0], r.algo): r for r in records}
    assert math.isnan(by_task["hh-rlhf", "dpo"].metrics["eval/reward"])  # no gold reward given for HH
    assert 0.0 < by_task["imdb", "dpo"].metrics["eval/reward"] < 1.0  # the classifier's P(positive)
    assert all(math.isfinite(r.metrics["eval/kl"]) for r in records)
