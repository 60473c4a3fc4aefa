"""Do two runs of the same benchmark reach the same conclusions? (another machine, another thread count)

    pobench compare RESULTS_A RESULTS_B

Floats differ between CPU models and thread counts (another reduction order), and a policy sampled
from other floats draws other tokens, so two machines never give the same records. What must hold is
the conclusion: for every algorithm and KL budget of the headline, the two runs' 95% intervals
overlap, and no pair of algorithms that one run separates (one interval entirely above the other, or
its paired, Holm-corrected test: the headline's ranks) comes out in the opposite order in the other run.
This prints both headlines side by side and every disagreement, and exits 1 if there is one; it also lists
the budgets one run reads on every seed and the other does not (not a disagreement: a measurement of
whether two machines read the same budgets).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from pobench.core.params import SettingsError
from pobench.core.record import read_records
from pobench.reports.headline import Headline, to_markdown
from pobench.reports.leaderboard import Board, build_boards


def disagreements(a: pd.DataFrame, b: pd.DataFrame, budgets: Sequence[float]) -> list[str]:
    """What two headline tables (pobench.reports.headline rows, by algorithm) disagree on; [] when they agree."""
    out = []
    for k in budgets:
        r, lo, hi = f"reward@{k:g}", f"low@{k:g}", f"high@{k:g}"
        both = [x for x in a.index if x in b.index and not (math.isnan(a.loc[x, r]) or math.isnan(b.loc[x, r]))]
        for x in both:
            if a.loc[x, hi] < b.loc[x, lo] or b.loc[x, hi] < a.loc[x, lo]:
                out.append(
                    f"KL {k:g}, {x}: intervals do not overlap ({a.loc[x, lo]:+.3f}, {a.loc[x, hi]:+.3f}) vs "
                    f"({b.loc[x, lo]:+.3f}, {b.loc[x, hi]:+.3f})"
                )
        for one, other, name in ((a, b, "A"), (b, a, "B")):
            for x in both:
                for y in both:
                    if one.loc[x, lo] > one.loc[y, hi] and other.loc[x, r] < other.loc[y, r]:
                        out.append(f"KL {k:g}: run {name} separates {x} above {y}, the other run has {y} above {x}")
    return sorted(set(out))


def paired_flips(a: Headline, b: Headline) -> list[str]:
    """Pairs one run's paired, Holm-corrected test separates (the headline's ranks) that come out the other way
    round in the other run's mean differences, at every budget both have; [] when none does."""
    out = []
    for one, other, name in ((a, b, "A"), (b, a, "B")):
        for k in one.budgets:
            theirs = {(c.a, c.b): c.mean for c in other.comparisons.get(k, [])}
            theirs |= {(y, x): -d for (x, y), d in theirs.items()}
            for c in one.comparisons.get(k, []):
                winner = c.winner()
                loser = c.b if winner == c.a else c.a
                if winner and theirs.get((winner, loser), 0.0) < 0:
                    out.append(f"KL {k:g}: run {name}'s paired test puts {winner} above {loser}, the other run below")
    return sorted(set(out))


def reading_gaps(a: Headline, b: Headline) -> list[str]:
    """Algorithms and budgets that one run reads on every seed and the other does not (how many seeds read):
    with the extra cells, two machines should read the same budgets."""
    out = []
    rows = {name: h.rows.set_index("algo") for name, h in (("A", a), ("B", b)) if len(h.rows)}
    if len(rows) < 2:
        return out
    for k in a.budgets:
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
    """Print the headlines of the results folders ``a`` and ``b`` side by side, then every disagreement and every
    budget one run reads on every seed and the other does not; 1 if they disagree, else 0. A folder load_board
    refuses is a SettingsError before anything prints."""
    boards = {"A": load_board(a), "B": load_board(b)}
    for name, folder in (("A", a), ("B", b)):
        machines = sorted({r.environment.get("device_name", "?") for r in boards[name].records})
        print(f"## run {name}: {folder} ({'; '.join(machines)})\n\n{to_markdown(boards[name].headline)}")
    if boards["A"].key != boards["B"].key:
        print(f"note: the comparability keys differ ({boards['A'].key} vs {boards['B'].key})")
    budgets = boards["A"].headline.budgets
    problems = disagreements(
        boards["A"].headline.rows.set_index("algo"), boards["B"].headline.rows.set_index("algo"), budgets
    )
    problems += paired_flips(boards["A"].headline, boards["B"].headline)
    for line in problems:
        print(f"DISAGREE {line}")
    for line in reading_gaps(boards["A"].headline, boards["B"].headline):
        print(f"budget {line}")
    print("the two runs agree within their intervals" if not problems else f"{len(problems)} disagreement(s)")
    return 1 if problems else 0
