"""A disk that fills up while cells run: the cell's record cannot be written, the user gets one line (exit 1), and a
sweep stops at the first such cell instead of training the rest."""

from __future__ import annotations

import errno
import os

from pobench.cli import main
from pobench.core import record as record_module
from pobench.core.atomic import storage_error


def test_a_full_disk_stops_run_and_sweep_with_one_line(bench_dirs, tmp_path, monkeypatch, capsys):
    writes = []

    def full_disk(path, value):
        writes.append(path)
        raise storage_error(path, "write", OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)))

    monkeypatch.setattr(record_module, "write_json_atomic", full_disk)
    cache = str(bench_dirs["cache"])
    # small evaluation; the SFT model is the shared one
    small = ["--set", "eval_prompts=8", "--set", "eval_samples=2", "--set", "frontier_samples=4"]
    assert main(["run", "sft", "--out", str(tmp_path / "run"), "--cache", cache, *small]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith(f"pobench: error: cannot write {tmp_path / 'run' / 'records'}")
    assert err[-1].endswith("No space left on device (ENOSPC); free space on that disk, or give a folder on another "
                            "disk (--out, --cache)")  # fmt: skip
    assert not any("Traceback" in line for line in err)

    writes.clear()
    argv = ["sweep", "--algos", "sft", "--seeds", "0,1", "--no-frontier", "--extra-cells", "0", "--quiet", *small]
    assert main([*argv, "--out", str(tmp_path / "sweep"), "--cache", cache]) == 1
    assert len(writes) == 1  # the first cell's record failed to write; the second cell never ran
    assert "No space left on device" in capsys.readouterr().err.strip().splitlines()[-1]
