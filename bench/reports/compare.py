"""What two results folders conclude about the algorithms, side by side, and where they disagree
(``pobench compare A B``).

Two uses, one rule. The same benchmark run twice (another machine, another thread count: floats differ between CPU
models, so the records never match and the conclusions must), and one task on two models (``tiny`` and
``smollm2-135m``: their rewards are on different scales, each model with its own SFT policy and optimum). Each
headline is read on its own terms and the two are put side by side: at every KL budget both have, each algorithm's
reading, its share of the optimal gain over SFT and its paired rank. Then, for every pair of algorithms that both
runs read on every seed, what each run's paired, Holm-corrected test concludes (pobench.reports.headline), and how
the two conclusions relate:

    holds     both runs separate the pair, the same way round
    reverses  both separate it, opposite ways round: the two runs disagree
    A only    run A separates it and run B does not (B's mean difference may still lean either way)
    B only    the other way about
    neither   no test separates it

The disagreement rule is "reverses", and only it: a conclusion one run does not separate is not contradicted by
that run; it is the seeds' resolving power, which each power line states. The command exits 1 if a pair reverses.
What would explain a difference is printed with it, per run: the model, the seeds, the preference pairs and
optimizer steps per seed, the eval samples, how well the seed's reward model (PPO's, best-of-n's, the proxy's)
tracks gold, and the budgets one run reads on every seed and the other does not.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pobench.core.inference import PairedComparison
from pobench.core.params import SettingsError
from pobench.core.record import read_records
from pobench.reports.headline import ALPHA, Headline, display_rows
from pobench.reports.leaderboard import Board, build_boards
from pobench.reports.report import format_table

KINDS = ("holds", "reverses", "A only", "B only", "neither")


@dataclass(frozen=True)
class Conclusion:
    """The pair x, y at one budget: each run's verdict on x − y (">", "<" or "=": not separated) and mean difference."""

    budget: float
    x: str
    y: str
    a: str
    b: str
    mean_a: float
    mean_b: float

    @property
    def kind(self) -> str:
        if self.a != "=" and self.b != "=":
            return "holds" if self.a == self.b else "reverses"
        if self.a != "=":
            return "A only"
        return "B only" if self.b != "=" else "neither"

    @property
    def same_sign(self) -> bool:
        """Do the two runs' mean differences point the same way (a description, not a test)?"""
        return bool(np.sign(self.mean_a) == np.sign(self.mean_b))


def verdict(c: PairedComparison, x: str, alpha: float = ALPHA) -> tuple[str, float]:
    """A comparison of x and another read from x's side: ">" if the Holm-corrected test puts x above, "<" below,
    "=" if it separates nothing; and the mean of x − the other."""
    mean = c.mean if c.a == x else -c.mean
    winner = c.winner(alpha)
    return ("=" if winner is None else ">" if winner == x else "<"), mean


def conclusions(a: Headline, b: Headline, alpha: float = ALPHA) -> list[Conclusion]:
    """Every pair of algorithms both headlines read on every seed, at every budget both have, x before y in run A's
    order (best first at that budget)."""
    out = []
    for k in [k for k in a.budgets if k in b.budgets]:
        col = f"reward@{k:g}"
        read = [set(h.rows.loc[h.rows[col].notna(), "algo"]) for h in (a, b)]
        both = [x for x in a.readings.get(k, {}) if x in read[0] and x in read[1]]
        found = [{frozenset((c.a, c.b)): c for c in h.comparisons.get(k, [])} for h in (a, b)]
        for i, x in enumerate(both):
            for y in both[i + 1 :]:
                pair = frozenset((x, y))
                if pair in found[0] and pair in found[1]:
                    (va, ma), (vb, mb) = verdict(found[0][pair], x, alpha), verdict(found[1][pair], x, alpha)
                    out.append(Conclusion(k, x, y, va, vb, ma, mb))
    return out


def tally(found: list[Conclusion]) -> dict[str, int]:
    """How many conclusions of each kind, and how many pairs the two runs' means order the same way."""
    counts = {kind: sum(c.kind == kind for c in found) for kind in KINDS}
    return {**counts, "pairs": len(found), "same sign": sum(c.same_sign for c in found)}


# -- what would explain a difference ------------------------------------------------------------------------


