"""What every leaderboard figure shares: one colour per algorithm (the same in every figure, never a grey, which the
reference lines use), the reference lines' styles, labels placed apart, and a check that no two texts overlap."""

from __future__ import annotations

import hashlib
import io

# a colour per built-in algorithm (Okabe-Ito and ColorBrewer hues, told apart in colour-blind simulations); other
# names (a plugin's) get one of EXTRA by a hash of the name, so a name keeps its colour across figures and runs
COLOURS = {
    "ppo": "#0072B2",
    "dpo": "#D55E00",
    "ipo": "#E69F00",
    "kto": "#009E73",
    "cpo": "#CC79A7",
    "orpo": "#56B4E9",
    "simpo": "#8C510A",
    "best-of-n": "#6A3D9A",
    "grpo": "#B2182B",
    "rloo": "#01665E",
}
EXTRA = ("#1B9E77", "#E7298A", "#66A61E", "#7570B3", "#A6761D", "#E6AB02", "#D95F02", "#4D9221")
# reference lines: black and greys, which no algorithm uses
OPTIMUM = {"color": "black", "lw": 1.3}
BASELINE_LINE = {"color": "0.45", "lw": 1.1, "ls": "--"}
SFT_LINE = {"color": "0.6", "lw": 0.9, "ls": ":"}
BUDGET_LINE = {"color": "0.85", "lw": 0.8, "zorder": 0}


def nats(k: float) -> str:
    """ "KL budget 1 nat", "… 0.25 nats"."""
    return f"{k:g} nat" if k == 1 else f"{k:g} nats"


def colour_of(algo: str) -> str:
    if algo in COLOURS:
        return COLOURS[algo]
    return EXTRA[int(hashlib.sha256(algo.encode()).hexdigest(), 16) % len(EXTRA)]


def pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only: no display on a server
    import matplotlib.pyplot as plt

    return plt


def png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    pyplot().close(fig)
    return buf.getvalue()


def spread(values: list[float], gap: float) -> list[float]:
    """``values`` moved apart, as little as possible, so that neighbours in sorted order are at least ``gap`` apart
    (label positions: each keeps its order; a run pushed together is centred on its own mean)."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    placed: list[list[int]] = []  # runs of indices that touch, each placed as a block
    positions = dict(enumerate(values))
    for i in order:
        placed.append([i])
        while len(placed) > 1:
            low, high = placed[-2], placed[-1]
            top_of_low = positions[low[0]] + gap * (len(low) - 1)
            if positions[high[0]] - top_of_low >= gap:
                break
            block = low + high
            centre = sum(values[j] for j in block) / len(block)
            start = centre - gap * (len(block) - 1) / 2
            for n, j in enumerate(block):
                positions[j] = start + n * gap
            placed[-2:] = [block]
    return [positions[i] for i in range(len(values))]


def texts(fig) -> list:
    """Every text of a drawn figure that shows: the tick labels of ticks inside their axis's view (matplotlib keeps
    labels for ticks outside it, undrawn), titles, axis labels, legends, annotations and the figure's own texts."""
    fig.canvas.draw()
    found = []
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        for axis in (ax.xaxis, ax.yaxis):
            low, high = sorted(axis.get_view_interval())
            span = high - low
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                loc = tick.get_loc()
                if low - 1e-9 * span <= loc <= high + 1e-9 * span:
                    found += [label for label in (tick.label1, tick.label2) if label.get_visible()]
            found.append(axis.label)
        found += [ax.title, ax._left_title, ax._right_title, *ax.texts]
        if ax.get_legend() is not None:
            found += ax.get_legend().get_texts()
    found += list(fig.texts) + [t for legend in fig.legends for t in legend.get_texts()]
    for name in ("_suptitle", "_supxlabel", "_supylabel"):
        if getattr(fig, name, None) is not None:
            found.append(getattr(fig, name))
    unique = {id(t): t for t in found if t.get_visible() and t.get_text().strip()}
    return list(unique.values())


def overlaps(fig, pad: float = 1.0) -> list[tuple[str, str]]:
    """Pairs of texts of ``fig`` whose drawn boxes overlap by more than ``pad`` pixels: the readability check the
    tests run on every figure."""
    renderer = fig.canvas.get_renderer()
    boxes = []
    from matplotlib.text import Text

    for t in texts(fig):
        box = Text.get_window_extent(t, renderer)  # an annotation's own extent holds its arrow: the text alone
        if box.width > 0 and box.height > 0:
            boxes.append((t.get_text(), box.padded(-pad)))
    return [(a, b) for i, (a, x) in enumerate(boxes) for b, y in boxes[i + 1 :] if x.overlaps(y)]
