"""A wandb report that compares algorithms the way the leaderboard does (``pobench leaderboard --format wandb``).

The report is described first as a plain specification (a dict: sections, each a run set with its filters
and grouping, and panels naming the metrics they plot), built from a results folder's records, so every
metric it names is one the runs really log. ``to_report`` turns it into a ``wandb_workspaces`` report;
saving that needs wandb's network and credentials, the specification does not (``--dry-run``).

Where the names come from (bench/harness/tracking.py): a cell's run has group = the sweep's name,
job_type = the algorithm, config = the flat spec (``algo``, ``task``, ``model``, hyperparameters), the
final metrics in its summary and the curve in its history with ``train/global_step`` as x axis; the
sweep's leaderboard run (job_type ``leaderboard``) logs the tables ``headline`` and ``leaderboard`` and
its plots as images ``KIND/NAME`` (``frontier/frontier-…``, ``proxy_vs_kl/proxy_vs_kl-…``,
``reward_vs_compute/reward_vs_compute-…``).

Metrics newer records carry (the calibrated proxy reward, the implicit reward's accuracy, the training compute) are
plotted only when every ok run of the report logged them, so an older sweep's report names nothing its runs lack.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pobench.core.record import RunRecord

# Per-algorithm summaries, one bar chart each, as the leaderboard's columns
SCALARS = ("eval/reward", "eval/kl", "eval/length", "eval/truncation_rate")
# ... and these after eval/reward where every ok run logged them: the calibrated proxy beside gold, its gap
NEWER_SCALARS = ("eval/proxy_reward", "eval/proxy_gap", "eval/implicit_accuracy", "perf/train_flops")
PROXY = "eval/proxy_reward"
# the leaderboard run's plots besides the frontier: image kind → section title
PLOT_SECTIONS = {
    "headline": "Gold reward at matched KL: the headline, with intervals and letters",
    "proxy_vs_kl": "Gold and calibrated proxy reward against KL (reward hacking)",
    "reward_vs_compute": "Reward at matched KL against training compute",
}
STEP = "train/global_step"
LEADERBOARD_JOB = "leaderboard"


def specification(
    records: list[RunRecord],
    frontier_plots: list[str],
    project: str,
    entity: str | None = None,
    sweep: str | None = None,
    task: str | None = None,
    model: str | None = None,
    plots: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """The report for the runs of ``records`` (optionally one sweep, task and model): its title, filters and
    sections. ``frontier_plots``: the names of the frontier images the leaderboard run logged; ``plots``: those of
    its other images, by kind (``plot_names``)."""
    chosen = [r for r in records if (task is None or r.task == task) and (model is None or r.model == model)]
    if not chosen:
        where = ", ".join(f"{k} {v!r}" for k, v in (("task", task), ("model", model)) if v is not None)
        raise ValueError(f"no records{' for ' + where if where else ''}: nothing to build a dashboard of")
    filters = {k: v for k, v in (("group", sweep), ("task", task), ("model", model)) if v is not None}
    cells = {"filters": filters, "exclude_job_type": LEADERBOARD_JOB}
    board = {"filters": {k: v for k, v in filters.items() if k == "group"}, "job_type": LEADERBOARD_JOB}
    title = "pobench: " + " · ".join([sweep or "all sweeps", task or "all tasks", model or "all models"])
    sections = _sections(chosen, cells, board, frontier_plots) + plot_sections(board, plots or {})
    return {"title": title, "project": project, "entity": entity, "filters": filters, "sections": sections}


def _sections(chosen: list[RunRecord], cells: dict, board: dict, frontier_plots: list[str]) -> list[dict[str, Any]]:
    """The report's sections: ``cells`` and ``board`` are the runsets of the cells' runs and the leaderboard run."""
    algos = sorted({r.algo for r in chosen})
    scalars = scalars_logged(chosen)
    sections = [
        {
            "name": "Gold reward against KL to the reference",
            "runset": {**cells, "groupby": ["algo"]},
            "panels": [{"type": "scatter", "x": "eval/kl", "y": y} for y in ("eval/reward", PROXY) if y in scalars],
        },
        {
            "name": "Reward at matched KL (the headline) and the leaderboard",
            "runset": board,
            "panels": [{"type": "table", "key": "headline"}, {"type": "table", "key": "leaderboard"}],
        },
        {
            "name": "Per algorithm and hyperparameters",
            "runset": {**cells, "groupby": ["algo", *varying_hyperparameters(chosen)]},
            "panels": [{"type": "bar", "metric": m} for m in scalars],
        },
        {
            "name": "Training loss",
            "runset": {**cells, "groupby": ["algo"]},
            "panels": [{"type": "line", "x": STEP, "y": ["train/loss"]}],
        },
    ]
    for algo in algos:
        own = [m for m in curve_metrics([r for r in chosen if r.algo == algo]) if m != "train/loss"]
        if own:
            sections.append(
                {
                    "name": f"Training curves: {algo}",
                    "runset": {**cells, "job_type": algo, "groupby": ["algo"]},
                    "panels": [{"type": "line", "x": STEP, "y": [m]} for m in own],
                }
            )
    if frontier_plots:
        sections.append(
            {
                "name": "The optimal frontier",
                "runset": board,
                "panels": [{"type": "media", "keys": [f"frontier/{name}" for name in frontier_plots]}],
            }
        )
    return sections


def scalars_logged(records: list[RunRecord]) -> list[str]:
    """SCALARS, with NEWER_SCALARS after eval/reward where every ok record holds them (all of SCALARS when none
    is ok)."""
    ok = [r for r in records if r.status == "ok"]
    newer = [m for m in NEWER_SCALARS if ok and all(m in r.metrics for r in ok)]
    return [SCALARS[0], *newer, *SCALARS[1:]]


def plot_sections(board: dict, plots: dict[str, list[str]]) -> list[dict[str, Any]]:
    """A media section per kind of PLOT_SECTIONS the leaderboard run logged."""
    return [
        {
            "name": title,
            "runset": board,
            "panels": [{"type": "media", "keys": [f"{kind}/{name}" for name in plots[kind]]}],
        }
        for kind, title in PLOT_SECTIONS.items()
        if plots.get(kind)
    ]


def varying_hyperparameters(records: list[RunRecord]) -> list[str]:
    """Hyperparameters that take more than one value within an algorithm: what splits its runs into groups."""
    values: dict[tuple[str, str], set[str]] = {}
    for r in records:
        for key, value in r.hparams.items():
            values.setdefault((r.algo, key), set()).add(repr(value))
    return sorted({key for (_, key), seen in values.items() if len(seen) > 1})


def curve_metrics(records: list[RunRecord]) -> list[str]:
    """Every metric the records' training curves hold, as the runs log them (``train/...``)."""
    return sorted({k for r in records for row in r.curve for k in row if k.startswith("train/")})


