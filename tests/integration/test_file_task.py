"""--task file:PATH: your own preference file, validated row by row before any work, then benchmarked."""

from __future__ import annotations

import math

from pobench.cli import main
from pobench.core.record import read_records
from pobench.tasks import file_task
from pobench.tasks.file_task import read_rows

from tests.helpers import pairs, write_jsonl


def test_file_task_runs_end_to_end_with_and_without_gold(monkeypatch, capsys, tmp_path):
    path = write_jsonl(tmp_path / "prefs.jsonl", pairs())
    (tmp_path / "my_gold.py").write_text(
        "def score(prompts, completions):\n    return [float(sum(w in c for w in ('good', 'great', 'nice'))) "
        "for c in completions]\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    out = tmp_path / "results"
    small = ["--set", "sft_steps=50", "--set", "eval_samples=2", "--out", str(out), "--quiet"]
    tasks = f"file:{path}@my_gold:score,file:{path}"
    assert main(["sweep", "--algos", "sft,dpo", "--tasks", tasks, "--seeds", "0", "--no-frontier", *small]) == 0
    records = read_records(out)
    assert len(records) == 4 and all(r.status == "ok" for r in records)
    with_gold = [r for r in records if r.task.endswith("@my_gold:score")]
    without = [r for r in records if not r.task.endswith("@my_gold:score")]
    assert all(math.isfinite(r.metrics["eval/reward"]) and r.metrics["eval/reward"] >= 0 for r in with_gold)
    assert all(math.isnan(r.metrics["eval/reward"]) and math.isnan(r.metrics["eval/win_rate"]) for r in without)
    assert all(math.isfinite(r.metrics["eval/kl"]) for r in records)
    assert with_gold[0].comparability_key != without[0].comparability_key  # the gold reward is part of the task
    assert records[0].artifacts["data"]["kind"] == "paired"
    assert capsys.readouterr().out.count(f"### file:{path}") == 2


def test_a_cell_reads_its_file_once(monkeypatch, tmp_path):
    """The spec carries the task it built: prepare, train and evaluate do not read and validate the file again."""
    path = write_jsonl(tmp_path / "prefs.jsonl", pairs())
    reads = []
    monkeypatch.setattr(file_task, "read_rows", lambda p: reads.append(p) or read_rows(p))
    out = tmp_path / "results"
    argv = ["run", "sft", "--task", f"file:{path}", "--set", "sft_steps=20", "--set", "eval_samples=2"]
    assert main([*argv, "--out", str(out)]) == 0
    assert reads == [path]
