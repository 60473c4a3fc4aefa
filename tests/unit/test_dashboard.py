"""`pobench dashboard`: the wandb report's specification from records, built offline, and its refusals."""

from __future__ import annotations

import json

import pytest
from pobench.cli import main
from pobench.core.atomic import write_json_atomic
from pobench.reports.dashboard import curve_metrics, metrics_named, specification, to_report, varying_hyperparameters

from tests.helpers import hand_made_records, record


def records_with_curves():
    records = [r for r in hand_made_records() if r.comparability_key == "K1"]
    for r in records:
        r.curve = [{"step": 1, "train/loss": 0.7, f"train/{r.algo}_own": 1.0}]
    tuned = record("dpo", 0, 0.2, 0.5, hparams={"beta": 0.5})
    tuned.curve = [{"step": 1, "train/loss": 0.6}]
    return [*records, record("dpo", 1, 0.3, 0.7, hparams={"beta": 0.1}), tuned]


def write_records(folder):
    for i, r in enumerate(records_with_curves()):
        write_json_atomic(folder / "records" / f"r{i}.json", r.to_json())


def test_the_specification_has_every_panel_and_filter():
    spec = specification(records_with_curves(), ["frontier-K1"], "proj", "me", "my-sweep", "sentiment", "tiny")
    assert spec["filters"] == {"group": "my-sweep", "task": "sentiment", "model": "tiny"}
    by_name = {s["name"]: s for s in spec["sections"]}
    scatter = by_name["Gold reward against KL to the reference"]
    assert scatter["panels"] == [{"type": "scatter", "x": "eval/kl", "y": "eval/reward"}]
    assert scatter["runset"] == {"filters": spec["filters"], "exclude_job_type": "leaderboard", "groupby": ["algo"]}
    headline = by_name["Reward at matched KL (the headline) and the leaderboard"]
    assert headline["runset"] == {"filters": {"group": "my-sweep"}, "job_type": "leaderboard"}
    assert [p["key"] for p in headline["panels"]] == ["headline", "leaderboard"]
    bars = by_name["Per algorithm and hyperparameters"]
    assert bars["runset"]["groupby"] == ["algo", "beta"]  # beta takes two values within dpo
    assert [p["metric"] for p in bars["panels"]] == ["eval/reward", "eval/kl", "eval/length", "eval/truncation_rate"]
    assert by_name["Training loss"]["panels"] == [{"type": "line", "x": "train/global_step", "y": ["train/loss"]}]
    dpo = by_name["Training curves: dpo"]
    assert dpo["runset"]["job_type"] == "dpo" and dpo["panels"][0]["y"] == ["train/dpo_own"]
    assert by_name["The optimal frontier"]["panels"] == [{"type": "media", "keys": ["frontier/frontier-K1"]}]
    assert metrics_named(spec)["config"] == {"algo", "beta", "task", "model"}


def test_no_frontier_section_without_its_plot_and_no_records_no_dashboard():
    spec = specification(records_with_curves(), [], "proj")
    assert "The optimal frontier" not in [s["name"] for s in spec["sections"]] and spec["filters"] == {}
    with pytest.raises(ValueError, match="no records for task 'imdb'"):
        specification(records_with_curves(), [], "proj", task="imdb")


def test_hyperparameters_and_curves_are_read_from_the_records():
    records = records_with_curves()
    assert varying_hyperparameters(records) == ["beta"]
    assert curve_metrics([r for r in records if r.algo == "ipo"]) == ["train/ipo_own", "train/loss"]


def test_the_specification_becomes_a_wandb_report_offline():
    spec = specification(records_with_curves(), ["frontier-K1"], "proj", "me", "my-sweep", "sentiment", "tiny")
    report = to_report(spec)
    assert (report.project, report.entity, report.title) == ("proj", "me", spec["title"])
    grids = [b for b in report.blocks if type(b).__name__ == "PanelGrid"]
    assert len(grids) == len(spec["sections"])
    kinds = [type(p).__name__ for p in grids[0].panels + grids[1].panels + grids[2].panels]
    assert kinds == ["ScatterPlot", "WeavePanelSummaryTable", "WeavePanelSummaryTable"] + ["BarPlot"] * 4
    assert str(grids[0].runsets[0].filters) == (
        "Metric(\"Group\") == 'my-sweep' and Config(\"task\") == 'sentiment' and Config(\"model\") == 'tiny' "
        "and Metric(\"JobType\") != 'leaderboard'"
    )
    assert grids[2].runsets[0].groupby == ["algo", "beta"]


def test_dry_run_prints_or_writes_the_specification(tmp_path, capsys):
    write_records(tmp_path)
    assert main(["dashboard", str(tmp_path), "--dry-run", "--sweep", "s1"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["filters"] == {"group": "s1"} and printed["sections"]
    target = tmp_path / "spec.json"
    assert main(["dashboard", "--dry-run", "-o", str(target), "--sweep", "s1", str(tmp_path)]) == 0
    assert json.loads(target.read_text())["sections"] == printed["sections"]


def test_without_credentials_it_fails_at_once_and_says_what_to_do(tmp_path, capsys, monkeypatch):
    write_records(tmp_path)
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.netrc
    monkeypatch.setenv("NETRC", str(tmp_path / "none"))
    assert main(["dashboard", str(tmp_path)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "pobench: error: pobench dashboard needs wandb credentials: run `wandb login` or set WANDB_API_KEY; "
        "pobench dashboard --dry-run prints the report's specification without it"
    ]


def test_without_network_it_fails_at_once(tmp_path, capsys, monkeypatch):
    write_records(tmp_path)
    monkeypatch.setenv("WANDB_API_KEY", "not-a-key")
    monkeypatch.setenv("WANDB_BASE_URL", "https://wandb.invalid")
    assert main(["dashboard", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("pobench: error: pobench dashboard cannot reach wandb.invalid:443 (") and "--dry-run" in err
