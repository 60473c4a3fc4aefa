"""Sweeps: failures isolated, resume after kill -9 and Ctrl-C, atomic records, one sweep per folder."""

from __future__ import annotations

import os

import pytest

from bench.cli import main
from bench.harness.sweep import SweepLocked, existing_record, results_lock


def test_unreadable_record_is_moved_aside_not_lost(tmp_path):
    path = tmp_path / "records" / "dpo-x.json"
    path.parent.mkdir()
    path.write_text("{ not json")
    notes = []
    assert existing_record(path, note=notes.append) is None
    aside = list(path.parent.glob("dpo-x.json.unreadable-*"))
    assert len(aside) == 1 and aside[0].read_text() == "{ not json" and not path.exists()
    assert "moved to" in notes[0]


def test_one_sweep_per_results_folder(tmp_path):
    with results_lock(tmp_path):
        with pytest.raises(SweepLocked, match=f"in use by another sweep \\(pid {os.getpid()}\\)"):
            with results_lock(tmp_path):
                pass
    with results_lock(tmp_path):  # released on exit
        pass


def test_bad_grid_exits_2_and_writes_nothing(capsys, tmp_path):
    out = tmp_path / "results"
    assert main(["sweep", "--algos", "dpo,nope", "--set", "dpo.beta=x", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "2 problem(s); nothing was run" in err and "unknown algorithm 'nope'" in err and "'x'" in err
    assert not out.exists()