def context(board: Board) -> dict[str, str]:
    """What a run was measured with: the model, seeds, data and steps per seed, eval samples, and its reward
    models' fit to gold (per seed, then the mean and range over seeds)."""
    records = [r for r in board.records if r.status == "ok"]
    seeds = sorted({r.seed for r in records})
    spec = next((r.spec for r in records if r.algo == "dpo"), records[0].spec if records else {})
    pairs, batch, epochs = (spec.get(key) for key in ("data_pairs", "batch_size", "epochs"))
    steps = "-" if None in (pairs, batch, epochs) else int(pairs) // int(batch) * int(float(epochs))
    out = {
        "model": board.model,
        "seeds": ", ".join(map(str, seeds)),
        "preference pairs per seed": str(pairs or "-"),
        "offline optimizer steps": f"{steps}" + ("" if steps == "-" else f" (batch {batch}, {epochs} epoch)"),
        "eval samples": f"{spec.get('eval_prompts', '-')} prompts × {spec.get('eval_samples', '-')}",
    }
    for metric, label in (
        ("proxy/r2", "reward model R² against gold (reference samples)"),
        ("proxy/heldout_accuracy", "reward model held-out accuracy (labeler)"),
        ("proxy/heldout_gold_accuracy", "reward model held-out accuracy (gold)"),
    ):
        out[label] = _over_seeds(records, metric)
    return out


def _over_seeds(records, metric: str) -> str:
    """The metric's value per seed (every cell of a seed shares its reward model), as 'mean (min–max)'."""
    per_seed = {}
    for r in records:
        value = r.metrics.get(metric)
        if value is not None and math.isfinite(value):
            per_seed.setdefault(r.seed, value)
    if not per_seed:
        return "-"
    values = list(per_seed.values())
    spread = f" ({min(values):.2f}–{max(values):.2f})" if len(values) > 1 else ""
    return f"{np.mean(values):.2f}{spread}"


# -- presentation ------------------------------------------------------------------------------------------


def context_markdown(a: Board, b: Board, folders: tuple[Path, Path]) -> str:
    ca, cb = context(a), context(b)
    rows = [["results folder", str(folders[0]), str(folders[1])]] + [[k, ca[k], cb[k]] for k in ca]
    return format_table(rows, ("", "run A", "run B"))


def side_by_side(a: Headline, b: Headline, k: float) -> str:
    """At budget k: every algorithm either run has, in run A's order, with each run's reading, gain and rank."""
    shown = [dict(zip(h.rows["algo"], display_rows(h))) for h in (a, b)]
    order = list(a.rows["algo"]) + [x for x in b.rows["algo"] if x not in set(a.rows["algo"])]
    order = sorted(order, key=lambda x: -_value(a, x, k))  # a run's reading, best first; unread ones last, stable
    cells = (f"reward @ KL {k:g} (95% CI)", f"gain @{k:g}", f"rank @{k:g}")
    rows = [[x] + [s.get(x, {}).get(c, "-") for s in shown for c in cells] for x in order]
    cols = ("algorithm", "A: reward (95% CI)", "A: gain", "A: rank", "B: reward (95% CI)", "B: gain", "B: rank")
    return format_table(rows, cols)


def _value(h: Headline, algo: str, k: float) -> float:
    row = h.rows.loc[h.rows["algo"] == algo, f"reward@{k:g}"]
    return -math.inf if row.empty or math.isnan(row.iloc[0]) else float(row.iloc[0])


def power_line(a: Headline, b: Headline, k: float) -> str:
    """What each run can resolve at k: the paired difference its seeds detect with 80% power (headline.power)."""
    parts = []
    for name, h in (("A", a), ("B", b)):
        p = h.power.get(k) or {}
        mdd = p.get("mdd", math.nan)
        parts.append(
            f"run {name} cannot test a pair (fewer than 2 seeds shared)"
            if not math.isfinite(mdd)
            else f"run {name} detects a paired difference of {mdd:.3f} "
            f"({p['seeds']} seeds, median sd {p['median_sd']:.3f})"
        )
    return "Resolving power (80%, before Holm): " + "; ".join(parts) + "."


def conclusions_markdown(found: list[Conclusion], k: float) -> str:
    mine = sorted((c for c in found if c.budget == k), key=lambda c: KINDS.index(c.kind))
    if not mine:
        return (
            f"No pair has a paired test in both runs at KL {k:g}: a test needs two algorithms read on every seed, "
            "and at least 2 seeds."
        )
    rows = [
        [
            f"{c.x} − {c.y}",
            f"{c.a} ({c.mean_a:+.3f})",
            f"{c.b} ({c.mean_b:+.3f})",
            c.kind,
            "yes" if c.same_sign else "no",
        ]
        for c in mine
    ]
    table = format_table(rows, ("pair", "run A", "run B", "conclusion", "means agree in sign"))
    return f"{table}\n\n{summary_line(mine, k)}"


