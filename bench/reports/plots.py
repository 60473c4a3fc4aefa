"""Leaderboard plots as PNG bytes: the reward-vs-KL frontier, bars with confidence intervals, gold against the
calibrated proxy along KL (reward hacking), and the headline's readings against training compute."""

from __future__ import annotations

import io
import math

import numpy as np
from pobench.reports.frontier import reward_within
from pobench.reports.headline import BASELINE
from pobench.reports.leaderboard import Board, record_rows
from pobench.reports.proxy import PROXY, cell_of, configuration_means


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
    """Each algorithm's reward-vs-KL frontier (mean over seeds of the per-seed envelopes, band from the lowest to
    the highest seed, drawn only where every seed reaches), its per-seed points, the optimal frontier (dotted where
    its estimate has too few effective samples), oracle best-of-n and the SFT level; KL on a log axis."""
    headline = board.headline
    if headline is None or not len(headline.rows):
        return points_png(board)
    plt = _pyplot()
    colours = _colours(list(headline.seed_points))
    fig, ax = plt.subplots(figsize=(8, 5))
    all_kls = [max(k, 1e-3) for seeds in headline.seed_points.values() for pts in seeds.values() for k, _ in pts]
    grid = np.geomspace(max(min(all_kls, default=0.01), 1e-3), max(all_kls, default=10.0), 120)
    for algo, seeds in headline.seed_points.items():
        colour = colours[algo]
        for pts in seeds.values():
            ax.scatter([max(k, 1e-3) for k, _ in pts], [r for _, r in pts], s=10, alpha=0.4, color=colour, lw=0)
        curves = np.array([[reward_within(pts, k) for k in grid] for pts in seeds.values()])  # (seeds, grid)
        if not len(curves):
            continue
        reached = ~np.isnan(curves).any(axis=0)
        if reached.any():
            ax.plot(grid[reached], curves[:, reached].mean(axis=0), color=colour, lw=1.8, label=algo)
            ax.fill_between(grid[reached], curves[:, reached].min(axis=0), curves[:, reached].max(axis=0),
                            color=colour, alpha=0.15, lw=0)  # fmt: skip
        else:
            ax.scatter([], [], color=colour, label=f"{algo} (no common KL range)")
    if headline.optimal:
        pts = sorted(headline.optimal, key=lambda p: p.kl)
        trusted = [p for p in pts if p.trusted]
        ax.plot([p.kl for p in pts], [p.reward for p in pts], ":", color="black", lw=1)
        ax.plot([p.kl for p in trusted], [p.reward for p in trusted], "-", color="black", lw=1.2,
                label=f"optimum π*_β (K={headline.reference_samples}; dotted: low ESS)")  # fmt: skip
    if headline.best_of_n:
        ax.plot([kl for _, kl, _ in headline.best_of_n[1:]], [r for _, _, r in headline.best_of_n[1:]], "s--",
                color="grey", ms=4, lw=1, label="oracle best-of-n (KL bound)")  # fmt: skip
    if not math.isnan(headline.sft_reward):
        ax.axhline(headline.sft_reward, color="grey", lw=0.8, ls="-.", label="sft (KL 0)")
    for k in headline.budgets:
        ax.axvline(k, color="grey", lw=0.6, alpha=0.5)
    # the frame follows the curves and the SFT level: a degenerate cell (reward near the floor) is clipped at the
    # bottom edge rather than squeezing every curve into a sliver
    shown = [headline.sft_reward, *(min(line.get_ydata()) for line in ax.get_lines() if len(line.get_ydata()))]
    bottom = min(v for v in shown if math.isfinite(v)) - 0.1
    ax.set_ylim(bottom=bottom)
    ax.set_xlim(left=max(1e-3, grid[0] / 2), right=grid[-1] * 1.5)
    ax.set_xscale("log")
    ax.set_xlabel("KL(policy ‖ reference), nats per sequence (log); grey lines: the headline's KL budgets")
    ax.set_ylabel("gold reward")
    ax.set_title(f"{board.task} · {board.model}: reward-vs-KL frontiers (mean over seeds, band min–max)", fontsize=10)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7)
    ax.grid(alpha=0.3, which="both")
    return _png(fig)


def points_png(board: Board) -> bytes:
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
        low = [0.0 if math.isnan(lo) else m - lo for m, lo in zip(means, rows[f"{stem}_low"])]
        high = [0.0 if math.isnan(hi) else hi - m for m, hi in zip(means, rows[f"{stem}_high"])]
        ax.bar(range(len(rows)), means, yerr=[low, high], capsize=3, color=[colours[a] for a in rows["algo"]])
        ax.set_xticks(range(len(rows)), rows["label"].tolist(), rotation=60, ha="right", fontsize=7)
        ax.set_title(title, fontsize=9)
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle(f"{board.task} · {board.model}: means over seeds with 95% Student-t intervals", fontsize=10)
    return _png(fig)


def _null_formatter():
    from matplotlib.ticker import NullFormatter

    return NullFormatter()


def proxied_algorithms(board: Board) -> list[str]:
    """The algorithms (the SFT baseline aside) with an ok cell that recorded the calibrated proxy reward."""
    return sorted(
        {r.algo for r in board.records if r.status == "ok" and r.algo != BASELINE and math.isfinite(cell_of(r)[2])}
    )


