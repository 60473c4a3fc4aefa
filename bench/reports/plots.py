"""Leaderboard figures as PNG bytes, each readable at a glance (bench/reports/plot_style.py: a fixed colour per
algorithm, greys for the reference lines, no two texts overlapping):

- ``frontier``: small multiples, one panel per algorithm in the verdict's order, each with the optimum, the
  best-of-n baseline and the SFT level: the algorithm's mean reading against the KL budget (the headline's
  reading at every KL, where every seed is read) with its 95% band, its per-seed cells faint, and the headline's
  readings at the budgets as dots with intervals;
- ``headline``: the headline as dots and 95% intervals, one panel per KL budget, an algorithm per row (the same
  rows in every panel), its letters beside it, an unread algorithm named with its seeds read;
- ``reward_vs_compute``: per budget, the reading against the training compute it rests on (log axis), every
  method labelled, the ones not drawn named with why;
- ``proxy_vs_kl``: per algorithm, gold and the calibrated proxy along KL (reward hacking).

Each ``*_figure`` returns the matplotlib figure (what the tests measure), each ``*_png`` its PNG bytes.
"""

from __future__ import annotations

import math

import numpy as np
from pobench.core.inference import t_interval
from pobench.reports.headline import BASELINE, algorithm_readings
from pobench.reports.leaderboard import Board, record_rows
from pobench.reports.plot_style import (
    BASELINE_LINE,
    BUDGET_LINE,
    OPTIMUM,
    SFT_LINE,
    colour_of,
    nats,
    png,
    pyplot,
    spread,
)
from pobench.reports.proxy import PROXY, cell_of, configuration_means

BEST_OF_N = "best-of-n"  # the baseline drawn in every frontier panel
KL_FLOOR = 1e-2  # a log axis has no 0: KL below this is drawn at it
GRID = 40  # KL values the frontier panels read the headline at


def _ncols(n: int) -> int:
    return min(4, n)


def _kl_range(board: Board) -> tuple[float, float]:
    """The frontier panels' KL axis: from the smallest budget / 8 to the largest × 5 (runaway cells, 30–170 nats,
    would squeeze every curve to the left; they are counted in their panel instead)."""
    budgets = board.headline.budgets
    return min(budgets) / 8, max(budgets) * 5