def summary_line(found: list[Conclusion], k: float) -> str:
    t = tally(found)
    kinds = ", ".join(f"{kind} {t[kind]}" for kind in KINDS)
    return f"At KL {k:g}, {t['pairs']} pairs read by both: {kinds}; the means agree in sign on {t['same sign']}."


LEGEND = (
    "Run A and run B: each run's own headline (its reading at the budget with its 95% interval, its share of the "
    "optimal gain over its own SFT policy, its paired rank). Conclusions: for every pair both runs read on every "
    "seed, each run's paired t-test on the per-seed differences, Holm-corrected over that run's pairs at the "
    f"budget, at {ALPHA:g}: '>' the first is above, '<' below, '=' not separated (its mean difference in "
    "brackets). holds: both separate the pair the same way round; reverses: opposite ways; A only / B only: one run "
    "separates it; neither: no test does. 'Means agree in sign' describes; it tests nothing. A conclusion one run "
    "does not separate is not contradicted by it: that is the seeds' resolving power (each headline's power line)."
)


def reading_gaps(a: Headline, b: Headline) -> list[str]:
    """Algorithms and budgets that one run reads on every seed and the other does not (how many seeds read):
    with the extra cells, two runs of one benchmark should read the same budgets."""
    out = []
    rows = {name: h.rows.set_index("algo") for name, h in (("A", a), ("B", b)) if len(h.rows)}
    if len(rows) < 2:
        return out
    for k in [k for k in a.budgets if k in b.budgets]:
        col, seeds = f"reached@{k:g}", "seeds"
        for x in rows["A"].index.intersection(rows["B"].index):
            full = {n: rows[n].loc[x, col] == rows[n].loc[x, seeds] for n in rows}
            if full["A"] != full["B"]:
                shown = ", ".join(f"run {n} {rows[n].loc[x, col]}/{rows[n].loc[x, seeds]}" for n in rows)
                out.append(f"KL {k:g}, {x}: read on every seed in one run only ({shown})")
    return out


def load_board(folder: Path) -> Board:
    """The one benchmark (comparability key) whose records a results folder holds. A folder that does not exist,
    or that holds the records of no benchmark or of several, is a SettingsError."""
    if not Path(folder).is_dir():
        raise SettingsError(f"{folder}: no such results folder (give two folders written by `pobench sweep`)")
    found = [x for x in build_boards(read_records(folder)) if x.headline is not None and len(x.headline.rows)]
    if len(found) != 1:
        raise SettingsError(
            f"{folder}: expected the records of one benchmark (one comparability key), found {len(found)}"
        )
    return found[0]


def compare(a: Path, b: Path) -> int:
    """Print what run A's and run B's headlines conclude, side by side, at every budget both have, then every pair
    that reverses; 1 if one does, else 0. A folder load_board refuses is a SettingsError before anything prints."""
    boards = load_board(a), load_board(b)
    ha, hb = boards[0].headline, boards[1].headline
    print(f"## Compare: {boards[0].title} → {boards[1].title}\n")
    if boards[0].task != boards[1].task:
        print(f"note: the tasks differ ({boards[0].task} vs {boards[1].task}); the rewards mean different things\n")
    same = "the same benchmark" if boards[0].key == boards[1].key else "different comparability keys"
    print(f"{same} ({boards[0].key} vs {boards[1].key})\n")
    print(context_markdown(*boards, (a, b)) + "\n")
    shared = [k for k in ha.budgets if k in hb.budgets]
    if not shared:
        print("The two headlines have no KL budget in common: nothing to put side by side.")
        return 0
    found = conclusions(ha, hb)
    for k in shared:
        table, power = side_by_side(ha, hb, k), power_line(ha, hb, k)
        print(f"### KL {k:g}\n\n{table}\n\n{power}\n\n{conclusions_markdown(found, k)}\n")
    print(LEGEND + "\n")
    for line in reading_gaps(ha, hb):
        print(f"budget {line}")
    reversed_ = [c for c in found if c.kind == "reverses"]
    for c in reversed_:
        print(f"DISAGREE KL {c.budget:g}: {c.x} − {c.y} is {c.a} in run A ({c.mean_a:+.3f}), {c.b} in run B "
              f"({c.mean_b:+.3f}), both separated by their paired tests")  # fmt: skip
    print(f"{len(reversed_)} pair(s) reverse: the runs disagree" if reversed_ else "no pair reverses: the runs agree")
    return 1 if reversed_ else 0