def proxy_vs_kl_png(board: Board) -> bytes | None:
    """One panel per algorithm with a proxy: gold (solid, circles) and the calibrated proxy (dashed, crosses)
    against KL (log), every ok cell faint and the configurations' means over seeds joined, the optimal frontier in
    each panel; None when no algorithm recorded a proxy (older records)."""
    algos = proxied_algorithms(board)
    if not algos:
        return None
    plt = _pyplot()
    colours = _colours(algos)
    ncols = min(4, len(algos))
    nrows = math.ceil(len(algos) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.6 * ncols, 3.0 * nrows), sharex=True, sharey=True,
                             squeeze=False, layout="constrained")  # fmt: skip
    headline = board.headline
    optimal = sorted(headline.optimal, key=lambda p: p.kl) if headline is not None else []
    for ax, algo in zip(axes.flat, algos):
        mine = [r for r in board.records if r.algo == algo and r.status == "ok" and PROXY in r.metrics]
        cells = [cell_of(r) for r in mine]
        kls = [max(c[0], 1e-3) for c in cells]
        ax.scatter(kls, [c[1] for c in cells], s=9, alpha=0.3, color=colours[algo], lw=0)
        ax.scatter(kls, [c[2] for c in cells], s=12, alpha=0.3, color=colours[algo], marker="x", lw=0.8)
        means = configuration_means(mine)
        x = [max(m[0], 1e-3) for m in means]
        ax.plot(x, [m[1] for m in means], "-o", color=colours[algo], ms=3, lw=1.5, label="gold")
        ax.plot(x, [m[2] for m in means], "--x", color=colours[algo], ms=4, lw=1.2, label="proxy (calibrated)")
        if optimal:
            ax.plot([p.kl for p in optimal], [p.reward for p in optimal], "-", color="black", lw=0.8, alpha=0.6,
                    label="optimum π*_β (gold)")  # fmt: skip
        for k in headline.budgets if headline is not None else ():
            ax.axvline(k, color="grey", lw=0.5, alpha=0.4)
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(_null_formatter())  # a narrow KL range would label every minor tick
        ax.set_title(algo, fontsize=9)
        ax.grid(alpha=0.3, which="both")
    shown = [max(c[0], 1e-3) for r in board.records if r.algo in algos and r.status == "ok" for c in [cell_of(r)]]
    axes.flat[0].set_xlim(min(shown) / 1.5, max(shown) * 1.5)  # the cells' range: the optimum's tail is cut
    for ax in list(axes.flat)[len(algos) :]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=6, loc="upper left")
    fig.supxlabel("KL(policy ‖ reference), nats per sequence (log)", fontsize=9)
    fig.supylabel("reward (gold units)", fontsize=9)
    fig.suptitle(f"{board.task} · {board.model}: gold (solid) and calibrated proxy (dashed) against KL; "
                 "configurations' means over seeds, cells faint", fontsize=10)  # fmt: skip
    return _png(fig)


MARKERS = ("o", "s", "^", "D", "v", "P")


def reward_vs_compute_png(board: Board) -> bytes | None:
    """The headline's gold reading at each KL budget against the training compute of the cells it rests on (mean
    over seeds; log axis): a colour per algorithm, a marker per budget; None when no reading has a compute."""
    headline = board.headline
    if headline is None or not len(headline.rows):
        return None
    rows, budgets = headline.rows, headline.budgets
    found = [(row, k) for _, row in rows.iterrows() for k in budgets
             if math.isfinite(row[f"flops@{k:g}"]) and math.isfinite(row[f"reward@{k:g}"])]  # fmt: skip
    untrained = sorted({row["algo"] for row, k in found if row[f"flops@{k:g}"] == 0})  # no place on a log axis
    found = [(row, k) for row, k in found if row[f"flops@{k:g}"] > 0]
    if not found:
        return None
    plt = _pyplot()
    colours = _colours(rows["algo"].tolist())
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    for algo in dict.fromkeys(row["algo"] for row, _ in found):
        mine = sorted(((row[f"flops@{k:g}"], row[f"reward@{k:g}"], k) for row, k in found if row["algo"] == algo))
        ax.plot([m[0] for m in mine], [m[1] for m in mine], "-", color=colours[algo], lw=0.8, alpha=0.6, label=algo)
        for flops, reward, k in mine:
            marker = MARKERS[budgets.index(k) % len(MARKERS)]
            ax.scatter(flops, reward, marker=marker, s=40, color=colours[algo], edgecolors="black", lw=0.5, zorder=3)
    for i, k in enumerate(budgets):
        ax.scatter([], [], marker=MARKERS[i % len(MARKERS)], color="white", edgecolors="black", label=f"KL ≤ {k:g}")
    ax.set_xscale("log")
    untrained_note = f"; {', '.join(untrained)}: no training (0 FLOPs), not drawn" if untrained else ""
    ax.set_xlabel(f"training compute, FLOPs (log; the cells the reading rests on, mean over seeds){untrained_note}")
    ax.set_ylabel("gold reward at the KL budget")
    ax.set_title(f"{board.task} · {board.model}: reward at matched KL against training compute", fontsize=10)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7)
    ax.grid(alpha=0.3, which="both")
    return _png(fig)


def plot_files(board: Board) -> dict[str, bytes]:
    """File name → PNG bytes for one board (names carry the key, so boards never overwrite each other); the proxy
    and compute plots only where the records hold what they show."""
    stem = f"{board.task}-{board.model}-{board.key[:8] or 'nokey'}".replace("/", "_")
    files = {f"frontier-{stem}.png": frontier_png(board), f"bars-{stem}.png": bars_png(board)}
    for name, png in (("proxy_vs_kl", proxy_vs_kl_png(board)), ("reward_vs_compute", reward_vs_compute_png(board))):
        if png is not None:
            files[f"{name}-{stem}.png"] = png
    return files
