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