def frontier_plot_names(out_dir: Path) -> list[str]:
    """The frontier images a results folder's leaderboard run logged (``plots/frontier-*.png``), by name."""
    return sorted(p.stem for p in (Path(out_dir) / "plots").glob("frontier-*.png"))


def plot_names(out_dir: Path) -> dict[str, list[str]]:
    """The images of PLOT_SECTIONS' kinds a results folder's leaderboard run logged (``plots/KIND-*.png``), by kind."""
    folder = Path(out_dir) / "plots"
    return {kind: sorted(p.stem for p in folder.glob(f"{kind}-*.png")) for kind in PLOT_SECTIONS}


def metrics_named(spec: dict[str, Any]) -> dict[str, set[str]]:
    """What the specification reads from the runs: summary metrics, history metrics, tables, images, config keys."""
    out: dict[str, set[str]] = {"summary": set(), "history": set(), "tables": set(), "media": set(), "config": set()}
    for section in spec["sections"]:
        out["config"] |= set(section["runset"].get("groupby", [])) | set(section["runset"]["filters"]) - {"group"}
        for panel in section["panels"]:
            if panel["type"] == "scatter":
                out["summary"] |= {panel["x"], panel["y"]}
            elif panel["type"] == "bar":
                out["summary"].add(panel["metric"])
            elif panel["type"] == "line":
                out["history"] |= {panel["x"], *panel["y"]}
            elif panel["type"] == "table":
                out["tables"].add(panel["key"])
            elif panel["type"] == "media":
                out["media"] |= set(panel["keys"])
    return out


def to_report(spec: dict[str, Any]):
    """The specification as a ``wandb_workspaces`` report (not saved)."""
    import wandb_workspaces.reports.v2 as wr  # optional: only `pobench leaderboard --format wandb` needs it
    from wandb_workspaces import expr

    def runset(rs: dict[str, Any]):
        filters = [expr.Metric("Group") == v if k == "group" else expr.Config(k) == v for k, v in rs["filters"].items()]
        if "job_type" in rs:
            filters.append(expr.Metric("JobType") == rs["job_type"])
        if "exclude_job_type" in rs:
            filters.append(expr.Metric("JobType") != rs["exclude_job_type"])
        return wr.Runset(
            project=spec["project"], entity=spec["entity"] or "", filters=filters, groupby=rs.get("groupby", [])
        )

    def panel(p: dict[str, Any]):
        if p["type"] == "scatter":
            return wr.ScatterPlot(title=f"{p['y']} against {p['x']}", x=wr.SummaryMetric(p["x"]),
                                  y=wr.SummaryMetric(p["y"]))  # fmt: skip
        if p["type"] == "bar":
            return wr.BarPlot(title=p["metric"], metrics=[wr.SummaryMetric(p["metric"])], groupby_rangefunc="stderr")
        if p["type"] == "line":
            return wr.LinePlot(title=", ".join(p["y"]), x=p["x"], y=list(p["y"]))
        if p["type"] == "table":
            return wr.WeavePanelSummaryTable(table_name=p["key"])
        return wr.MediaBrowser(media_keys=list(p["keys"]))

    blocks = [wr.P(f"Built by pobench leaderboard --format wandb; filters: {spec['filters'] or 'none'}.")]
    for section in spec["sections"]:
        blocks += [
            wr.H2(section["name"]),
            wr.PanelGrid(runsets=[runset(section["runset"])], panels=[panel(p) for p in section["panels"]]),
        ]
    named = {"entity": spec["entity"]} if spec["entity"] else {}  # else wandb's default entity (asks the server)
    return wr.Report(project=spec["project"], title=spec["title"], blocks=blocks, **named)
