"""The sweep's ETA, worked by hand, and what each progress mode prints."""

from __future__ import annotations

import io

from pobench.core.progress import SweepProgress, eta_seconds, format_duration


def test_eta_by_hand():
    finished = {"dpo": [10.0, 20.0], "ppo": [60.0]}
    # dpo 15 (its mean) + ppo 60 + kto 30 (mean of all finished: 90 / 3) + current ppo: 60 − 50 elapsed = 10
    assert eta_seconds(finished, ["dpo", "ppo", "kto"], current="ppo", current_elapsed=50.0) == 115.0
    assert eta_seconds(finished, [], current="dpo", current_elapsed=99.0) == 0.0  # never negative
    assert eta_seconds({}, ["dpo"]) is None  # nothing to go on yet


def test_format_duration():
    assert [format_duration(s) for s in (None, 4.4, 59.6, 61, 3725)] == ["?", "4s", "1m00s", "1m01s", "1h02m"]


def test_quiet_mode_prints_cells_and_stages_but_not_chatter():
    stream = io.StringIO()
    progress = SweepProgress([("dpo", "dpo | sentiment | tiny | seed 0")], mode="quiet", stream=stream)
    progress.start_cell()
    progress.stage("train")
    progress.message("  step 10/128 loss 0.69")
    progress.message("cache: reusing reference (SFT) model tiny [reference-1]")
    progress.message("cache: building reward model [rm-1] ...")  # minutes the first time: shown
    progress.end_cell("ok", "gold reward +0.4")
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("cell 1/1: dpo | sentiment | tiny | seed 0  (elapsed 0s, ETA ?)")
    assert lines[1:3] == ["  train", "cache: building reward model [rm-1] ..."]
    assert len(lines) == 4 and lines[3].startswith("cell 1/1 ok in 0s: gold reward +0.4")


def test_cells_that_join_later_count_and_start_in_any_order():
    stream = io.StringIO()
    progress = SweepProgress([("dpo", "dpo seed 0")], mode="lines", stream=stream)
    progress.extend([("ppo", "ppo seed 0 kl_coef=0.1")])
    progress.start_cell(("ppo", "ppo seed 0 kl_coef=0.1"))  # a placed cell runs ahead of the grid's
    progress.end_cell("ok", "done")
    progress.start_cell()
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("cell 1/2: ppo seed 0 kl_coef=0.1") and lines[1].startswith("cell 1/2 ok")
    assert lines[2].startswith("cell 2/2: dpo seed 0") and progress.waiting == []
