"""--task file:PATH with exact duplicate rows: the first of each is kept and the rest dropped, with one warning;
the task's fingerprint is of the rows used, and the record's data artifact counts the rows dropped."""

from __future__ import annotations

import json
import types
from pathlib import Path

import pandas as pd
import pytest
from pobench.core.cache import Artifact, ArtifactCache
from pobench.harness import prepare as prepare_module
from pobench.harness.spec import resolve_spec
from pobench.tasks import make_task
from pobench.tasks.file_task import DataFileError

from tests.helpers import pairs

KINDS = ("paired", "unpaired")
SUFFIXES = (".jsonl", ".csv")


def distinct_rows(kind: str, n: int = 20) -> list[dict]:
    if kind == "paired":
        return pairs(n)
    return [{"prompt": f"rate item {i} :", "completion": f"answer {i} .", "label": i % 2 == 0} for i in range(n)]


def write(path: Path, rows: list[dict]) -> Path:
    if path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    else:
        path.write_text(pd.DataFrame(rows).to_csv(index=False))  # the header is line 1
    return path


def with_three_duplicates(rows: list[dict]) -> list[dict]:
    """Row 1 repeated after row 5 and after row 9, row 3 after row 9: positions 6, 11 and 12 of the file."""
    return rows[:6] + [rows[1]] + rows[6:10] + [rows[3], rows[1]] + rows[10:]


def first_line(suffix: str) -> int:
    return 1 if suffix == ".jsonl" else 2


@pytest.mark.parametrize("suffix", SUFFIXES)
@pytest.mark.parametrize("kind", KINDS)
def test_duplicates_are_dropped_with_one_warning_and_the_distinct_rows_kept_in_order(tmp_path, capsys, kind, suffix):
    rows = distinct_rows(kind)
    clean = make_task(f"file:{write(tmp_path / f'clean{suffix}', rows)}")
    assert capsys.readouterr().err == ""  # no duplicates, no warning
    path = write(tmp_path / f"dups{suffix}", with_three_duplicates(rows))
    task = make_task(f"file:{path}")
    lines = [position + first_line(suffix) for position in (6, 11, 12)]
    assert capsys.readouterr().err.splitlines() == [
        f"pobench: warning: file:{path}: dropped 3 duplicate rows (first at lines {lines[0]}, {lines[1]}, "
        f"{lines[2]}; each repeats an earlier row)"
    ]
    assert task.duplicates_dropped == lines
    assert task.rows == clean.rows == rows  # labels parsed: "True" in a CSV is True
    assert task.kind == kind
    # The fingerprint and version are of the rows used: the same as the file without duplicates.
    assert task.fingerprint_inputs() == clean.fingerprint_inputs()
    assert task.version == clean.version
    assert task.train_prompts() == clean.train_prompts() and task.eval_prompts() == clean.eval_prompts()
    assert task.data_stats() == {"duplicate_rows_dropped": 3}
    assert clean.data_stats() == {"duplicate_rows_dropped": 0}


def test_the_same_rows_in_another_format_or_layout_have_the_same_fingerprint(tmp_path):
    rows = pairs(20)
    jsonl = make_task(f"file:{write(tmp_path / 'a.jsonl', rows)}")
    csv = make_task(f"file:{write(tmp_path / 'a.csv', rows)}")
    spaced = tmp_path / "spaced.jsonl"
    spaced.write_text("".join(json.dumps(r, indent=None, separators=(" ,  ", " : ")) + "\n\n" for r in rows))
    assert jsonl.fingerprint_inputs() == csv.fingerprint_inputs() == make_task(f"file:{spaced}").fingerprint_inputs()
    other = pairs(21)[1:]
    assert make_task(f"file:{write(tmp_path / 'b.jsonl', other)}").fingerprint_inputs() != jsonl.fingerprint_inputs()


def test_a_label_written_another_way_is_the_same_row(tmp_path, capsys):
    rows = distinct_rows("unpaired")
    path = tmp_path / "labels.jsonl"
    copy = {**rows[2], "label": 1}  # rows[2]'s label is true: 1 is the same label
    other = {**rows[4], "label": False}  # rows[4]'s label is true: a different row, kept
    path.write_text("".join(json.dumps(r) + "\n" for r in [*rows, copy, other]))
    task = make_task(f"file:{path}")
    assert capsys.readouterr().err.splitlines() == [
        f"pobench: warning: file:{path}: dropped 1 duplicate row (at line 21; it repeats an earlier row)"
    ]
    assert len(task.rows) == 21 and task.rows[-1] == {**rows[4], "label": False}


def test_the_warning_names_at_most_five_lines(tmp_path, capsys):
    rows = pairs(20)
    path = write(tmp_path / "many.jsonl", rows + rows[:7])
    task = make_task(f"file:{path}")
    assert capsys.readouterr().err.splitlines() == [
        f"pobench: warning: file:{path}: dropped 7 duplicate rows (first at lines 21, 22, 23, 24, 25, ...; "
        "each repeats an earlier row)"
    ]
    assert task.data_stats() == {"duplicate_rows_dropped": 7} and task.rows == rows


