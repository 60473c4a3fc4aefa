"""--task file:PATH: your own preference file, validated row by row before any work, then benchmarked."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest
from pobench.cli import main
from pobench.core.params import SettingsError
from pobench.harness.spec import resolve_spec
from pobench.tasks import make_task
from pobench.tasks.file_task import DataFileError

from tests.helpers import pairs, write_jsonl


def test_every_bad_row_is_named_by_line_and_nothing_runs(tmp_path, capsys):
    path = write_jsonl(
        tmp_path / "bad.jsonl",
        [
            {"prompt": "a", "chosen": "x", "rejected": "y"},
            {"prompt": "b", "chosen": " ", "rejected": "y"},
            {"prompt": "c", "chosen": 3, "rejected": "y"},
            {"prompt": "d", "chosen": "x"},
            {"prompt": "a", "chosen": "x", "rejected": "y"},  # a duplicate of line 1: dropped, not a bad row
            {"prompt": "e", "chosen": "same", "rejected": "same"},
        ],
    )
    with pytest.raises(DataFileError) as err:
        resolve_spec("dpo", f"file:{path}", "tiny", 0, {})
    assert str(err.value).splitlines() == [
        f"{path}: 4 bad row(s); nothing was trained:",
        f"  {path}:2: empty chosen",
        f"  {path}:3: chosen must be text, got int 3",
        f"  {path}:4: missing rejected",
        f"  {path}:6: chosen and rejected are the same text",
    ]
    assert capsys.readouterr().err == ""  # refused: no warning about the duplicate either


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