def mean_curve(board: Board, algo: str, grid: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The headline's reading of ``algo`` at each KL of ``grid`` (bench/reports/headline.algorithm_readings): the
    mean over seeds and its 95% Student-t interval where every seed is read, NaN elsewhere."""
    h = board.headline
    seeds = len(h.seed_points[algo])
    out = np.full((3, len(grid)), np.nan)
    for i, k in enumerate(grid):
        read = algorithm_readings(h, algo, float(k))
        if seeds and len(read) == seeds:
            out[:, i] = t_interval(list(read.values()))
    if seeds == 1:
        out[1], out[2] = out[0], out[0]
    return out[0], out[1], out[2]


def _row(board: Board, algo: str):
    rows = board.headline.rows
    return rows[rows["algo"] == algo].iloc[0]


def frontier_figure(board: Board):
    h = board.headline
    plt = pyplot()
    algos = list(h.rows["algo"])
    ncols = _ncols(len(algos))
    nrows = math.ceil(len(algos) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.3 * ncols, 2.9 * nrows + 0.6), sharex=True, sharey=True,
                             squeeze=False, layout="constrained")  # fmt: skip
    lo, hi = _kl_range(board)
    grid = np.geomspace(lo, hi, GRID)
    curves = {algo: mean_curve(board, algo, grid) for algo in algos}  # read once: each panel and the frame use them
    baseline = curves[BEST_OF_N][0] if BEST_OF_N in curves else None
    optimal = sorted((p for p in h.optimal if lo <= p.kl <= hi), key=lambda p: p.kl)
    points = []
    for ax, algo in zip(axes.flat, algos):
        _references(ax, h, optimal, None if algo == BEST_OF_N else (grid, baseline))
        points += _frontier_panel(ax, board, algo, grid, curves[algo])
    for ax in list(axes.flat)[len(algos) :]:
        ax.set_visible(False)
    axes.flat[0].set_xlim(lo, hi)
    axes.flat[0].set_ylim(*_frontier_ylim(board, list(curves.values()), optimal, points))
    handles = {}
    for ax in axes.flat:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            if not label.endswith("95% band)"):
                handles.setdefault(label, handle)
    for i, ax in enumerate(list(axes.flat)[: len(algos)]):
        if i + ncols >= len(algos):  # the lowest panel of its column (above an empty one, too): the KL axis
            ax.xaxis.set_tick_params(labelbottom=True)
            ax.set_xlabel("KL to the reference, nats (log)", fontsize=8)
    labels = [*handles.keys(), "dots: the headline's readings at the budgets (95% CI)"]
    fig.legend([*handles.values(), _dot()], labels, loc="outside lower center", ncols=4, fontsize=8, frameon=False)
    fig.supylabel("gold reward", fontsize=9)
    fig.suptitle(f"{board.task} · {board.model}: reward-vs-KL frontier per algorithm ({_seeds(board)} seeds)",
                 fontsize=11)  # fmt: skip
    return fig


def _references(ax, h, optimal, baseline) -> None:
    """A panel's reference lines: the budgets, SFT, the optimum in range, the best-of-n baseline (``(grid, mean)``,
    or None in best-of-n's own panel)."""
    for k in h.budgets:
        ax.axvline(k, **BUDGET_LINE)
    if not math.isnan(h.sft_reward):
        ax.axhline(h.sft_reward, **SFT_LINE, label="SFT (KL 0)")
    if optimal:
        ax.plot([p.kl for p in optimal], [p.reward for p in optimal], **OPTIMUM, label="optimum π*_β")
    if baseline is not None and baseline[1] is not None:
        ax.plot(*baseline, **BASELINE_LINE, label="best-of-n (mean)")


def _frontier_panel(ax, board: Board, algo: str, grid: np.ndarray, curve) -> list[tuple[float, float]]:
    """One algorithm's panel: its cells faint, its mean reading with its band (``curve``: mean_curve over
    ``grid``), its headline readings as dots, a title with its share of the optimal gain at the middle budget;
    returns its cells' (KL, gold) points."""
    h, colour = board.headline, colour_of(algo)
    lo, hi = grid[0], grid[-1]
    points = [(kl, r) for pts in h.seed_points[algo].values() for kl, r in pts]
    shown = [(max(kl, lo), r) for kl, r in points if kl <= hi]
    ax.scatter([p[0] for p in shown], [p[1] for p in shown], s=5, color=colour, alpha=0.18, lw=0)
    mean, low, high = curve
    ax.fill_between(grid, low, high, color=colour, alpha=0.2, lw=0)
    ax.plot(grid, mean, color=colour, lw=2.0, label=f"{algo} (mean, 95% band)")
    row = _row(board, algo)
    for k in h.budgets:
        m, a, b = row[f"reward@{k:g}"], row[f"low@{k:g}"], row[f"high@{k:g}"]
        if math.isfinite(m):
            err = [[m - a], [b - m]] if math.isfinite(a) else None
            ax.errorbar([k], [m], yerr=err, fmt="o", color=colour, mec="black", mew=0.6, ms=5, capsize=2, zorder=4)
    middle = h.budgets[len(h.budgets) // 2]
    gain = row[f"gain@{middle:g}"]
    title = f"{algo}: {gain:.0%} of the optimal gain at KL {middle:g}" if math.isfinite(gain) else algo
    ax.set_title(title, fontsize=9, color=colour, fontweight="bold")
    if len(points) > len(shown):
        ax.text(0.98, 0.03, f"{len(points) - len(shown)} cells beyond KL {hi:g}", transform=ax.transAxes,
                ha="right", fontsize=7, color="0.35")  # fmt: skip
    ax.set_xscale("log")
    ax.grid(alpha=0.25, which="major")
    return points


def _frontier_ylim(board: Board, curves, optimal, points) -> tuple[float, float]:
    """The frame holds the curves, the readings, the optimum in range and the SFT level; a degenerate cell far
    below is cut at the bottom edge rather than squeezing every curve into a sliver."""
    h = board.headline
    curves = [np.concatenate(curve) for curve in curves]
    readings = [h.rows[f"{c}@{k:g}"] for c in ("low", "high", "reward") for k in h.budgets]
    values = [h.sft_reward, *(p.reward for p in optimal), *np.concatenate([*curves, *readings])]
    finite = [float(v) for v in values if math.isfinite(v)] or [r for _, r in points if math.isfinite(r)] or [0, 1]
    bottom, top = min(finite), max(finite)
    top = top if top > bottom else bottom + 1
    return bottom - 0.15 * (top - bottom), top + 0.08 * (top - bottom)


def _seeds(board: Board) -> int:
    return int(board.headline.rows["seeds"].max())


def headline_figure(board: Board):
    """The headline as dots with 95% intervals: one panel per budget, one row per algorithm (the middle budget's
    order, the same in every panel), its letters at the right; an algorithm not read on every seed is named in
    its row with the seeds read; the SFT level and the optimum at the budget as vertical lines."""
    h = board.headline
    plt = pyplot()
    algos = list(h.rows["algo"])
    fig, axes = plt.subplots(1, len(h.budgets), figsize=(3.9 * len(h.budgets), 0.42 * len(algos) + 1.6),
                             sharey=True, squeeze=False, layout="constrained")  # fmt: skip
    y = np.arange(len(algos))[::-1]
    for ax, k in zip(axes.flat, h.budgets):
        values = [v for _, r in h.rows.iterrows() for v in (r[f"low@{k:g}"], r[f"high@{k:g}"], r[f"reward@{k:g}"])]
        optimum, trusted = h.optimal_at(k)
        finite = [v for v in [*values, h.sft_reward, optimum] if math.isfinite(v)] or [0.0, 1.0]  # none read here
        left, right = min(finite), max(finite)
        pad = 0.05 * (right - left or 1)
        ax.set_xlim(left - pad, right + 0.28 * (right - left or 1))  # room at the right for the letters
        if math.isfinite(h.sft_reward):
            ax.axvline(h.sft_reward, **SFT_LINE, label="SFT")
        if math.isfinite(optimum):
            ax.axvline(optimum, **{**OPTIMUM, "ls": "-" if trusted else "--"},
                       label="optimum" + ("" if trusted else " (low ESS)"))  # fmt: skip
        for yi, (_, row) in zip(y, h.rows.iterrows()):
            colour = colour_of(row["algo"])
            m, a, b = row[f"reward@{k:g}"], row[f"low@{k:g}"], row[f"high@{k:g}"]
            if math.isfinite(m):
                err = [[m - a], [b - m]] if math.isfinite(a) else None
                ax.errorbar([m], [yi], xerr=err, fmt="o", color=colour, ms=6, capsize=3, lw=1.6)
                letters = row.get(f"group@{k:g}")
                gain = row[f"gain@{k:g}"]
                note = " ".join(
                    [f"{gain:.0%}" if math.isfinite(gain) else "", letters if isinstance(letters, str) else ""]
                ).strip()
                if note:
                    ax.text(right + 0.04 * (right - left or 1), yi, note, va="center", fontsize=8)
            else:
                ax.text(left, yi, f"not read on every seed ({row[f'reached@{k:g}']}/{row['seeds']})",
                        va="center", fontsize=7, color="0.4", style="italic")  # fmt: skip
        ax.set_title(f"KL budget {nats(k)}", fontsize=10)
        ax.grid(axis="x", alpha=0.3)
        ax.set_xlabel("gold reward (mean, 95% CI)", fontsize=8)
        ax.tick_params(axis="x", labelsize=8)
        ax.xaxis.set_major_locator(_max_ticks(5))
    ax0 = axes.flat[0]
    ax0.set_yticks(y, algos, fontsize=9)
    for tick, algo in zip(ax0.get_yticklabels(), algos):
        tick.set_color(colour_of(algo))
    handles = {}
    for ax in axes.flat:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(label, handle)
    middle = h.budgets[len(h.budgets) // 2]
    labels = [*handles.keys(), f"rows in the order at KL {middle:g}; letters: shared = not separated"]
    fig.legend([*handles.values(), _blank()], labels, loc="outside lower center", ncols=4, fontsize=8, frameon=False)
    fig.suptitle(f"{board.task} · {board.model}: gold reward at matched KL over {_seeds(board)} seeds, "
                 "share of the optimal gain and paired-test letters", fontsize=10)  # fmt: skip
    return fig


def _dot():
    from matplotlib.lines import Line2D

    return Line2D([], [], marker="o", color="0.3", mec="black", ls="none")


def _blank():
    from matplotlib.patches import Rectangle

    return Rectangle((0, 0), 0, 0, visible=False)


def _max_ticks(n: int):
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(n)


def compute_figure(board: Board):
    """Per budget, each method's reading against the training FLOPs of the cells it rests on (mean over seeds, log
    axis), every point labelled; a method not drawn is named with why (no training, or not read on every seed).
    None when no reading has a compute."""
    h = board.headline
    drawn: dict[float, list] = {}
    missing: dict[float, list[str]] = {}
    for k in h.budgets:
        for _, row in h.rows.iterrows():
            flops, reward = row.get(f"flops@{k:g}", math.nan), row[f"reward@{k:g}"]
            if not math.isfinite(reward):
                missing.setdefault(k, []).append(f"{row['algo']} (not read on every seed)")
            elif not math.isfinite(flops):
                missing.setdefault(k, []).append(f"{row['algo']} (no compute recorded)")
            elif flops <= 0:
                missing.setdefault(k, []).append(f"{row['algo']} (no training: 0 FLOPs)")
            else:
                drawn.setdefault(k, []).append((row["algo"], flops, reward))
    if not drawn:
        return None
    plt = pyplot()
    budgets = [k for k in h.budgets if k in drawn or k in missing]
    fig, axes = plt.subplots(1, len(budgets), figsize=(4.0 * len(budgets), 4.2), sharey=True, squeeze=False,
                             layout="constrained")  # fmt: skip
    rewards = [r for points in drawn.values() for _, _, r in points]
    span = (max(rewards) - min(rewards)) or 0.1
    bottom, top = min(rewards) - 0.45 * span, max(rewards) + 0.15 * span  # room below for the notes
    for ax, k in zip(axes.flat, budgets):
        points = drawn.get(k, [])
        for algo, flops, reward in points:
            ax.scatter([flops], [reward], s=40, color=colour_of(algo), edgecolors="black", lw=0.5, zorder=3)
        if points:
            # the labels in a column at the right, spread apart, each joined to its point
            xs = [f for _, f, _ in points]
            ax.set_xlim(min(xs) / 3, max(xs) * 30)
            column = max(xs) * 4
            labels = spread([r for _, _, r in points], 0.07 * (top - bottom))
            for (algo, flops, reward), ly in zip(points, labels):
                arrow = {"arrowstyle": "-", "color": "0.6", "lw": 0.5}
                ax.annotate(algo, (flops, reward), xytext=(column, ly), fontsize=8, va="center",
                            color=colour_of(algo), arrowprops=arrow)  # fmt: skip
        if math.isfinite(h.sft_reward):
            ax.axhline(h.sft_reward, **SFT_LINE)
        if k in missing:
            ax.text(0.02, 0.02, "not drawn:\n" + "\n".join(missing[k]), transform=ax.transAxes, fontsize=7,
                    color="0.35", va="bottom")  # fmt: skip
        ax.set_xscale("log")
        ax.set_title(f"KL budget {nats(k)}", fontsize=10)
        ax.grid(alpha=0.3, which="major")
    axes.flat[0].set_ylim(bottom, top)
    axes.flat[0].set_ylabel("gold reward at the budget (mean over seeds)", fontsize=9)
    fig.supxlabel("training compute of the cells the reading rests on, FLOPs (log; mean over seeds); "
                  "dotted: SFT", fontsize=9)  # fmt: skip
    fig.suptitle(f"{board.task} · {board.model}: reward at matched KL against training compute", fontsize=10)
    return fig


def proxied_algorithms(board: Board) -> list[str]:
    """The algorithms (the SFT baseline aside) with an ok cell that recorded the calibrated proxy reward."""
    return sorted(
        {r.algo for r in board.records if r.status == "ok" and r.algo != BASELINE and math.isfinite(cell_of(r)[2])}
    )


def proxy_figure(board: Board):
    """One panel per algorithm with a proxy: gold (solid, circles) and the calibrated proxy (dashed, crosses)
    against KL (log), every ok cell faint and the configurations' means over seeds joined, the optimal frontier in
    each panel; None when no algorithm recorded a proxy (older records)."""
    algos = proxied_algorithms(board)
    if not algos:
        return None
    plt = pyplot()
    ncols = _ncols(len(algos))
    nrows = math.ceil(len(algos) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.6 * ncols, 3.0 * nrows), sharex=True, sharey=True,
                             squeeze=False, layout="constrained")  # fmt: skip
    headline = board.headline
    optimal = sorted(headline.optimal, key=lambda p: p.kl) if headline is not None else []
    for ax, algo in zip(axes.flat, algos):
        colour = colour_of(algo)
        mine = [r for r in board.records if r.algo == algo and r.status == "ok" and PROXY in r.metrics]
        cells = [cell_of(r) for r in mine]
        kls = [max(c[0], KL_FLOOR) for c in cells]
        ax.scatter(kls, [c[1] for c in cells], s=9, alpha=0.3, color=colour, lw=0)
        ax.scatter(kls, [c[2] for c in cells], s=12, alpha=0.3, color=colour, marker="x", lw=0.8)
        means = configuration_means(mine)
        x = [max(m[0], KL_FLOOR) for m in means]
        ax.plot(x, [m[1] for m in means], "-o", color=colour, ms=3, lw=1.5, label="gold")
        ax.plot(x, [m[2] for m in means], "--x", color=colour, ms=4, lw=1.2, label="proxy (calibrated)")
        if optimal:
            ax.plot([p.kl for p in optimal], [p.reward for p in optimal], **OPTIMUM, alpha=0.6,
                    label="optimum π*_β (gold)")  # fmt: skip
        for k in headline.budgets if headline is not None else ():
            ax.axvline(k, **BUDGET_LINE)
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(_null_formatter())  # a narrow KL range would label every minor tick
        ax.set_title(algo, fontsize=9, color=colour, fontweight="bold")
        ax.grid(alpha=0.3, which="major")
    shown = [max(c[0], KL_FLOOR) for r in board.records if r.algo in algos and r.status == "ok" for c in [cell_of(r)]]
    axes.flat[0].set_xlim(min(shown) / 1.5, max(shown) * 1.5)  # the cells' range: the optimum's tail is cut
    for ax in list(axes.flat)[len(algos) :]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=6, loc="upper left")
    fig.supxlabel("KL(policy ‖ reference), nats per sequence (log)", fontsize=9)
    fig.supylabel("reward (gold units)", fontsize=9)
    fig.suptitle(f"{board.task} · {board.model}: gold (solid) and calibrated proxy (dashed) against KL; "
                 "configurations' means over seeds, cells faint", fontsize=10)  # fmt: skip
    return fig


def _null_formatter():
    from matplotlib.ticker import NullFormatter

    return NullFormatter()


def points_figure(board: Board):
    """Without a headline (no budgets to read at): gold reward against KL, a dot per seed, a marker per row mean."""
    plt = pyplot()
    seeds = record_rows(board.records)
    seeds = seeds[seeds["status"] == "ok"]
    rows = board.rows[board.rows["seeds"] > 0]
    fig, ax = plt.subplots(figsize=(7.5, 4.8), layout="constrained")
    for _, s in seeds.iterrows():
        ax.scatter(max(s["kl"], KL_FLOOR), s["reward"], s=14, alpha=0.45, color=colour_of(s["algo"]), lw=0)
    for algo in dict.fromkeys(rows["algo"]):
        mine = rows[rows["algo"] == algo]
        ax.scatter(np.maximum(mine["kl_mean"], KL_FLOOR), mine["reward_mean"], s=60, color=colour_of(algo),
                   edgecolors="black", lw=0.6, zorder=3, label=algo)  # fmt: skip
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel("KL(policy ‖ reference), nats per sequence (log)")
    ax.set_ylabel("gold reward")
    ax.set_title(f"{board.task} · {board.model}: reward vs KL (cells faint, configurations' means)", fontsize=10)
    ax.grid(alpha=0.3)
    return fig


def figures(board: Board) -> dict[str, object]:
    """Kind → matplotlib figure for one board: frontier and headline (or the points plot, without a headline),
    compute and proxy where the records hold what they show."""
    h = board.headline
    if h is None or not len(h.rows):
        return {"frontier": points_figure(board)}
    out = {"frontier": frontier_figure(board), "headline": headline_figure(board)}
    for kind, fig in (("reward_vs_compute", compute_figure(board)), ("proxy_vs_kl", proxy_figure(board))):
        if fig is not None:
            out[kind] = fig
    return out


def plot_files(board: Board) -> dict[str, bytes]:
    """File name → PNG bytes for one board (names carry the key, so boards never overwrite each other)."""
    stem = f"{board.task}-{board.model}-{board.key[:8] or 'nokey'}".replace("/", "_")
    return {f"{kind}-{stem}.png": png(fig) for kind, fig in figures(board).items()}
