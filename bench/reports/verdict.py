"""The verdict: what a board's headline says, in a few lines a reader can quote, generated from its readings.

Per KL budget, the algorithms read on every seed in the order of their means, best first, each with its share of
the optimal gain (its mean reward where the optimum's estimate is not trusted) and its letters; between two
neighbours ``>`` where the Holm-corrected paired test separates them and ``≈`` where it does not. Then the
algorithms not read on every seed there, with how many seeds they were read on, and what the seeds can resolve
(the minimum detectable difference of the headline's power line). One sentence states the order at one budget
(the one where most algorithms are ranked; the middle one on a tie) in tiers: a tier is a run of neighbours
joined by ``≈``, and it is called "not separated from one another" only when no pair inside it is separated.

Nothing here is written by hand: the README's verdict is this module's output for ``results/reference`` (a test
checks it), and ``pobench leaderboard --format verdict`` prints it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pobench.reports.cells import table_cell
from pobench.reports.headline import ALPHA, POWER, Headline

SEPARATED, TIED = ">", "≈"
START, END = "<!-- pobench:verdict:start -->", "<!-- pobench:verdict:end -->"


@dataclass(frozen=True)
class Placed:
    """One algorithm at one budget: its mean reading, share of the optimal gain (NaN: not trusted) and letters."""

    algo: str
    reward: float
    gain: float
    letters: str


@dataclass(frozen=True)
class Budget:
    """One budget's verdict: the ranked algorithms best first, whether each neighbour pair is separated, the
    algorithms not read on every seed (name → seeds read), and the power line's figures."""

    k: float
    ranked: list[Placed]
    separated: list[bool]  # separated[i]: ranked[i] over ranked[i + 1], by the Holm-corrected paired test
    pairs: frozenset  # every separated pair, as frozensets of two names
    unread: dict[str, int]
    seeds: int  # the most seeds an algorithm has
    mdd: float  # minimum detectable difference (gold reward) at POWER, before the Holm correction
    pair_seeds: int  # the seeds a pair shares (median)


def budget_verdict(headline: Headline, k: float) -> Budget:
    rows = headline.rows
    ranked, unread = [], {}
    for _, row in rows.iterrows():
        letters = row.get(f"group@{k:g}")
        if isinstance(letters, str) and letters and math.isfinite(row[f"reward@{k:g}"]):
            ranked.append(Placed(row["algo"], float(row[f"reward@{k:g}"]), float(row[f"gain@{k:g}"]), letters))
        else:
            unread[row["algo"]] = int(row[f"reached@{k:g}"])
    ranked.sort(key=lambda p: -p.reward)  # the rows are ordered at the middle budget; here by this budget's means
    pairs = frozenset(frozenset((c.a, c.b)) for c in headline.comparisons.get(k, []) if c.winner(ALPHA))
    separated = [frozenset((a.algo, b.algo)) in pairs for a, b in zip(ranked, ranked[1:])]
    power = headline.power.get(k, {})
    seeds = int(rows["seeds"].max()) if len(rows) else 0
    return Budget(k, ranked, separated, pairs, unread, seeds, power.get("mdd", math.nan), power.get("seeds", 0))


def tiers(budget: Budget) -> list[list[Placed]]:
    """The ranked algorithms cut where neighbours are separated: runs joined by ``≈``."""
    out: list[list[Placed]] = [[]]
    for i, placed in enumerate(budget.ranked):
        if i and budget.separated[i - 1]:
            out.append([])
        out[-1].append(placed)
    return [t for t in out if t]


def _names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _share(placed: list[Placed], first: bool) -> str:
    """ "70% of the optimal gain" (the first tier), "24–32%" (the next ones), or the mean gold reward(s) where the
    optimum's estimate is not trusted."""
    gains = [p.gain for p in placed]
    if all(math.isfinite(g) for g in gains):
        low, high = round(min(gains) * 100), round(max(gains) * 100)
        text = f"{low}%" if low == high else f"{low}–{high}%"
        return f"{text} of the optimal gain" if first else text
    low, high = min(p.reward for p in placed), max(p.reward for p in placed)
    return f"gold reward {low:+.3f}" if len(placed) == 1 else f"gold reward {low:+.3f} to {high:+.3f}"


def _inside(tier: list[Placed], pairs: frozenset) -> str:
    """What the paired tests say inside a tier: not separated at all, or which pairs they separate (the better
    first; "some of them" past three)."""
    found = [
        f"{a.algo} > {b.algo}"
        for i, a in enumerate(tier)
        for b in tier[i + 1 :]
        if frozenset((a.algo, b.algo)) in pairs
    ]
    if not found:
        return " (not separated from one another)"
    if len(found) > 3:
        return " (the paired tests separate some of them)"
    return f" (of these the paired tests separate only {', '.join(found)})"


