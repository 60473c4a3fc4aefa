"""wandb, offline: one run per cell in the shape dashboards want, read back from the run files; and
a wandb that fails never costs a result."""

from __future__ import annotations

import math
import sys

import pytest
from pobench.cli import main
from pobench.core.record import read_records
from pobench.harness.tracking import Tracker
from pobench.reports.dashboard import frontier_plot_names, metrics_named, specification

from tests.helpers import assert_run_matches_record, read_runs, sweep_runs

# wandb starts a service process per run: with the other tests that start processes, one at a time
pytestmark = pytest.mark.xdist_group("processes")

SMALL = ["--set", "train_examples=64", "--set", "eval_prompts=16", "--set", "eval_samples=2"]


def sweep(out, cache, *extra: str) -> int:
    return main(["sweep", "--algos", "sft,dpo", "--seeds", "0", "--no-frontier", *SMALL, "--out", str(out),
                 "--cache", str(cache), "--quiet", "--name", "two-cells", *extra])  # fmt: skip


def test_two_cell_sweep_lands_in_wandb_as_dashboards_expect(capsys, bench_dirs, default_cells, tmp_path):
    out = tmp_path / "results"
    assert sweep(out, bench_dirs["cache"], "--wandb", "offline") == 0
    assert f"wandb: 3 offline run(s) in {out / 'wandb'}; upload: wandb sync" in capsys.readouterr().err
    records, runs = sweep_runs(out)
    assert set(runs) == {"sft-sentiment-tiny-seed0", "dpo-sentiment-tiny-seed0", "two-cells-leaderboard"}

    for algo, record in records.items():
        run = runs[f"{algo}-sentiment-tiny-seed0"]
        assert (run.group, run.job_type, run.tags, run.exit_code) == ("two-cells", algo, ["sentiment", "tiny"], 0)
        assert_run_matches_record(run, record)
        assert run.summary["status"] == "ok"
        # the samples table: prompt, completion, gold reward, length, per-sample KL, the proxy's score
        table = run.table("eval/samples")
        assert table["columns"] == ["prompt", "completion", "gold", "length", "kl", "proxy_score"]
        assert [dict(zip(table["columns"], row)) for row in table["data"]] == [
            {c: s[c] for c in table["columns"]} for s in record.samples
        ]

    dpo_run, dpo = runs["dpo-sentiment-tiny-seed0"], records["dpo"]
    assert dpo_run.config["beta"] == 0.1
    # the curve, step by step, under the record's names with train/global_step as its x axis
    logged = [(row["train/global_step"], row["train/loss"]) for row in dpo_run.history if "train/loss" in row]
    assert logged == [(row["step"], row["train/loss"]) for row in dpo.curve if "train/loss" in row]
    assert len(logged) == 8 and all(math.isfinite(loss) for _, loss in logged)
    assert any("eval/trajectory/path" in row for row in dpo_run.history)  # scored along training by default


def test_a_cell_scored_along_training_logs_its_trajectory(bench_dirs, default_cells, tmp_path):
    """One row per checkpoint (8 steps, 4 checkpoints: 3, 4, 6, 8), the record's points column by column."""
    out = tmp_path / "results"
    assert sweep(out, bench_dirs["cache"], "--wandb", "offline", "--set", "eval_checkpoints=4") == 0
    records, runs = sweep_runs(out)
    table = runs["dpo-sentiment-tiny-seed0"].table("eval/trajectory")
    rows = [dict(zip(table["columns"], row)) for row in table["data"]]
    assert [row["step"] for row in rows] == [3, 4, 6, 8]
    assert rows == [{c: p.get(c) for c in table["columns"]} for p in records["dpo"].trajectory]

    board = runs["two-cells-leaderboard"]
    assert (board.group, board.job_type) == ("two-cells", "leaderboard")
    table = board.table("leaderboard")
    assert len(table["data"]) == 2 and {"algo", "reward_mean", "kl_mean", "frontier"} <= set(table["columns"])
    headline = board.table("headline")  # the matched-KL table: one row per algorithm besides the SFT baseline
    assert [row[headline["columns"].index("algo")] for row in headline["data"]] == ["dpo"]
    assert {"reward@4", "low@4", "high@4", "rank@4", "gain@4", "optimal@4"} <= set(headline["columns"])
    assert any(key.startswith("frontier/") and key.endswith("/_type") for key in board.history[0])


@pytest.mark.parametrize("failure", ["init raises", "not installed"])
def test_wandb_failure_warns_once_and_costs_nothing(monkeypatch, capsys, bench_dirs, default_cells, tmp_path, failure):
    if failure == "init raises":

        def broken_init(self, *args, **kwargs):
            raise ConnectionError("wandb.ai unreachable")

        monkeypatch.setattr(Tracker, "_init", broken_init)
    else:
        monkeypatch.setitem(sys.modules, "wandb", None)  # import wandb → ImportError
    out = tmp_path / "results"
    assert sweep(out, bench_dirs["cache"], "--wandb", "online") == 0
    err = capsys.readouterr().err
    assert err.count("pobench: warning: wandb") == 1 and "continuing without wandb" in err
    records = read_records(out)
    assert len(records) == 2 and all(r.status == "ok" and r.samples and "eval/reward" in r.metrics for r in records)
    assert (out / "leaderboard.md").exists() and not (out / "wandb").exists()


def test_the_dashboard_names_only_what_the_runs_log(capsys, bench_dirs, default_cells, tmp_path):
    """Every metric, table, image and config key the dashboard's panels and filters read, in the offline runs
    of a real sweep (the checks fail on a name the runs do not have)."""
    out = tmp_path / "results"
    assert sweep(out, bench_dirs["cache"], "--wandb", "offline") == 0
    runs = read_runs(out)
    cells = [run for run in runs if run.job_type != "leaderboard"]
    (board,) = [run for run in runs if run.job_type == "leaderboard"]
    spec = specification(read_records(out), frontier_plot_names(out), "pobench", None, "two-cells", "sentiment", "tiny")
    named = metrics_named(spec)
    assert {"eval/kl", "eval/reward", "eval/length", "eval/truncation_rate"} <= named["summary"]
    assert {"train/global_step", "train/loss", "train/rewards/margins"} <= named["history"]
    assert named["tables"] == {"headline", "leaderboard"} and named["media"]
    for run in cells:
        assert named["summary"] <= set(run.summary), run.name
        assert named["config"] <= set(run.config), run.name
        assert run.group == spec["filters"]["group"] and run.config["task"] == spec["filters"]["task"]
    logged = {key for run in cells for row in run.history for key in row}
    assert named["history"] <= logged, named["history"] - logged
    board_keys = set(board.history[0])
    assert {f"{t}/_type" for t in named["tables"]} <= board_keys
    assert {f"{m}/_type" for m in named["media"]} <= board_keys
    # each algorithm's own curves are plotted for its runs only (sft trains nothing: no curves of its own)
    own = {s["runset"]["job_type"]: {y for p in s["panels"] for y in p["y"]} for s in spec["sections"]
           if s["name"].startswith("Training curves:")}  # fmt: skip
    for run in cells:
        assert own.get(run.job_type, set()) <= {key for row in run.history for key in row}, run.name
