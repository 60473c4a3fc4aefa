"""Leaderboards from records alone: one table per comparability key, one row per (algorithm, hyperparameters).

Each row aggregates its seeds: mean and 95% t-interval of gold reward, KL, length and win rate;
train throughput and time; how many seeds and with which statuses. Rows are ranked by mean gold
reward, and a row is marked when no other row of its table has both higher reward and lower KL
(the reward-vs-KL Pareto frontier, on the row means). Records with different comparability keys
never share a table.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pandas as pd

from bench.record import RunRecord
from bench.report import algo_label
from bench.stats import mean_ci, pareto_front

# metric name in the record → column stem in the leaderboard
AGGREGATED = {
    "eval/reward": "reward",
    "eval/kl": "kl",
    "eval/length": "length",
    "eval/win_rate": "win_rate",
    "perf/train_tokens_per_s": "train_tokens_per_s",
    "perf/train_time_s": "train_s",
}
GROUP_BY = ("task", "model")
FRONTIER_MARK = "◆"


@dataclass
class Board:
    """One table: the records that share a comparability key, and their rows ranked."""

    key: str
    task: str
    task_version: str
    model: str
    rows: pd.DataFrame  # one row per (algorithm, hyperparameters), best first
    records: list[RunRecord]

    @property
    def title(self) -> str:
        return f"{self.task} v{self.task_version} · {self.model} · comparability key {self.key or '(none)'}"


def record_rows(records: list[RunRecord]) -> pd.DataFrame:
    """One row per record: identity, status and the metrics the leaderboard aggregates."""
    rows = []
    for r in records:
        row: dict[str, Any] = {
            "key": r.comparability_key,
            "task": r.task,
            "task_version": r.task_version,
            "model": r.model,
            "algo": r.algo,
            "label": algo_label(r),
            "hparams": json.dumps(r.hparams, sort_keys=True),
            "seed": r.seed,
            "status": r.status,
            "kl_is_bound": bool(r.metrics.get("eval/kl_is_bound", 0.0)),
        }
        ok = r.status == "ok"
        for metric, name in AGGREGATED.items():
            row[name] = float(r.metrics[metric]) if ok and metric in r.metrics else math.nan
        rows.append(row)
    return pd.DataFrame(rows)


def aggregate(frame: pd.DataFrame) -> pd.DataFrame:
    """Seeds → one row per (algo, hparams) of one table, with mean and CI half-width, ranked, frontier marked."""
    out = []
    for (_, _), group in frame.groupby(["algo", "hparams"], sort=False):
        ok = group[group["status"] == "ok"]
        row: dict[str, Any] = {
            "algo": group["algo"].iloc[0],
            "label": group["label"].iloc[0],
            "hparams": group["hparams"].iloc[0],
            "seeds": len(ok),
            "status": status_counts(group["status"]),
            "kl_is_bound": bool(group["kl_is_bound"].any()),
        }
        for name in AGGREGATED.values():
            mean, half = mean_ci(ok[name].dropna().tolist())
            row[f"{name}_mean"], row[f"{name}_ci95"] = mean, half
        out.append(row)
    rows = pd.DataFrame(out)
    rows["frontier"] = pareto_front(rows["reward_mean"].tolist(), rows["kl_mean"].tolist())
    rows = rows.sort_values(  # ties in reward go to the lower KL
        ["reward_mean", "kl_mean"], ascending=[False, True], na_position="last", kind="stable"
    ).reset_index(drop=True)
    rows.insert(0, "rank", [float(i + 1) if not math.isnan(v) else math.nan for i, v in enumerate(rows["reward_mean"])])
    return rows


def status_counts(statuses: pd.Series) -> str:
    counts = Counter(statuses)
    order = ("ok", "failed", "diverged", "interrupted")
    return ", ".join(f"{counts[s]} {s}" for s in order if counts[s])


def build_boards(records: list[RunRecord], by: tuple[str, ...] = GROUP_BY) -> list[Board]:
    """Tables ordered by the ``by`` columns (task, model), one per comparability key."""
    unknown = [b for b in by if b not in GROUP_BY]
    if unknown:
        from bench.params import SettingsError

        raise SettingsError(f"--by {unknown[0]!r}: tables can be grouped by {', '.join(GROUP_BY)}")
    if not records:
        return []
    frame = record_rows(records)
    boards = []
    order = [*by, *[c for c in GROUP_BY if c not in by], "key"]
    for values, group in frame.groupby(order, sort=True):
        named = dict(zip(order, values))
        key = named["key"]
        boards.append(
            Board(
                key=key,
                task=named["task"],
                task_version=str(group["task_version"].iloc[0]),
                model=named["model"],
                rows=aggregate(group),
                records=[
                    r for r in records if (r.comparability_key, r.task, r.model) == (key, named["task"], named["model"])
                ],
            )
        )
    return boards


# -- presentation ------------------------------------------------------------------------------------

DISPLAY_COLUMNS = (
    "rank",
    "algorithm",
    "gold reward (95% CI)",
    "KL (95% CI)",
    "length",
    "win rate",
    "train tok/s",
    "train s",
    "seeds",
    "status",
)


def display_rows(rows: pd.DataFrame) -> list[dict[str, str]]:
    """Rows as text cells: what markdown and HTML tables show."""
    out = []
    for _, row in rows.iterrows():
        out.append(
            {
                "rank": "-" if math.isnan(row["rank"]) else str(int(row["rank"])),
                "algorithm": row["label"] + (f" {FRONTIER_MARK}" if row["frontier"] else ""),
                "gold reward (95% CI)": _interval(row["reward_mean"], row["reward_ci95"], "+.3f"),
                "KL (95% CI)": ("≤" if row["kl_is_bound"] else "") + _interval(row["kl_mean"], row["kl_ci95"], ".2f"),
                "length": _number(row["length_mean"], ".1f"),
                "win rate": _number(row["win_rate_mean"], ".3f"),
                "train tok/s": _number(row["train_tokens_per_s_mean"], ",.0f", zero_dash=True),
                "train s": _number(row["train_s_mean"], ".1f"),
                "seeds": str(row["seeds"]),
                "status": row["status"],
            }
        )
    return out


def _interval(mean: float, half: float, fmt: str) -> str:
    if math.isnan(mean):
        return "-"
    if math.isnan(half):
        return f"{mean:{fmt}}"
    return f"{mean:{fmt}} ± {half:{fmt.lstrip('+')}}"


def _number(value: float, fmt: str, zero_dash: bool = False) -> str:
    if math.isnan(value) or (zero_dash and value == 0):
        return "-"
    return f"{value:{fmt}}"


LEGEND = (
    f"{FRONTIER_MARK} on the reward-vs-KL Pareto frontier (no other row has both higher gold reward and lower KL). "
    "Intervals are 95% Student-t over seeds (none with one seed). ≤: KL is an analytic upper bound (best-of-n)."
)


def to_markdown(boards: list[Board]) -> str:
    from bench.report import format_table

    parts = []
    for board in boards:
        table = format_table([list(r.values()) for r in display_rows(board.rows)], DISPLAY_COLUMNS)
        parts.append(f"### {board.title}\n\n{table}\n")
    parts.append(LEGEND)
    return "\n".join(parts) + "\n"


def to_csv(boards: list[Board]) -> str:
    """Every row of every table with raw numbers; the key, task and model columns say which table."""
    frames = []
    for board in boards:
        rows = board.rows.copy()
        rows.insert(0, "comparability_key", board.key)
        rows.insert(1, "task", board.task)
        rows.insert(2, "task_version", board.task_version)
        rows.insert(3, "model", board.model)
        frames.append(rows)
    if not frames:
        return ""
    return pd.concat(frames, ignore_index=True).to_csv(index=False, float_format="%.6g")
