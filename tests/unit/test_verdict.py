"""The verdict (bench/reports/verdict.py): its sentence and order line from budgets worked by hand, and on the
committed reference its order and separations agree with the headline's letters. (The README's verdict is checked
against what it generates in tests/unit/test_docs_links.py.)"""

from __future__ import annotations

import math

import pytest
from pobench.reports import verdict
from pobench.reports.cells import table_cell
from pobench.reports.verdict import Budget, Placed


def pair(a: str, b: str) -> frozenset:
    return frozenset((a, b))


def five() -> Budget:
    """a is separated from everyone; b, c from d, e; b ≈ c and d ≈ e."""
    ranked = [Placed("a", 0.5, 0.70, "a"), Placed("b", 0.3, 0.32, "b"), Placed("c", 0.28, 0.24, "b"),
              Placed("d", 0.2, 0.15, "c"), Placed("e", 0.1, 0.06, "c")]  # fmt: skip
    pairs = frozenset(pair(x, y) for x, y in ["ab", "ac", "ad", "ae", "bd", "be", "cd", "ce"])
    return Budget(1.0, ranked, [True, False, True, False], pairs, {"f": 3}, 4, 0.05, 4)


def test_the_sentence_states_the_tiers_with_their_shares():
    assert verdict.sentence(five(), "t", "m") == (
        "On t · m over 4 seeds, at a KL budget of 1 nat: a reaches 70% of the optimal gain, ahead of every other "
        "method; then b and c reach 24–32% (not separated from one another); then d and e reach 6–15% (not "
        "separated from one another); not read on every seed: f."
    )


def test_the_order_line_joins_neighbours_by_their_test():
    assert verdict.order_text(five()) == "a 70% (a) > b 32% (b) ≈ c 24% (b) > d 15% (c) ≈ e 6% (c)"
    assert verdict.cells(five()) == ["1", verdict.order_text(five()), "f (3/4)", "4", "0.050"]


def test_a_tier_whose_ends_are_separated_says_which_pairs():
    # x ≈ y ≈ z by neighbours, but the test separates x from z: the tier may not be called "not separated"
    ranked = [Placed("x", 0.30, math.nan, "a"), Placed("y", 0.25, math.nan, "ab"), Placed("z", 0.20, math.nan, "b")]
    budget = Budget(4.0, ranked, [False, False], frozenset({pair("x", "z")}), {}, 3, math.nan, 3)
    assert verdict.sentence(budget, "t", "m") == (
        "On t · m over 3 seeds, at a KL budget of 4 nats: x, y and z reach gold reward +0.200 to +0.300 (of these "
        "the paired tests separate only x > z)."
    )
    assert verdict.order_text(budget) == "x +0.300 (a) ≈ y +0.250 (ab) ≈ z +0.200 (b)"  # no trusted optimum: rewards
    assert verdict.cells(budget)[-1] == "-"


def test_no_algorithm_read_says_so():
    budget = Budget(4.0, [], [], frozenset(), {"a": 1}, 2, math.nan, 0)
    assert verdict.sentence(budget, "t", "m") == "On t · m at KL 4, no algorithm is read on every seed."
    assert verdict.order_text(budget) == "no algorithm read on every seed"


def test_the_sentence_speaks_of_the_budget_with_most_ranked_the_middle_on_a_tie():
    def with_ranked(k, n):
        return Budget(k, [Placed(str(i), -i, math.nan, "a") for i in range(n)], [False] * max(n - 1, 0),
                      frozenset(), {}, 2, math.nan, 2)  # fmt: skip

    assert verdict.pick([with_ranked(0.25, 3), with_ranked(1, 3), with_ranked(4, 2)]).k == 1
    assert verdict.pick([with_ranked(0.25, 3), with_ranked(1, 2), with_ranked(4, 2)]).k == 0.25


def test_a_pipe_in_a_name_stays_inside_its_markdown_cell():
    assert table_cell("plug|in") == "plug\\|in"


def test_markers_are_found_and_replaced():
    text = f"intro\n{verdict.START}\nold\n{verdict.END}\nrest\n"
    assert verdict.between_markers(text) == "old"
    assert verdict.replace_between_markers(text, "new") == f"intro\n{verdict.START}\nnew\n{verdict.END}\nrest\n"
    with pytest.raises(ValueError, match="pobench:verdict:start"):
        verdict.between_markers("no markers")


def test_the_reference_verdict_agrees_with_its_letters(reference_boards):
    """On the committed reference: ranked best first by mean, and two neighbours joined by > exactly when they
    share no letter (the letters come from the same Holm-corrected tests)."""
    (board,) = reference_boards
    for k in board.headline.budgets:
        budget = verdict.budget_verdict(board.headline, k)
        assert [p.reward for p in budget.ranked] == sorted((p.reward for p in budget.ranked), reverse=True)
        for (a, b), separated in zip(zip(budget.ranked, budget.ranked[1:]), budget.separated):
            assert separated == (not set(a.letters) & set(b.letters)), (k, a, b)
        assert len(budget.ranked) + len(budget.unread) == len(board.headline.rows)


def test_into_writes_between_the_markers_and_names_a_file_without_them(tmp_path):
    from pobench.cli.leaderboard import write_into
    from pobench.core.params import SettingsError

    readme = tmp_path / "README.md"
    readme.write_text(f"# title\n{verdict.START}\nold\n{verdict.END}\nrest\n")
    write_into(readme, "**Verdict**\n")
    assert readme.read_text() == f"# title\n{verdict.START}\n**Verdict**\n{verdict.END}\nrest\n"
    plain = tmp_path / "plain.md"
    plain.write_text("no markers here\n")
    with pytest.raises(SettingsError, match="plain.md.*put the two marker lines"):
        write_into(plain, "**Verdict**\n")
    assert plain.read_text() == "no markers here\n"  # left as it was