def sentence(budget: Budget, task: str, model: str) -> str:
    """One sentence a reader can quote: the order at this budget in tiers, with their shares of the optimal gain."""
    groups = tiers(budget)
    if not groups:
        return f"On {task} · {model} at KL {budget.k:g}, no algorithm is read on every seed."
    parts = []
    for i, tier in enumerate(groups):
        text = f"{_names([p.algo for p in tier])} {'reaches' if len(tier) == 1 else 'reach'} {_share(tier, i == 0)}"
        if i == 0 and len(groups) > 1:
            text += ", ahead of " + ("every other method" if len(tier) == 1 else "the rest")
        if len(tier) > 1:
            text += _inside(tier, budget.pairs)
        parts.append(text)
    unread = f"; not read on every seed: {', '.join(sorted(budget.unread))}" if budget.unread else ""
    nats = "nat" if budget.k == 1 else "nats"
    head = f"On {task} · {model} over {budget.seeds} seeds, at a KL budget of {budget.k:g} {nats}: "
    return head + "; then ".join(parts) + unread + "."


def order_text(budget: Budget) -> str:
    """``a 70% (a) > b 32% (b) ≈ c 27% (b)``: the ranked algorithms with their shares (mean rewards where the
    optimum is not trusted) and letters, joined by > (separated) or ≈ (not)."""
    if not budget.ranked:
        return "no algorithm read on every seed"
    text = ""
    for i, p in enumerate(budget.ranked):
        value = f"{p.gain:.0%}" if math.isfinite(p.gain) else f"{p.reward:+.3f}"
        if i:
            text += f" {SEPARATED if budget.separated[i - 1] else TIED} "
        text += f"{p.algo} {value} ({p.letters})"
    return text


def pick(budgets: list[Budget]) -> Budget:
    """The budget the sentence speaks of: the most algorithms ranked, the middle budget on a tie."""
    middle = len(budgets) // 2
    return max(budgets, key=lambda b: (len(b.ranked), -abs(budgets.index(b) - middle)))


COLUMNS = ("KL (nats)", "best first: share of the optimal gain (letters)", "not read on every seed", "seeds", "detects")
LEGEND = (
    f"`>`: the Holm-corrected paired t-test at {ALPHA:g} separates the neighbours; `≈`: it does not; letters: "
    "two algorithms that share one are not separated. Share of the optimal gain: (R − R_sft) / (R* − R_sft) "
    "at the budget; a signed number is the mean gold reward where the optimum's estimate is not trusted. "
    "Not read on every seed: with the seeds read. Seeds: those a pair shares (the median pair). Detects: the true "
    f"gold-reward difference a paired test over those seeds detects with {POWER:.0%} power (before the Holm "
    "correction)."
)


def cells(budget: Budget) -> list[str]:
    """One budget's row of the verdict table (COLUMNS), as text."""
    unread = ", ".join(f"{a} ({n}/{budget.seeds})" for a, n in sorted(budget.unread.items()))
    mdd = "-" if math.isnan(budget.mdd) else f"{budget.mdd:.3f}"
    return [f"{budget.k:g}", order_text(budget), unread or "-", str(budget.pair_seeds), mdd]


def budgets_of(headline: Headline) -> list[Budget]:
    """The verdict at each of the headline's budgets."""
    return [budget_verdict(headline, k) for k in headline.budgets]


def markdown(headline: Headline, task: str, model: str) -> str:
    """The verdict of one board as Markdown: the sentence (a quote), a table of the budgets, a legend."""
    budgets = budgets_of(headline)
    if not budgets or not len(headline.rows):
        return ""
    rows = [f"| {' | '.join(table_cell(c) for c in cells(b))} |" for b in budgets]
    table = "\n".join([f"| {' | '.join(COLUMNS)} |", "|---" * len(COLUMNS) + "|", *rows])
    quote = sentence(pick(budgets), task, model)
    return f"**Verdict · {table_cell(task)} · {table_cell(model)}**\n\n> {table_cell(quote)}\n\n{table}\n\n{LEGEND}\n"


def quotes(boards) -> list[str]:
    """Each board's sentence (boards without a headline have none)."""
    out = []
    for b in boards:
        if b.headline is not None and len(b.headline.rows):
            out.append(sentence(pick(budgets_of(b.headline)), b.task, b.model))
    return out


def board_markdown(boards) -> str:
    """Every board's verdict, one after the other (boards without a headline have none)."""
    parts = [markdown(b.headline, b.task, b.model) for b in boards if b.headline is not None]
    return "\n".join(p for p in parts if p)


def between_markers(text: str, markers: tuple[str, str] = (START, END)) -> str:
    """The text between two marker lines of a file (by default the verdict's, in the README), stripped; ValueError
    without them."""
    first, last = markers
    start, end = text.find(first), text.find(last)
    if start < 0 or end < start:
        raise ValueError(f"no {first} … {last} block")
    return text[start + len(first) : end].strip()


def replace_between_markers(text: str, block: str, markers: tuple[str, str] = (START, END)) -> str:
    """``text`` with what lies between the two marker lines replaced by ``block``."""
    first, last = markers
    start, end = text.find(first), text.find(last)
    if start < 0 or end < start:
        raise ValueError(f"no {first} … {last} block")
    return f"{text[: start + len(first)]}\n{block.strip()}\n{text[end:]}"
