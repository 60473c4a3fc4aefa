"""Sweeps: failures isolated, resume after kill -9 and Ctrl-C, atomic records, one sweep per folder."""

from __future__ import annotations

import os

import pytest
from pobench.cli import main
from pobench.core.record import write_record
from pobench.harness.grid import SweepConfig, resolve_grid
from pobench.harness.prepare import key_versions
from pobench.harness.ray_executor import submission_order
from pobench.harness.sweep import Queue, SweepLocked, SweepOutcome, existing_record, results_lock, version_split

from tests.helpers import record


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


def dpo_cells(seeds=(0, 1, 2)):
    config = SweepConfig(algos=["dpo"], seeds=list(seeds))
    config.add_values("dpo.learning_rate", ["3e-4"], "--set")  # one run: tiny's knob of DPO at one value
    return resolve_grid(config)


def test_the_queue_runs_follow_ups_first_and_hands_them_skipped_records_too(tmp_path):
    cells = dpo_cells()
    done = record("dpo", 1, 0.2, 0.5)
    done.spec, done.spec_hash = cells[1][1].flat(), cells[1][1].hash()
    write_record(tmp_path, done)  # seed 1 is recorded already
    extra = dpo_cells(seeds=(7,))[0]
    told = []

    def follow_up(rec):
        told.append(rec.seed)
        return [extra] if rec.seed == 1 else []

    outcome = SweepOutcome()
    queue = Queue(tmp_path, False, follow_up, outcome, stream=None)
    queue.add(cells)
    # the recorded cell is skipped and told; its follow-up joins ahead of the cells still queued
    assert told == [1] and [r.seed for r in outcome.skipped] == [1]
    assert [spec.seed for _, spec, _ in queue.todo] == [7, 0, 2]
    assert queue.pop()[1].seed == 7
    queue.done(record("dpo", 7, 0.1, 0.1))
    assert told == [1, 7] and [r.seed for r in outcome.ran] == [7]
    assert [queue.pop()[1].seed, queue.pop()[1].seed, queue.pop()] == [0, 2, None]


def test_online_cells_go_first_and_their_seeds_take_turns():
    config = SweepConfig(algos=["dpo", "ppo"], seeds=[0, 1])
    config.add_values("ppo.kl_coef", ["0.1", "1"], "--set")
    config.add_values("dpo.learning_rate", ["3e-4", "1e-3"], "--set")
    order = [(spec.algo, spec.seed) for _, spec, _ in submission_order(resolve_grid(config))]
    # two cells of one seed started together would wait for one another's reward model (or pool, or log-probs)
    assert order == [("ppo", 0), ("ppo", 1)] * 2 + [("dpo", 0), ("dpo", 1)] * 2


def made_with(rec, **packages):
    rec.environment = {"packages": {**key_versions(), **packages}}
    return rec


def test_a_version_that_enters_the_keys_splits_records_from_the_cells_still_to_run():
    here = {"torch": "2.13.0+cpu", "transformers": "5.25.0", "tokenizers": "0.23.3"}
    old = [made_with(record("dpo", s, 0.2, 0.5), **{**here, "transformers": "5.24.0"}) for s in (0, 1)]
    split = version_split(old, {("sentiment", "tiny")}, here)
    assert split == (
        "holds records of sentiment × tiny made with transformers 5.24.0; this process has transformers 5.25.0. "
        "These versions enter the SFT model's cache key and so every comparability key, so the cells still to run "
        "would never be compared with those records. Install the records' versions to resume "
        "(pip install transformers==5.24.0), or give another --out"
    )
    assert version_split(old, {("sentiment", "smollm2-135m")}, here) is None  # another model: its own keys anyway
    assert version_split(old, {("sentiment", "tiny")}, {**here, "transformers": "5.24.0"}) is None
    older = made_with(record("dpo", 2, 0.2, 0.5), **{**here, "transformers": "5.3.0"})
    assert "made with transformers 5.24.0 and 5.3.0;" in version_split([*old, older], {("sentiment", "tiny")}, here)
    assert version_split([*old, older], {("sentiment", "tiny")}, here).endswith(
        "already split between versions: give another --out"
    )
    assert version_split([record("dpo", 0, 0.2, 0.5)], {("sentiment", "tiny")}, here) is None  # no environment kept


def test_a_sweep_refuses_to_resume_under_other_key_versions_before_any_work(tmp_path, capsys):
    cells = dpo_cells(seeds=(0, 1))
    done = made_with(record("dpo", 1, 0.2, 0.5), transformers="4.0.0")
    done.spec, done.spec_hash = cells[1][1].flat(), cells[1][1].hash()
    write_record(tmp_path, done)
    argv = ["sweep", "--algos", "dpo", "--seeds", "0,1", "--set", "dpo.learning_rate=3e-4"]
    argv += ["--out", str(tmp_path), "--quiet"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"pobench: error: {tmp_path} holds records of sentiment × tiny made with transformers 4.0.0;" in err
    assert "pip install transformers==4.0.0" in err and "Traceback" not in err
    assert [p.name for p in (tmp_path / "records").iterdir()] == [
        f"dpo-sentiment-tiny-seed1-{done.spec_hash[:10]}.json"
    ]
