"""Records that cannot be read are named, and every command that reads a folder goes on with the rest."""

from __future__ import annotations

import shutil

import pytest
from pobench.cli import main

from tests.helpers import ROOT

COMMITTED = sorted((ROOT / "results" / "reference" / "records").glob("sft-*.json"))[:2]


@pytest.mark.parametrize("command", ["leaderboard", "show"])
def test_an_unreadable_record_is_named_and_the_rest_are_read(tmp_path, capsys, command):
    (tmp_path / "records").mkdir()
    for path in COMMITTED:
        shutil.copy(path, tmp_path / "records" / path.name)
    broken = tmp_path / "records" / COMMITTED[0].name
    broken.write_text(broken.read_text()[:100])  # cut short, as a copy that stopped
    assert main([command, "--out", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert f"skipping {broken}: not a readable record" in captured.err
    assert "1 unreadable record file(s) left out" in captured.err
    assert "sft" in captured.out  # the readable one is there


def test_a_folder_of_unreadable_records_says_so(tmp_path, capsys):
    (tmp_path / "records").mkdir()
    (tmp_path / "records" / "a.json").write_text("{")
    (tmp_path / "records" / "b.json").write_bytes(b"\xff\xfe not utf-8")
    assert main(["leaderboard", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"no readable records in {tmp_path / 'records'}: 2 file(s) could not be read (named above)" in err
    assert "a.json: not a readable record" in err and "b.json: not a readable record" in err


def test_a_record_from_a_newer_pobench_says_to_upgrade_and_loses_nothing(tmp_path, capsys):
    """A folder whose one record a newer pobench wrote: the command names it, says to upgrade, exits 2 with one
    `error:` line and no traceback, and the record is left as it was."""
    import json

    (tmp_path / "records").mkdir()
    data = json.loads(COMMITTED[0].read_text())
    data["schema_version"], data["environment"]["packages"]["pobench"] = 999, "7.0.0"
    future = tmp_path / "records" / COMMITTED[0].name
    future.write_text(json.dumps(data))
    before = future.read_bytes()
    assert main(["leaderboard", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"skipping {future}: not a readable record (written by pobench 7.0.0 (schema 999), newer than" in err
    assert "upgrade pobench to read it" in err and "pobench: error: no readable records" in err
    assert "Traceback" not in err and future.read_bytes() == before
