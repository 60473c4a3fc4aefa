"""The leaderboard's figures are readable (bench/reports/plots.py): no two texts overlap (measured with matplotlib's
text extents), every algorithm is drawn or named with why not, each keeps its colour across figures, nothing on a
log axis is at or below zero; on hand-made records and on the committed reference (8 algorithms, 28 seeds)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from matplotlib.collections import PathCollection
from matplotlib.colors import to_hex
from pobench.reports import plot_style, plots
from pobench.reports.leaderboard import build_boards
from pobench.reports.plot_style import colour_of, spread

from tests.helpers import hand_made_records, record


def proxied_records():
    """The hand-made records with a ppo on two seeds reaching KL 1, every ok cell with a proxy and a compute."""
    ppo = [record("ppo", s, r, kl, hparams={"kl_coef": c}) for s in (0, 1) for r, kl, c in ((0.2, 0.4, 0.1),
           (0.35, 2.5, 0.02))]  # fmt: skip
    records = hand_made_records() + ppo
    for r in records:
        if r.status == "ok":
            r.metrics.update({"eval/proxy_reward": r.metrics["eval/reward"] + 0.05,
                              "perf/train_flops": 1e12 * (1 + r.metrics["eval/kl"])})  # fmt: skip
    return records


@pytest.fixture(scope="module")
def figure_sets(reference_boards):
    boards = [*build_boards(proxied_records()), *reference_boards]
    out = [(f"{b.task}/{b.key}", b, plots.figures(b)) for b in boards]
    yield out
    for _, _, figures in out:
        for fig in figures.values():
            plot_style.pyplot().close(fig)


def test_every_board_gets_its_figures(figure_sets):
    kinds = {name: sorted(figures) for name, _, figures in figure_sets}
    assert sorted(kinds.values()) == [
        ["frontier", "headline", "proxy_vs_kl"],  # K2: one dpo cell below every budget: no reading, no compute
        ["frontier", "headline", "proxy_vs_kl", "reward_vs_compute"],
        ["frontier", "headline", "proxy_vs_kl", "reward_vs_compute"],
    ]


def test_no_two_texts_overlap(figure_sets):
    for name, _, figures in figure_sets:
        for kind, fig in figures.items():
            assert plot_style.texts(fig), (name, kind)  # the check sees the texts
            assert plot_style.overlaps(fig) == [], (name, kind)


def test_the_overlap_check_finds_overlapping_labels():
    plt = plot_style.pyplot()
    fig, ax = plt.subplots(figsize=(2, 2))
    ax.set_xticks(range(30), [f"label {i}" for i in range(30)])  # 30 labels on 2 inches: they must collide
    found = plot_style.overlaps(fig)
    plt.close(fig)
    assert ("label 0", "label 1") in found


def test_every_algorithm_is_drawn_or_named_with_why(figure_sets):
    for name, board, figures in figure_sets:
        if board.headline is None or not len(board.headline.rows):
            continue
        for kind in {"frontier", "headline", "reward_vs_compute"} & set(figures):
            texts = " ".join(t.get_text() for t in plot_style.texts(figures[kind]))
            for algo in board.headline.rows["algo"]:
                assert algo in texts, (name, kind, algo)


def test_the_compute_figure_says_why_a_method_is_missing(reference_boards):
    (board,) = reference_boards
    fig = plots.compute_figure(board)
    notes = [t.get_text() for t in plot_style.texts(fig) if t.get_text().startswith("not drawn")]
    plot_style.pyplot().close(fig)
    # best-of-n trains nothing; at KL 4 ipo and kto are not read on every seed (the headline says 27/28, 26/28)
    assert notes[0] == "not drawn:\nbest-of-n (no training: 0 FLOPs)"
    assert "ipo (not read on every seed)" in notes[-1] and "kto (not read on every seed)" in notes[-1]


def test_an_algorithm_keeps_its_colour_in_every_figure(figure_sets):
    for name, _, figures in figure_sets:
        if "headline" not in figures:
            continue
        for ax in figures["frontier"].axes:
            algo = ax.get_title().split(":")[0]
            if algo:
                assert to_hex(ax.title.get_color()) == to_hex(colour_of(algo)), (name, algo)
        for tick in figures["headline"].axes[0].get_yticklabels():
            assert to_hex(tick.get_color()) == to_hex(colour_of(tick.get_text())), (name, tick.get_text())


def test_algorithm_colours_are_distinct_and_never_the_reference_greys():
    builtin = ["ppo", "dpo", "ipo", "kto", "cpo", "orpo", "simpo", "best-of-n", "grpo", "rloo"]
    colours = [colour_of(a) for a in builtin]
    assert len(set(colours)) == len(builtin)
    for colour in [*colours, colour_of("my-plugin"), colour_of("another one")]:
        r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
        assert max(r, g, b) - min(r, g, b) > 40, colour  # a hue, not a grey
    assert colour_of("my-plugin") == colour_of("my-plugin")


def test_nothing_on_a_log_axis_is_at_or_below_zero(figure_sets):
    for name, _, figures in figure_sets:
        for kind, fig in figures.items():
            for ax in fig.axes:
                if ax.get_xscale() != "log":
                    continue
                for line in ax.get_lines():
                    if not line.get_transform().contains_branch_seperately(ax.transData)[0]:
                        continue  # a horizontal reference line: its x is in axes coordinates, 0 to 1
                    x = np.asarray(line.get_xdata(), dtype=float)
                    assert (x[np.isfinite(x)] > 0).all(), (name, kind)
                for collection in ax.collections:
                    if not isinstance(collection, PathCollection):
                        continue  # a band (PolyCollection) has no offsets of its own: its default is (0, 0)
                    offsets = np.asarray(collection.get_offsets(), dtype=float)
                    if offsets.size:
                        assert (offsets[:, 0][np.isfinite(offsets[:, 0])] > 0).all(), (name, kind)


def test_the_frontier_panels_read_the_headline(reference_boards):
    """At a budget, a panel's curve is the headline's mean reading there (the same function reads both)."""
    (board,) = reference_boards
    for _, row in board.headline.rows.iterrows():
        for k in board.headline.budgets:
            mean, low, high = plots.mean_curve(board, row["algo"], np.array([k]))
            if math.isnan(row[f"reward@{k:g}"]):
                assert math.isnan(mean[0])
            else:
                assert (mean[0], low[0], high[0]) == pytest.approx(
                    (row[f"reward@{k:g}"], row[f"low@{k:g}"], row[f"high@{k:g}"])
                )


@pytest.mark.parametrize(
    ("values", "gap", "expected"),
    [
        ([0.0, 0.01, 1.0], 0.1, [-0.045, 0.055, 1.0]),  # the close pair is centred on its mean 0.005
        ([0.0, 0.0, 0.0], 1.0, [-1.0, 0.0, 1.0]),
        ([1.0, 0.0], 0.5, [1.0, 0.0]),  # already apart: unmoved, whatever the order given
        ([0.0, 0.3, 0.35], 0.2, [0.0, 0.225, 0.425]),  # the pair moves apart and stays clear of the first
        ([0.0, 0.1, 0.15], 0.2, [-0.35 / 3, 0.25 / 3, 0.85 / 3]),  # the pushed pair reaches the first: all move
    ],
)
def test_labels_are_spread_as_little_as_needed(values, gap, expected):
    assert spread(values, gap) == pytest.approx(expected)
