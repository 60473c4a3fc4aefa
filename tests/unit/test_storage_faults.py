"""Faults of the disk and the folders: one line naming the path, the operation and what to do; nothing half-written
(docs/commands.md, "When the disk or a folder fails")."""

from __future__ import annotations

import errno
import os

import pytest
from pobench.cli import main
from pobench.core import atomic
from pobench.core.atomic import StorageError, check_writable_folder, storage_error, write_text_atomic
from pobench.harness.pipeline import stopping_fault


def full_disk(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_a_full_disk_is_one_line_and_leaves_nothing(tmp_path, monkeypatch):
    target = tmp_path / "records" / "r.json"
    write_text_atomic(target, "old")
    monkeypatch.setattr(atomic.os, "fsync", full_disk)
    with pytest.raises(StorageError) as caught:
        write_text_atomic(target, "new")
    assert str(caught.value) == (
        f"cannot write {target}: No space left on device (ENOSPC); free space on that disk, or give a folder on "
        "another disk (--out, --cache)"
    )
    assert caught.value.recurring and "\n" not in str(caught.value)
    assert target.read_text() == "old" and [p.name for p in target.parent.iterdir()] == ["r.json"]  # no temp file


def test_a_file_where_the_results_folder_belongs_is_refused_before_any_work(tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("not a folder")
    with pytest.raises(StorageError, match=r"cannot use --out .*afile: Not a directory \(ENOTDIR\); a file is where"):
        check_writable_folder(afile, "--out")
    assert main(["run", "sft", "--out", str(afile)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"pobench: error: cannot use --out {afile}: Not a directory (ENOTDIR); a file is where a folder "
                   "belongs on that path: move it, or give another folder"]  # fmt: skip
    assert afile.read_text() == "not a folder"
    assert main(["sweep", "--algos", "sft", "--seeds", "0", "--out", str(tmp_path), "--cache", str(afile)]) == 2
    assert "cannot use --cache" in capsys.readouterr().err
    assert not (tmp_path / "records").exists()
    assert main(["validate", "--algos", "dpo", "--out", str(afile)]) == 2  # the commands that run cells all check first
    assert main(["noise", "--out", str(afile), "--algos", "dpo"]) == 2
    assert capsys.readouterr().err.count(f"cannot use --out {afile}") == 2


@pytest.mark.parametrize(
    ("command", "inside", "flag"),
    [
        (["run", "sft"], "records", "--out (its records/)"),
        (["sweep", "--algos", "sft", "--seeds", "0"], "plots", "--out (its plots/)"),
        (["run", "sft"], "cache", "--out (its cache/, the default --cache)"),
    ],
)
def test_each_folder_a_command_writes_is_probed_before_any_work(tmp_path, capsys, command, inside, flag):
    """A results folder that takes files while its records/, plots/ or default cache/ does not (here a file where
    the folder belongs): exit 2 with one line naming that folder, before any cell, and the file untouched."""
    out = tmp_path / "out"
    out.mkdir()
    (out / inside).write_text("in the way")
    assert main([*command, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == (f"pobench: error: cannot use {flag} {out / inside}: Not a directory (ENOTDIR); a file is "
                       "where a folder belongs on that path: move it, or give another folder")  # fmt: skip
    assert len(err) <= 2 and "Traceback" not in "\n".join(err)  # a sweep says what it is about to run first
    assert sorted(p.name for p in out.iterdir()) == [inside]  # nothing made, nothing trained
    assert (out / inside).read_text() == "in the way"


def test_a_folder_that_takes_no_file_is_refused(tmp_path, monkeypatch):
    """Permission denied (tests run as root here, so the refusal is injected where the probe file is made)."""

    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr(atomic.tempfile, "mkstemp", denied)
    with pytest.raises(StorageError, match=r"Permission denied \(EACCES\); make the folder writable") as caught:
        check_writable_folder(tmp_path / "out", "--out")
    assert caught.value.recurring


def test_which_faults_recur():
    assert storage_error("p", "write", OSError(errno.EROFS, "Read-only file system")).recurring
    assert not storage_error("p", "write", OSError(errno.EIO, "Input/output error")).recurring
    assert "check the disk" in str(storage_error("p", "write", OSError(errno.EIO, "Input/output error")))


def test_a_cell_stops_its_sweep_only_for_a_fault_that_recurs(tmp_path):
    """A cache write that fails for lack of space (raised by a library, a plain OSError) stops the sweep, named
    where it happened; an I/O error of one file, or any other failure, is the cell's own."""
    full = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(tmp_path / "cache" / "reference" / "model.safetensors"))
    stop = stopping_fault(full, tmp_path)
    assert isinstance(stop, StorageError) and stop.recurring
    assert str(stop).startswith(f"cannot write {tmp_path / 'cache' / 'reference' / 'model.safetensors'}: No space")
    assert str(stopping_fault(OSError(errno.EROFS, "Read-only file system"), tmp_path)).startswith(
        f"cannot write {tmp_path}:"
    )
    assert stopping_fault(OSError(errno.EIO, "Input/output error"), tmp_path) is None
    assert stopping_fault(ValueError("a bug"), tmp_path) is None and stopping_fault(None, tmp_path) is None
