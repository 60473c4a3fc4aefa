"""Leaderboards from records alone: per comparability key, the headline (reward at matched KL budgets,
bench/reports/headline.py) and the detail table, one row per (algorithm, hyperparameters).

Each detail row aggregates its seeds: mean and 95% Student-t interval (bench/core/inference.py) of gold reward,
KL, length and win rate, cut at the range each quantity can take (KL and length ≥ 0, win rate in [0, 1]);
truncation; train throughput and time; how many seeds and with which statuses. A row is ranked only if every seed
finished ``ok`` (one that failed or diverged on any seed is marked ⚠ and counted, never ranked on its survivors)
and it was read on as many seeds as the table's best-read row, at least two; ranks are shared where intervals do
not separate, and never go against the mean rewards.
A row is marked when no other row of its table has both higher reward and lower KL (the
reward-vs-KL Pareto frontier, on the row means). Records with different comparability keys never
share a table.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pandas as pd
from pobench.core.inference import monotone_ranks, rank_labels, separated_ranks, t_interval
from pobench.core.params import SettingsError
from pobench.core.record import STATUSES, RunRecord
from pobench.reports import headline as hl
from pobench.reports import verdict
from pobench.reports.cells import table_cell
from pobench.reports.frontier import on_envelope
from pobench.reports.headline import Headline, budgets_of, build_headline, to_frame
from pobench.reports.proxy import flops_text
from pobench.reports.report import algo_label, format_table

# metric name in the record → column stem in the leaderboard
AGGREGATED = {
    "eval/reward": "reward",
    "eval/kl": "kl",
    "eval/length": "length",
    "eval/truncation_rate": "truncation",
    "eval/win_rate": "win_rate",
    "perf/train_tokens_per_s": "train_tokens_per_s",
    "perf/train_time_s": "train_s",
    "eval/proxy_reward": "proxy_reward",  # the seed's reward model, calibrated into gold units
    "eval/implicit_accuracy": "implicit_accuracy",  # the DPO family's implicit reward on held-out gold-ordered pairs
    "perf/train_flops": "train_flops",
}
GROUP_BY = ("task", "model")
FRONTIER_MARK = "◆"
FLAG = "⚠"
WITH_INTERVALS = ("reward", "kl", "length", "win_rate", "proxy_reward")
# the range a quantity can take: its interval is cut there (the truth lies inside, so the cut loses no coverage)
BOUNDS = {
    "kl": (0.0, math.inf),
    "length": (0.0, math.inf),
    "truncation": (0.0, 1.0),
    "win_rate": (0.0, 1.0),
    "train_tokens_per_s": (0.0, math.inf),
    "train_s": (0.0, math.inf),
    "implicit_accuracy": (0.0, 1.0),
    "train_flops": (0.0, math.inf),
}


@dataclass
class Board:
    """One table: the records that share a comparability key, and their rows ranked."""

    key: str
    task: str
    task_version: str
    model: str
    rows: pd.DataFrame  # one row per (algorithm, hyperparameters), best first
    records: list[RunRecord]
    headline: Headline | None = None  # reward at matched KL budgets

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
        row["flagged"] = len(ok) < len(group)  # a seed failed, diverged or was interrupted
        for name in AGGREGATED.values():
            values = ok[name].dropna().tolist()
            if name in WITH_INTERVALS:
                interval = clip_interval(*t_interval(values), *BOUNDS.get(name, (-math.inf, math.inf)))
                row[f"{name}_mean"], row[f"{name}_low"], row[f"{name}_high"] = interval
            else:
                row[f"{name}_mean"] = sum(values) / len(values) if values else math.nan
        out.append(row)
    rows = pd.DataFrame(out)
    rows["frontier"] = on_envelope(rows["reward_mean"].tolist(), rows["kl_mean"].tolist())
    rows.insert(0, "rank", detail_ranks(rows))
    return rows.sort_values(  # by rank (so by mean reward), unflagged rows first, then mean reward, then lower KL
        ["rank", "flagged", "reward_mean", "kl_mean"],
        ascending=[True, True, False, True],
        na_position="last",
        kind="stable",
    ).reset_index(drop=True)


def clip_interval(mean: float, low: float, high: float, floor: float, ceiling: float) -> tuple[float, float, float]:
    """(mean, low, high) with the interval cut to [floor, ceiling], the range the quantity can take (KL ≥ 0, a
    win rate ≤ 1): a t interval of 3 seeds is wide enough to reach past it (KL 10.00 (−18.70, +38.70)), and the
    part beyond holds no possible value, so cutting it keeps the interval's coverage. The mean is left as it is;
    where an estimate's own mean lies outside (a KL estimate can be slightly negative) the interval is cut at the
    mean instead, so it still holds the mean. NaN bounds (one seed, no values) stay NaN."""
    if not floor <= ceiling:
        raise ValueError(f"floor must be <= ceiling, got {floor} and {ceiling}")
    if math.isnan(low) or math.isnan(high) or math.isnan(mean):
        return mean, low, high
    return mean, max(low, min(floor, mean)), min(high, max(ceiling, mean))


def detail_ranks(rows: pd.DataFrame) -> list[float]:
    """The detail table's ranks: separated_ranks on the reward intervals (1 + the rows whose interval lies entirely
    above), among the rows read on every seed of the table (not flagged, as many ok seeds as the row with the
    most, and at least 2: a configuration run on fewer seeds has an interval no one can compare), then made
    monotone in the mean reward (monotone_ranks), so a lower mean never ranks above a higher one. NaN: not ranked.
    """
    most = int(rows["seeds"].max()) if len(rows) else 0
    read = ~rows["flagged"] & (rows["seeds"] == most) & (rows["seeds"] >= 2)
    means = rows["reward_mean"].where(read, math.nan).tolist()
    ranks = monotone_ranks(separated_ranks(rows["reward_low"].tolist(), rows["reward_high"].tolist(), means), means)
    return [math.nan if r is None else float(r) for r in ranks]


def status_counts(statuses: pd.Series) -> str:
    counts = Counter(statuses)
    return ", ".join(f"{counts[s]} {s}" for s in STATUSES if counts[s])


def build_boards(records: list[RunRecord], by: tuple[str, ...] = GROUP_BY) -> list[Board]:
    """Tables ordered by the ``by`` columns (task, model), one per comparability key."""
    unknown = [b for b in by if b not in GROUP_BY]
    if unknown:
        raise SettingsError(f"--by {unknown[0]!r}: tables can be grouped by {', '.join(GROUP_BY)}")
    if not records:
        return []
    frame = record_rows(records)
    boards = []
    order = [*by, *[c for c in GROUP_BY if c not in by], "key"]
    for values, group in frame.groupby(order, sort=True):
        named = dict(zip(order, values))
        key = named["key"]
        mine = [r for r in records if (r.comparability_key, r.task, r.model) == (key, named["task"], named["model"])]
        boards.append(
            Board(
                key=key,
                task=named["task"],
                task_version=str(group["task_version"].iloc[0]),
                model=named["model"],
                rows=aggregate(group),
                records=mine,
                headline=build_headline(mine, budgets_of(named["model"])),
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
    "truncated",
    "win rate",
    "train tok/s",
    "train s",
    "proxy reward",
    "implicit acc.",
    "train FLOPs",
    "seeds",
    "status",
)


def display_rows(rows: pd.DataFrame) -> list[dict[str, str]]:
    """Rows as text cells: what markdown and HTML tables show."""
    out = []
    ranks = rank_labels([None if math.isnan(r) else int(r) for r in rows["rank"]])
    for rank, (_, row) in zip(ranks, rows.iterrows()):
        mark = (f" {FRONTIER_MARK}" if row["frontier"] else "") + (f" {FLAG}" if row["flagged"] else "")
        out.append(
            {
                "rank": rank,
                "algorithm": row["label"] + mark,
                "gold reward (95% CI)": _interval(row, "reward", "+.3f"),
                "KL (95% CI)": ("≤" if row["kl_is_bound"] else "") + _interval(row, "kl", ".2f"),
                "length": _interval(row, "length", ".1f"),
                "truncated": _number(row["truncation_mean"], ".0%"),
                "win rate": _number(row["win_rate_mean"], ".3f"),
                "train tok/s": _number(row["train_tokens_per_s_mean"], ",.0f", zero_dash=True),
                "train s": _number(row["train_s_mean"], ".1f"),
                "proxy reward": _number(row["proxy_reward_mean"], "+.3f"),
                "implicit acc.": _number(row["implicit_accuracy_mean"], ".3f"),
                "train FLOPs": flops_text(row["train_flops_mean"]),
                "seeds": str(row["seeds"]),
                "status": row["status"],
            }
        )
    return out


def _interval(row, stem: str, fmt: str) -> str:
    """``+0.412 (+0.391, +0.440)``: the mean over seeds and its 95% Student-t interval (none for one seed)."""
    mean, low, high = row[f"{stem}_mean"], row[f"{stem}_low"], row[f"{stem}_high"]
    if math.isnan(mean):
        return "-"
    if math.isnan(low):
        return f"{mean:{fmt}}"
    return f"{mean:{fmt}} ({low:{fmt}}, {high:{fmt}})"


def _number(value: float, fmt: str, zero_dash: bool = False) -> str:
    if math.isnan(value) or (zero_dash and value == 0):
        return "-"
    return f"{value:{fmt}}"


LEGEND = (
    f"{FRONTIER_MARK} on the reward-vs-KL Pareto frontier (no other row has both higher gold reward and lower KL). "
    "Intervals are 95% Student-t intervals of the mean over seeds (mean ± t·sd/√n; t = 4.30 with 3 seeds; none "
    "with one seed), cut at the range the quantity can take (KL and length ≥ 0, win rate in [0, 1]). Ranked rows "
    "come first, by mean gold reward, then the others. Rank: 1 + the ranked rows whose reward interval lies entirely "
    "above, raised to the rank of any row with a higher mean, so a lower mean never ranks above a higher one "
    "(=N: a tie). Only rows read on every seed of the table are ranked (-: fewer ok seeds than the row with the "
    f"most, or one seed). {FLAG}: a seed failed, diverged or degenerated; the row shows its ok seeds and is not "
    "ranked. "
    "≤: KL is an analytic upper bound (best-of-n). truncated: share of samples cut at the length limit. proxy reward: "
    "the seed's reward model's score, calibrated into gold units (agrees with gold at KL 0); implicit acc.: the "
    "implicit reward's accuracy on held-out pairs ordered by gold (DPO family); train FLOPs: analytic training "
    "compute; means over seeds, - where not recorded."
)


def to_markdown(boards: list[Board]) -> str:
    """The verdict of every board first (bench/reports/verdict.py), then each board: its headline, its proxy and
    cost, its paired comparisons and every configuration."""
    verdicts = verdict.board_markdown(boards)
    parts = [verdicts] if verdicts else []
    for board in boards:
        table = format_table([list(r.values()) for r in display_rows(board.rows)], DISPLAY_COLUMNS)
        parts.append(f"### {table_cell(board.title)}\n")
        if board.headline is not None and len(board.headline.rows):
            parts.append(f"**Reward at matched KL**\n\n{hl.to_markdown(board.headline)}")
            parts.append("**Every configuration**\n")
        parts.append(f"{table}\n")
    parts.append(LEGEND)
    return "\n".join(parts) + "\n"


def headline_csv(boards: list[Board]) -> str:
    """The headline rows of every table with raw numbers; the key, task and model columns say which table."""
    frames = []
    for board in boards:
        if board.headline is None or not len(board.headline.rows):
            continue
        rows = to_frame(board.headline)
        rows.insert(0, "comparability_key", board.key)
        rows.insert(1, "task", board.task)
        rows.insert(2, "model", board.model)
        frames.append(rows)
    return pd.concat(frames, ignore_index=True).to_csv(index=False, float_format="%.6g") if frames else ""


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
