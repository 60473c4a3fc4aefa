"""The sweep's time left, worked by hand, and what each progress mode prints, one cell at a time or several."""

from __future__ import annotations

import io
import types

import pobench.core.progress as progress_module
import pytest
from pobench.core.progress import SweepProgress, eta_seconds, format_duration, record_outcome

from tests.helpers import record


class Clock:
    """A stand-in for time.monotonic that moves only when told."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(progress_module, "time", types.SimpleNamespace(monotonic=fake))
    return fake


def test_eta_by_hand():
    finished = {"dpo": [10.0, 20.0], "ppo": [60.0]}
    # dpo 15 (its mean) + ppo 60 + kto 30 (mean of all finished: 90 / 3) + running ppo: 60 − 50 elapsed = 10
    assert eta_seconds(finished, ["dpo", "ppo", "kto"], running=[("ppo", 50.0)]) == 115.0
    assert eta_seconds(finished, [], running=[("dpo", 99.0)]) == 0.0  # never negative
    assert eta_seconds({}, ["dpo"]) is None  # nothing to go on yet


def test_eta_with_parallel_slots_by_hand():
    dpo = {"dpo": [10.0, 20.0]}  # mean 15
    # 3 dpo waiting (15 each) + one running for 5 s (15 − 5 = 10), shared by 2 slots: (45 + 10) / 2
    assert eta_seconds(dpo, ["dpo"] * 3, running=[("dpo", 5.0)], slots=2) == 27.5
    # 4 slots, one PPO cell 20 s into its 100 s and one DPO cell waiting: (80 + 10) / 4 = 22.5, but the PPO cell
    # alone still needs 80 s, whatever the idle slots
    both = {"ppo": [100.0], "dpo": [10.0]}
    assert eta_seconds(both, ["dpo"], running=[("ppo", 20.0)], slots=4) == 80.0
    assert eta_seconds(both, [], slots=4) == 0.0  # nothing left


def test_format_duration():
    assert [format_duration(s) for s in (None, 4.4, 59.6, 61, 3725)] == ["?", "4s", "1m00s", "1m01s", "1h02m"]


def test_record_outcome_names_result_or_error_and_the_cells_own_time():
    ok = record("dpo", 0, 0.2104, 1.034)
    ok.timings = {"prepare_s": 3.0, "total_s": 48.2}
    assert record_outcome(ok) == ("ok", "gold reward +0.210, KL 1.03", 48.2)
    failed = record("dpo", 0, 0.0, 0.0, status="failed")
    failed.error = "train: RuntimeError: boom"
    assert record_outcome(failed) == ("FAILED", "train: RuntimeError: boom", None)  # no timings: the caller's clock
    degenerate = record("dpo", 0, -0.5, 40.0)
    degenerate.status, degenerate.error = "degenerate", "evaluate: every sample truncated"
    summary = "gold reward -0.500, KL 40.00; evaluate: every sample truncated"
    assert record_outcome(degenerate) == ("DEGENERATE", summary, None)


def test_quiet_mode_prints_cells_and_stages_but_not_chatter(clock):
    stream = io.StringIO()
    cell = ("dpo", "dpo beta=0.1 | sentiment | tiny | seed 0")
    progress = SweepProgress([cell], mode="quiet", stream=stream)
    progress.start_cell()
    progress.stage("train")
    progress.message("  step 10/128 loss 0.69")
    progress.message("cache: reusing reference (SFT) model tiny [reference-1]")
    progress.message("cache: building reward model [rm-1] ...")  # minutes the first time: shown
    clock.now = 62.0
    progress.end_cell(cell, "ok", "gold reward +0.400, KL 1.00")
    assert stream.getvalue().splitlines() == [
        "cell 1/1: dpo beta=0.1 | sentiment | tiny | seed 0  (elapsed 0s, time left ?)",
        "  train",
        "cache: building reward model [rm-1] ...",
        "cell 1/1 ok in 1m02s: dpo beta=0.1 | sentiment | tiny | seed 0: gold reward +0.400, KL 1.00"
        " · elapsed 1m02s, time left 0s",
    ]


def test_cells_that_join_later_count_and_start_in_any_order(clock):
    stream = io.StringIO()
    dpo, ppo = ("dpo", "dpo seed 0"), ("ppo", "ppo kl_coef=0.1 seed 0")
    progress = SweepProgress([dpo], mode="lines", stream=stream)
    progress.extend([ppo])
    progress.start_cell(ppo)  # a placed cell runs ahead of the grid's
    clock.now = 30.0
    progress.end_cell(ppo, "FAILED", "train: RuntimeError: boom")
    progress.start_cell()
    assert stream.getvalue().splitlines() == [
        "cell 1/2: ppo kl_coef=0.1 seed 0  (elapsed 0s, time left ?)",
        "cell 1/2 FAILED in 30s: ppo kl_coef=0.1 seed 0: train: RuntimeError: boom · elapsed 30s, time left 30s",
        "cell 2/2: dpo seed 0  (elapsed 30s, time left 30s)",  # dpo has no time of its own: all cells' mean
    ]
    assert progress.waiting == [] and progress.running[0][0] == dpo


def two_slot_run(progress: SweepProgress, clock: Clock) -> None:
    """Four dpo cells on 2 slots: a and b start at 0; a ends at 10 s (its record says 9 s) and c starts; b ends at
    20 s (no time recorded: its wall time, 20 s) and d starts; c ends at 26 s (its record: 14 s), d at 33 s."""
    a, b, c, d = (("dpo", f"dpo beta={beta} | sentiment | tiny | seed 0") for beta in ("0.1", "0.5", "1.0", "2.0"))
    progress.slots = 2
    progress.start_cell(a)
    progress.start_cell(b)
    clock.now = 10.0
    progress.end_cell(a, "ok", "gold reward +0.210, KL 1.03", seconds=9.0)
    progress.start_cell(c)
    clock.now = 20.0
    progress.end_cell(b, "FAILED", "ray: WorkerCrashedError: the worker died")
    progress.start_cell(d)
    clock.now = 26.0
    progress.end_cell(c, "ok", "gold reward +0.330, KL 2.50", seconds=14.0)
    clock.now = 33.0
    progress.end_cell(d, "ok", "gold reward +0.400, KL 4.00", seconds=13.0)


@pytest.mark.parametrize("mode", ["lines", "quiet"])
def test_several_cells_in_flight_each_end_names_its_label_time_and_time_left(clock, mode):
    stream = io.StringIO()
    labels = [f"dpo beta={beta} | sentiment | tiny | seed 0" for beta in ("0.1", "0.5", "1.0", "2.0")]
    progress = SweepProgress([("dpo", label) for label in labels], mode=mode, stream=stream)
    two_slot_run(progress, clock)
    assert stream.getvalue().splitlines() == [
        "started: dpo beta=0.1 | sentiment | tiny | seed 0  (1 running)",
        "started: dpo beta=0.5 | sentiment | tiny | seed 0  (2 running)",
        # the time left goes by wall time: a's 10 s. Left: c and d waiting (10 each) + b running 10 s (nothing
        # left), on 2 slots: 20 / 2 = 10
        "cell 1/4 ok in 9s: dpo beta=0.1 | sentiment | tiny | seed 0: gold reward +0.210, KL 1.03"
        " · elapsed 10s, time left 10s",
        "started: dpo beta=1.0 | sentiment | tiny | seed 0  (2 running)",
        # finished 10, 20: mean 15. Left: d waiting 15 + c running 10 s (5), on 2 slots: 20 / 2 = 10; but d alone
        # takes 15
        "cell 2/4 FAILED in 20s: dpo beta=0.5 | sentiment | tiny | seed 0: ray: WorkerCrashedError: the worker died"
        " · elapsed 20s, time left 15s",
        "started: dpo beta=2.0 | sentiment | tiny | seed 0  (2 running)",
        # finished 10, 20, 16: mean 15.33. Left: d running 6 s: 9.33, alone (more than 9.33 / 2)
        "cell 3/4 ok in 14s: dpo beta=1.0 | sentiment | tiny | seed 0: gold reward +0.330, KL 2.50"
        " · elapsed 26s, time left 9s",
        "cell 4/4 ok in 13s: dpo beta=2.0 | sentiment | tiny | seed 0: gold reward +0.400, KL 4.00"
        " · elapsed 33s, time left 0s",
    ]
    assert progress.finished == {"dpo": [10.0, 20.0, 16.0, 13.0]} and progress.running == []


def test_the_bar_with_several_cells_in_flight_shows_done_running_and_times(clock):
    stream = io.StringIO()
    labels = [f"dpo beta={beta} | sentiment | tiny | seed 0" for beta in ("0.1", "0.5", "1.0", "2.0")]
    progress = SweepProgress([("dpo", label) for label in labels], mode="bar", stream=stream)
    progress.slots = 2
    progress.start_cell(("dpo", labels[0]))
    progress.start_cell(("dpo", labels[1]))
    assert progress.bar.desc == "0/4 cells done · 2 running · elapsed 0s, time left ?"
    clock.now = 10.0
    progress.end_cell(("dpo", labels[0]), "ok", "gold reward +0.210, KL 1.03", seconds=9.0)
    progress.start_cell(("dpo", labels[2]))
    clock.now = 14.0
    progress.refresh()  # what the Ray executor does each second while no cell ends
    # 10 s a cell (a's wall time): d waiting 10 + b running 14 s (0) + c running 4 s (6), on 2 slots: 16 / 2 = 8;
    # but d alone takes 10
    assert progress.bar.desc == "1/4 cells done · 2 running · elapsed 14s, time left 10s"
    assert progress.bar.n == 1 and progress.bar.total == 4
    progress.close()
    written = stream.getvalue()
    assert "cell 1/4 ok in 9s: dpo beta=0.1 | sentiment | tiny | seed 0: gold reward +0.210, KL 1.03" in written
    assert "started:" not in written  # the bar says how many are running
