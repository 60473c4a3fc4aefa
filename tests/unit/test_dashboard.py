"""`pobench leaderboard --format wandb`: the wandb report's specification from records, built offline, and its
refusals."""

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
    assert main(["leaderboard", "--format", "wandb", "--out", str(tmp_path), "--dry-run", "--sweep", "s1"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["filters"] == {"group": "s1"} and printed["sections"]
    target = tmp_path / "spec.json"
    assert (
        main(
            [
                "leaderboard",
                "--format",
                "wandb",
                "--dry-run",
                "-o",
                str(target),
                "--sweep",
                "s1",
                "--out",
                str(tmp_path),
            ]
        )
        == 0
    )
    assert json.loads(target.read_text())["sections"] == printed["sections"]


def test_without_credentials_it_fails_at_once_and_says_what_to_do(tmp_path, capsys, monkeypatch):
    write_records(tmp_path)
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.netrc
    monkeypatch.setenv("NETRC", str(tmp_path / "none"))
    assert main(["leaderboard", "--format", "wandb", "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "pobench: error: pobench leaderboard --format wandb needs wandb credentials: run `wandb login` or set "
        "WANDB_API_KEY; "
        "pobench leaderboard --format wandb --dry-run prints the report's specification without it"
    ]


def test_without_network_it_fails_at_once(tmp_path, capsys, monkeypatch):
    write_records(tmp_path)
    monkeypatch.setenv("WANDB_API_KEY", "not-a-key")
    monkeypatch.setenv("WANDB_BASE_URL", "https://wandb.invalid")
    assert main(["leaderboard", "--format", "wandb", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert (
        err.startswith("pobench: error: pobench leaderboard --format wandb cannot reach wandb.invalid:443 (")
        and "--dry-run" in err
    )


def records_with_proxies():
    """records_with_curves whose ok cells also hold the newer metrics; dpo's implicit accuracy only."""
    records = records_with_curves()
    for r in records:
        if r.status == "ok":
            r.metrics.update({"eval/proxy_reward": 0.3, "eval/proxy_gap": 0.05, "perf/train_flops": 1e12})
            if r.algo == "dpo":
                r.metrics["eval/implicit_accuracy"] = 0.7
    return records


def test_the_calibrated_proxy_is_plotted_beside_gold_where_every_run_logged_it():
    plots = {"proxy_vs_kl": ["proxy_vs_kl-K1"], "reward_vs_compute": ["reward_vs_compute-K1"]}
    spec = specification(records_with_proxies(), ["frontier-K1"], "proj", "me", sweep="my-sweep", plots=plots)
    by_name = {s["name"]: s for s in spec["sections"]}
    assert by_name["Gold reward against KL to the reference"]["panels"] == [
        {"type": "scatter", "x": "eval/kl", "y": "eval/reward"},
        {"type": "scatter", "x": "eval/kl", "y": "eval/proxy_reward"},
    ]
    # the proxy and its gap beside gold, the compute; implicit accuracy is not logged by every run (dpo's only)
    assert [p["metric"] for p in by_name["Per algorithm and hyperparameters"]["panels"]] == [
        "eval/reward", "eval/proxy_reward", "eval/proxy_gap", "perf/train_flops", "eval/kl", "eval/length",
        "eval/truncation_rate"]  # fmt: skip
    hacking = by_name["Gold and calibrated proxy reward against KL (reward hacking)"]
    assert hacking["runset"] == {"filters": {"group": "my-sweep"}, "job_type": "leaderboard"}
    assert hacking["panels"] == [{"type": "media", "keys": ["proxy_vs_kl/proxy_vs_kl-K1"]}]
    compute = by_name["Reward at matched KL against training compute"]["panels"]
    assert compute == [{"type": "media", "keys": ["reward_vs_compute/reward_vs_compute-K1"]}]
    named = metrics_named(spec)
    assert {"eval/proxy_reward", "eval/proxy_gap", "perf/train_flops"} <= named["summary"]
    assert "eval/implicit_accuracy" not in named["summary"]
    assert named["media"] == {"frontier/frontier-K1", "proxy_vs_kl/proxy_vs_kl-K1",
                              "reward_vs_compute/reward_vs_compute-K1"}  # fmt: skip
    report = to_report(spec)
    grids = [b for b in report.blocks if type(b).__name__ == "PanelGrid"]
    assert [type(p).__name__ for p in grids[0].panels] == ["ScatterPlot", "ScatterPlot"]
    assert [type(p).__name__ for p in grids[-1].panels] == ["MediaBrowser"]
    only_dpo = specification([r for r in records_with_proxies() if r.algo == "dpo"], [], "proj")
    bars = next(s for s in only_dpo["sections"] if s["name"] == "Per algorithm and hyperparameters")
    assert "eval/implicit_accuracy" in [p["metric"] for p in bars["panels"]]


def test_older_records_name_no_newer_metric_and_one_run_without_it_drops_it():
    named = metrics_named(specification(records_with_curves(), [], "proj"))
    assert not {"eval/proxy_reward", "eval/proxy_gap", "perf/train_flops"} & named["summary"]
    mixed = records_with_proxies()
    del mixed[0].metrics["eval/proxy_reward"]
    assert "eval/proxy_reward" not in metrics_named(specification(mixed, [], "proj"))["summary"]


def test_the_plot_names_of_a_results_folder_and_the_images_the_leaderboard_run_logs(tmp_path):
    from pobench.harness.tracking import board_images
    from pobench.reports.dashboard import frontier_plot_names, plot_names
    from pobench.reports.publish import write_outputs

    written = write_outputs(tmp_path, records_with_proxies())
    stems = sorted(p.stem for name, p in written.items() if name.endswith(".png"))
    assert plot_names(tmp_path) == {
        "headline": [s for s in stems if s.startswith("headline-")],
        "proxy_vs_kl": [s for s in stems if s.startswith("proxy_vs_kl-")],
        "reward_vs_compute": [s for s in stems if s.startswith("reward_vs_compute-")],
    }
    # the records hold proxies: that plot was written; no algorithm of K1 is read on every seed at a budget, so no
    # headline reading has a compute: no compute plot
    assert plot_names(tmp_path)["proxy_vs_kl"] and not plot_names(tmp_path)["reward_vs_compute"]
    # the sweep hands the leaderboard run its frontier plots; their boards' other plots are logged beside them
    frontiers = [p for name, p in written.items() if name.startswith("frontier-")]
    images = board_images(frontiers)
    assert sorted(images) == ["frontier/frontier-sentiment-tiny-K1", "headline/headline-sentiment-tiny-K1",
                              "proxy_vs_kl/proxy_vs_kl-sentiment-tiny-K1"]  # fmt: skip
    assert {f"frontier/{n}" for n in frontier_plot_names(tmp_path)} <= set(images)
    assert all(images[key].stem == key.split("/", 1)[1] and images[key].exists() for key in images)
