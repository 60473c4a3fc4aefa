"""Leaderboard plots as PNG bytes: the reward-vs-KL frontier and bars with confidence intervals."""

from __future__ import annotations

import io
import math

from bench.leaderboard import Board, record_rows


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only: no display on a server
    import matplotlib.pyplot as plt

    return plt


def _colours(algos: list[str]) -> dict[str, tuple]:
    plt = _pyplot()
    cmap = plt.get_cmap("tab10")
    return {algo: cmap(i % 10) for i, algo in enumerate(sorted(set(algos)))}


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    _pyplot().close(fig)
    return buf.getvalue()


def frontier_png(board: Board) -> bytes:
    """Gold reward against KL: a small dot per seed, a large marker per row mean, the frontier as a line."""
    plt = _pyplot()
    seeds = record_rows(board.records)
    seeds = seeds[seeds["status"] == "ok"]
    rows = board.rows[board.rows["seeds"] > 0]
    colours = _colours(rows["algo"].tolist())
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    for _, s in seeds.iterrows():
        if s["algo"] in colours:
            ax.scatter(s["kl"], s["reward"], s=14, alpha=0.45, color=colours[s["algo"]], linewidths=0)
    for _, row in rows.iterrows():
        marker = "D" if row["frontier"] else "o"
        ax.scatter(
            row["kl_mean"],
            row["reward_mean"],
            s=60,
            marker=marker,
            color=colours[row["algo"]],
            edgecolors="black",
            linewidths=0.6,
            zorder=3,
        )
        ax.annotate(
            row["label"], (row["kl_mean"], row["reward_mean"]), textcoords="offset points", xytext=(5, 4), fontsize=7
        )
    front = rows[rows["frontier"]].sort_values("kl_mean")
    if len(front):
        ax.step(
            front["kl_mean"],
            front["reward_mean"],
            where="post",
            color="black",
            linewidth=1,
            alpha=0.6,
            zorder=2,
            label="Pareto frontier (row means)",
        )
        ax.legend(loc="lower right", fontsize=7)
    ax.set_xscale("symlog", linthresh=1.0)
    ax.set_xlabel("KL(policy ‖ reference), nats per sequence (symlog)")
    ax.set_ylabel("gold reward")
    ax.set_title(f"{board.task} · {board.model}: reward vs KL", fontsize=10)
    ax.grid(alpha=0.3)
    return _png(fig)


def bars_png(board: Board) -> bytes:
    """One bar per row (rank order) for gold reward, KL and length, with 95% CI error bars."""
    plt = _pyplot()
    rows = board.rows[board.rows["seeds"] > 0]
    colours = _colours(rows["algo"].tolist())
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.8))
    for ax, (stem, title) in zip(axes, (("reward", "gold reward"), ("kl", "KL (seq)"), ("length", "length (tokens)"))):
        means = rows[f"{stem}_mean"].tolist()
        errors = [0.0 if math.isnan(e) else e for e in rows[f"{stem}_ci95"]]
        ax.bar(range(len(rows)), means, yerr=errors, capsize=3, color=[colours[a] for a in rows["algo"]])
        ax.set_xticks(range(len(rows)), rows["label"].tolist(), rotation=60, ha="right", fontsize=7)
        ax.set_title(title, fontsize=9)
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle(f"{board.task} · {board.model}: means over seeds with 95% CI", fontsize=10)
    return _png(fig)


def plot_files(board: Board) -> dict[str, bytes]:
    """File name → PNG bytes for one board (names carry the key, so boards never overwrite each other)."""
    stem = f"{board.task}-{board.model}-{board.key[:8] or 'nokey'}".replace("/", "_")
    return {f"frontier-{stem}.png": frontier_png(board), f"bars-{stem}.png": bars_png(board)}