def test_the_warning_is_printed_once_when_a_cell_is_resolved(tmp_path, capsys):
    path = write(tmp_path / "dups.jsonl", with_three_duplicates(pairs(20)))
    spec, _ = resolve_spec("sft", f"file:{path}", "tiny", 0, {})
    assert spec.task_object().data_stats() == {"duplicate_rows_dropped": 3}  # the task the spec built, not a new one
    assert capsys.readouterr().err.count("pobench: warning:") == 1


@pytest.mark.parametrize("suffix", SUFFIXES)
@pytest.mark.parametrize("kind", KINDS)
def test_duplicates_and_a_bad_row_fail_listing_only_the_bad_row(tmp_path, capsys, kind, suffix):
    rows = with_three_duplicates(distinct_rows(kind))
    if kind == "paired":
        rows[8] = {**rows[8], "rejected": rows[8]["chosen"]}
        message = "chosen and rejected are the same text"
    else:
        rows[8] = {**rows[8], "label": "maybe"}
        message = "label must be true/false or 1/0, got 'maybe'"
    path = write(tmp_path / f"bad{suffix}", rows)
    with pytest.raises(DataFileError) as err:
        make_task(f"file:{path}")
    assert str(err.value).splitlines() == [
        f"{path}: 1 bad row(s); nothing was trained:",
        f"  {path}:{8 + first_line(suffix)}: {message}",
    ]
    assert capsys.readouterr().err == ""  # nothing was built: no warning either


def test_a_repeated_pair_with_equal_sides_is_reported_each_time(tmp_path):
    rows = pairs(20)
    same = {"prompt": "p", "chosen": "same", "rejected": "same"}
    path = write(tmp_path / "same.jsonl", [*rows, same, same])
    with pytest.raises(DataFileError) as err:
        make_task(f"file:{path}")
    assert str(err.value).splitlines()[1:] == [
        f"  {path}:21: chosen and rejected are the same text",
        f"  {path}:22: chosen and rejected are the same text",
    ]


def test_a_hub_dataset_drops_its_duplicates_too(tmp_path, capsys):
    """A public dataset's local copy (tasks/hub.py): the same rule, one warning, the count in data_stats."""
    rows = tldr_like(12)
    path = tmp_path / "tldr.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows + rows[:2]))
    task = make_task(f"tldr:{path}")
    assert len(task.rows) == 12 and task.data_stats() == {"duplicate_rows_dropped": 2}
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        f"pobench: warning: {path}: dropped 2 duplicate rows (first at lines 13, 14; each repeats an earlier row)"
    )


def tldr_like(n: int) -> list[dict]:
    return [
        {"prompt": f"POST: story {i} .\nTL;DR:", "chosen": f" story {i} .", "rejected": " stuff ."} for i in range(n)
    ]


def prepare_data(monkeypatch, tmp_path: Path, task) -> Artifact:
    """The data artifact prepare() builds or reuses for ``task`` (the reference model and its samples faked)."""
    reference = Artifact("reference", "reference-fake", tmp_path, {}, reused=True)
    monkeypatch.setattr(prepare_module, "prepare_reference", lambda *args: reference)
    monkeypatch.setattr(prepare_module, "load_model", lambda *args, **kwargs: types.SimpleNamespace(eval=lambda: None))
    monkeypatch.setattr(prepare_module, "load_tokenizer", lambda *args: None)
    monkeypatch.setattr(prepare_module, "reference_gold", lambda *args: [])
    spec, source = resolve_spec("sft", task.name, "tiny", 0, {})
    cache = ArtifactCache(tmp_path / "cache", log=lambda _: None)
    prepared = prepare_module.prepare(spec, task=task, source=source, cache=cache, device="cpu", log=lambda _: None)
    return prepared.data


@pytest.mark.parametrize("kind", KINDS)
def test_the_data_artifact_counts_the_rows_dropped_on_this_run(monkeypatch, tmp_path, kind):
    rows = distinct_rows(kind)
    path = write(tmp_path / "prefs.jsonl", with_three_duplicates(rows))
    data = prepare_data(monkeypatch, tmp_path, make_task(f"file:{path}"))
    assert not data.reused and data.info["duplicate_rows_dropped"] == 3 and data.info["rows"] > 0
    written = (data.path / "meta.json").read_text()
    assert "duplicate_rows_dropped" not in written  # not cached: a reused artifact reports the run that reuses it
    write(path, rows)  # the same file without its duplicates: the same rows, so the same data
    again = prepare_data(monkeypatch, tmp_path, make_task(f"file:{path}"))
    assert again.reused and again.key == data.key and again.extra["fingerprint"] == data.extra["fingerprint"]
    assert again.info["duplicate_rows_dropped"] == 0
