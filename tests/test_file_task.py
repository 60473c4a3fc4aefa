"""--task file:PATH: your own preference file, validated row by row before any work, then benchmarked."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from bench.cli import main
from bench.core.params import SettingsError
from bench.core.record import read_records
from bench.harness.spec import resolve_spec
from tasks import make_task
from tasks.file_task import DataFileError

WORDS = ["good", "great", "nice", "bad", "awful", "poor"]


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def pairs(n=60):
    return [
        {
            "prompt": f"rate item {i} :",
            "chosen": f"{WORDS[i % 3]} and {WORDS[(i + 1) % 3]} .",
            "rejected": WORDS[3 + i % 3],
        }
        for i in range(n)
    ]


def test_every_bad_row_is_named_by_line_and_nothing_runs(tmp_path):
    path = write_jsonl(
        tmp_path / "bad.jsonl",
        [
            {"prompt": "a", "chosen": "x", "rejected": "y"},
            {"prompt": "b", "chosen": " ", "rejected": "y"},
            {"prompt": "c", "chosen": 3, "rejected": "y"},
            {"prompt": "d", "chosen": "x"},
            {"prompt": "a", "chosen": "x", "rejected": "y"},
            {"prompt": "e", "chosen": "same", "rejected": "same"},
        ],
    )
    with pytest.raises(DataFileError) as err:
        resolve_spec("dpo", f"file:{path}", "tiny", 0, {})
    assert str(err.value).splitlines() == [
        f"{path}: 5 bad row(s); nothing was trained:",
        f"  {path}:2: empty chosen",
        f"  {path}:3: chosen must be text, got int 3",
        f"  {path}:4: missing rejected",
        f"  {path}:5: duplicate of line 1",
        f"  {path}:6: chosen and rejected are the same text",
    ]


def test_csv_and_parquet_unpaired_rows_and_their_errors(tmp_path):
    csv = tmp_path / "rows.csv"
    csv.write_text("prompt,completion,label\nhi,there,true\nyo,bye,0\nho,hum,maybe\n")
    with pytest.raises(DataFileError, match=r"rows.csv:4: label must be true/false or 1/0, got 'maybe'"):
        make_task(f"file:{csv}")  # line 1 is the header
    parquet = tmp_path / "rows.parquet"
    pd.DataFrame({"prompt": [f"p{i}" for i in range(20)], "completion": ["ok"] * 20, "label": [1, 0] * 10}).to_parquet(
        parquet
    )
    task = make_task(f"file:{parquet}")
    assert task.kind == "unpaired" and len(task.rows) == 20 and task.rows[1]["label"] is False
    with pytest.raises(SettingsError, match="'dpo' needs pairs .* use kto or sft"):
        resolve_spec("dpo", f"file:{parquet}", "tiny", 0, {})


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.jsonl", None, "no such file"),
        ("data.txt", "prompt\n", "unknown format '.txt' \\(accepted: .jsonl, .csv, .parquet\\)"),
        ("empty.jsonl", "", "no rows \\(an empty prompt set\\)"),
        ("cols.csv", "prompt,text\nhi,there\n", "missing column\\(s\\) completion, label \\(found: prompt, text"),
        ("broken.jsonl", '{"prompt": "a"\n', "broken.jsonl:1: not valid JSON"),
        ("one.jsonl", '{"prompt": "a", "chosen": "x", "rejected": "y"}\n', "at least two distinct prompts"),
    ],
)
def test_unusable_files_fail_at_once_naming_the_problem(tmp_path, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    with pytest.raises(DataFileError, match=message):
        make_task(f"file:{path}")


def test_split_holds_prompts_out_and_gold_is_required_for_reward_gold(tmp_path):
    path = write_jsonl(tmp_path / "p.jsonl", pairs())
    task = make_task(f"file:{path}")
    train, evaluation = task.train_prompts(), task.eval_prompts()
    assert evaluation and not set(train) & set(evaluation) and len(train) + len(evaluation) == 60
    assert all(r["prompt"] in train for r in task.preference_rows())  # eval prompts' rows are held out
    assert all(math.isnan(g) for g in task.gold_reward(["a"], ["b"]))  # no gold given
    with pytest.raises(SettingsError, match="no gold reward for reward=gold"):
        resolve_spec("grpo", f"file:{path}", "tiny", 0, {"reward": "gold"})
    with pytest.raises(SettingsError, match="expected module:function"):
        make_task(f"file:{path}@nogold")


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


def run_cli_on(path, tmp_path, capsys) -> tuple[int, str]:
    out = tmp_path / "out"
    code = main(["run", "dpo", "--task", f"file:{path}", "--out", str(out)])
    assert not out.exists()  # refused before any work: nothing written
    return code, capsys.readouterr().err


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_a_latin1_file_is_one_line_naming_file_line_and_encoding(tmp_path, capsys, suffix):
    rows = pairs(6)
    rows[3]["chosen"] = "café crème ."
    if suffix == ".jsonl":
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        line = 4
    else:
        text = pd.DataFrame(rows).to_csv(index=False)
        line = 5  # the header is line 1
    path = tmp_path / f"latin1{suffix}"
    path.write_bytes(text.encode("latin-1"))
    code, err = run_cli_on(path, tmp_path, capsys)
    assert code == 2
    column = text.splitlines()[line - 1].index("é") + 1
    assert err.splitlines() == [
        f"pobench: error: {path}:{line}: not UTF-8 text (byte 0xE9 at column {column}; "
        "Latin-1 or Windows-1252 perhaps); save the file as UTF-8 (accepted: UTF-8, with or without a byte-order mark)"
    ]


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_a_byte_order_mark_is_accepted(tmp_path, suffix):
    rows = pairs(20)
    if suffix == ".jsonl":
        text = "".join(json.dumps(r) + "\n" for r in rows)
    else:
        text = pd.DataFrame(rows).to_csv(index=False)
    plain, marked = tmp_path / f"plain{suffix}", tmp_path / f"marked{suffix}"
    plain.write_text(text, encoding="utf-8")
    marked.write_text(text, encoding="utf-8-sig")  # as spreadsheet tools save "UTF-8"
    assert marked.read_bytes()[:3] == b"\xef\xbb\xbf"
    assert make_task(f"file:{marked}").rows == make_task(f"file:{plain}").rows


def test_an_overlong_row_is_refused_at_once(tmp_path, capsys):
    rows = pairs(6)
    rows[2]["chosen"] = " ".join(["word"] * 200_000)
    path = write_jsonl(tmp_path / "long.jsonl", rows)
    code, err = run_cli_on(path, tmp_path, capsys)
    assert code == 2
    assert err.splitlines() == [
        f"pobench: error: {path}: 1 bad row(s); nothing was trained:",
        f"  {path}:3: chosen is 999,999 characters, over the 100,000 accepted (training reads at most max_length "
        "tokens of it); shorten it",
    ]
