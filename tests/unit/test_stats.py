"""Leaderboard statistics on numbers worked by hand: Student-t intervals, the Pareto frontier, tie-aware ranks,
flagged rows, tables."""

from __future__ import annotations

import csv
import io
import math

import pytest
from pobench.reports.frontier import on_envelope
from pobench.reports.leaderboard import build_boards, to_csv, to_markdown

from tests.helpers import hand_made_records, record


def approx6(x: float):
    return pytest.approx(x, abs=1e-6)


def test_the_pareto_front_is_the_envelope_with_ties_kept():
    # (reward, KL): A(1, 1) B(2, 2) C(1.5, 3) D = B again, E has no reward
    rewards, kls = [1, 2, 1.5, 2, math.nan], [1, 2, 3, 2, 1]
    # C is dominated by B (more reward, less KL); B and D tie and neither dominates the other
    assert on_envelope(rewards, kls) == [True, True, False, True, False]
    assert on_envelope([0.5], [0.0]) == [True]
    # A(1, 1), B(1, 0.5): B has as much reward at less KL, so A is dominated; F has infinite KL
    assert on_envelope([1, 1, 3], [1, 0.5, math.inf]) == [False, True, False]


def test_leaderboard_rows_by_hand():
    boards = build_boards(hand_made_records())
    assert [b.key for b in boards] == ["K1", "K2"]
    rows = boards[0].rows.set_index("algo")
    # ranked rows first (dpo alone), then the unranked: unflagged by mean reward (tie: lower KL first), then the rows
    # with a failed seed
    assert list(boards[0].rows["algo"]) == ["dpo", "sft", "cpo", "ipo", "kto"]
    # dpo rewards 0.3, 0.4, 0.5: mean 0.4, sd 0.1, se 0.1/√3 = 0.057735; t_{2,0.975} = 4.302653 → ± 0.248414
    assert rows.loc["dpo", "reward_mean"] == pytest.approx(0.4)
    assert (rows.loc["dpo", "reward_low"], rows.loc["dpo", "reward_high"]) == (approx6(0.151586), approx6(0.648414))
    # KL 1, 2, 3: mean 2, sd 1 → 2 ± 4.302653/√3 = ± 2.484138 → (−0.484138, 4.484138), cut at KL's floor of 0
    assert (rows.loc["dpo", "kl_low"], rows.loc["dpo", "kl_high"]) == (0.0, approx6(4.484138))
    assert rows.loc["ipo", "seeds"] == 2 and rows.loc["ipo", "status"] == "2 ok, 1 diverged"
    assert rows.loc["ipo", "flagged"] and math.isnan(rows.loc["ipo", "rank"])  # counted, shown, never ranked
    assert math.isnan(rows.loc["cpo", "reward_low"])  # one seed: no interval
    assert rows.loc["kto", "seeds"] == 0 and math.isnan(rows.loc["kto", "rank"])
    # ranks: only rows read ok on as many seeds as the best-read row (dpo, 3) are ranked: sft (2 seeds) and cpo
    # (one) are not, so dpo ranks 1 alone
    assert rows.loc["dpo", "rank"] == 1 and math.isnan(rows.loc["sft", "rank"]) and math.isnan(rows.loc["cpo", "rank"])
    # frontier on row means (reward, KL): dpo (0.4, 2), ipo (0.2, 0.5), sft (0.1, 0); cpo (0.1, 5) is dominated
    assert rows["frontier"].to_dict() == {"dpo": True, "ipo": True, "sft": True, "cpo": False, "kto": False}
    assert list(boards[1].rows["algo"]) == ["dpo"] and boards[1].rows["reward_mean"].iloc[0] == 0.9


def test_hyperparameters_make_separate_rows():
    records = [record("dpo", 0, 0.3, 1.0, hparams={"beta": 0.1}), record("dpo", 0, 0.5, 4.0, hparams={"beta": 0.5})]
    rows = build_boards(records)[0].rows
    assert len(rows) == 2 and list(rows["reward_mean"]) == [0.5, 0.3]


def test_markdown_and_csv_show_the_same_numbers():
    boards = build_boards(hand_made_records())
    text = to_markdown(boards)
    assert "comparability key K1" in text and "comparability key K2" in text
    detail = text[text.index("### ") :]  # the boards, after the verdicts (whose rows also start with a number)
    dpo_line = next(line for line in detail.splitlines() if line.startswith("| 1 ") and "dpo" in line)
    assert "dpo ◆" in dpo_line and "+0.400 (+0.152, +0.648)" in dpo_line and "2.00 (0.00, 4.48)" in dpo_line
    assert "| -    | sft ◆" in text and "| -    | cpo " in text  # read on 2 and 1 of the table's 3 seeds: no rank
    assert "| -    | ipo ◆ ⚠" in text and "| -    | kto ⚠" in text and "1 failed" in text
    rows = list(csv.DictReader(io.StringIO(to_csv(boards))))
    assert len(rows) == 6 and rows[0]["comparability_key"] == "K1" and rows[0]["algo"] == "dpo"
    assert float(rows[0]["reward_low"]) == approx6(0.151586) and float(rows[0]["reward_high"]) == approx6(0.648414)
    assert rows[0]["frontier"] == "True" and rows[2]["frontier"] == "False"
