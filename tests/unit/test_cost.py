"""Training compute beside the rewards: the headline's cost per budget, the leaderboard's proxy, implicit accuracy
and FLOPs columns, the two new plots (written only where the records hold what they show), and the outputs of
older records."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from pobench.core.record import RunRecord
from pobench.reports.leaderboard import build_boards, display_rows, to_csv, to_markdown
from pobench.reports.plots import compute_figure, plot_files, proxy_figure
from pobench.reports.proxy import flops_text, flops_within
from pobench.reports.publish import write_outputs

from tests.helpers import knob_record

PNG = b"\x89PNG"


def cell(algo, seed, kl, gold, beta=0.1, new=True) -> RunRecord:
    metrics = {"eval/kl": kl, "eval/reward": gold, "eval/length": 10.0, "eval/truncation_rate": 0.0,
               "eval/win_rate": 0.5, "perf/train_tokens_per_s": 100.0, "perf/train_time_s": 2.0}  # fmt: skip
    if new:
        metrics.update({"eval/proxy_reward": gold + 0.1 * kl, "perf/train_flops": 1e12 / beta})
        if algo == "dpo":
            metrics["eval/implicit_accuracy"] = 0.6 + seed / 10
    return knob_record(algo, seed, metrics, beta)


def records(new=True) -> list[RunRecord]:
    out = [cell("sft", s, 0.0, 0.1, new=new) for s in (0, 1)]
    for s in (0, 1):
        out += [cell("dpo", s, 0.5, 0.2, beta=1.0, new=new), cell("dpo", s, 2.0, 0.3 + s / 10, beta=0.1, new=new)]
        out += [cell("ppo", s, 0.5, 0.25, beta=0.5, new=new), cell("ppo", s, 8.0, 0.5, beta=0.05, new=new)]
    return out


def test_flops_are_shown_with_two_figures_and_a_power_of_ten():
    assert [flops_text(v) for v in (2.1e12, 2.14e12, 9.96e12, 1e9, 123.0)] == [
        "2.1e12", "2.1e12", "1.0e13", "1.0e9", "1.2e2"]  # fmt: skip
    assert [flops_text(v) for v in (math.nan, -1.0, math.inf)] == ["-"] * 3
    assert flops_text(0.0) == "0"  # a method that trains nothing (best-of-n)


def test_a_method_that_trains_nothing_costs_zero_at_every_budget():
    cells = [(0.2, 0.2, 0.2, 0.0), (1.2, 0.4, 0.4, 0.0), (4.5, 0.5, 0.45, 0.0)]  # (KL, gold, proxy, FLOPs)
    assert [flops_within(cells, k) for k in (0.25, 1.0, 4.0)] == [0.0, 0.0, 0.0]
    assert math.isnan(flops_within([(0.2, 0.2, 0.2, 0.0), (1.2, 0.4, 0.4, 1e12)], 0.5))  # log of 0: no reading


def test_the_cost_of_a_reading_per_budget():
    (board,) = build_boards(records())
    rows = board.headline.rows.set_index("algo")
    # dpo at KL 1: between (0.5, 1e12) and (2, 1e13) at t = log 2/log 4 = 0.5 → √(1e12·1e13) = 3.162e12, both seeds
    assert rows.loc["dpo", "flops@1"] == pytest.approx(math.sqrt(1e25))
    # ppo at KL 4: between (0.5, 2e12) and (8, 2e13) at t = log 8/log 16 = 0.75 → 2e12·10^0.75 = 1.1247e13
    assert rows.loc["ppo", "flops@4"] == pytest.approx(2e12 * 10**0.75)
    # dpo's grid ends at KL 2 < 4: no reading, no cost
    assert math.isnan(rows.loc["dpo", "flops@4"])
    text = to_markdown([board])
    proxy = text[text.index("**Proxy and cost at matched KL**") :]
    assert "3.2e12" in next(line for line in proxy.splitlines() if line.startswith("| dpo"))


def test_the_leaderboard_table_carries_proxy_implicit_accuracy_and_flops():
    (board,) = build_boards(records())
    rows = board.rows.set_index("label")
    dpo = rows.loc["dpo"]  # beta 0.1, the default: its label is the bare name
    # proxy = gold + 0.1·KL: seeds 0.3 + 0.2 and 0.4 + 0.2 → 0.55; implicit accuracy 0.6, 0.7 → 0.65; 1e12/0.1
    assert (dpo["proxy_reward_mean"], dpo["implicit_accuracy_mean"], dpo["train_flops_mean"]) == (
        pytest.approx(0.55), pytest.approx(0.65), pytest.approx(1e13))  # fmt: skip
    assert board.rows[board.rows["algo"] == "ppo"]["implicit_accuracy_mean"].isna().all()  # not of the DPO family
    shown = {r["algorithm"].split(" ◆")[0]: r for r in display_rows(board.rows)}
    assert (shown["dpo"]["proxy reward"], shown["dpo"]["implicit acc."], shown["dpo"]["train FLOPs"]) == (
        "+0.550", "0.650", "1.0e13")  # fmt: skip
    assert shown["ppo"]["implicit acc."] == "-"
    frame = pd.read_csv(__import__("io").StringIO(to_csv([board])))
    assert {"proxy_reward_mean", "proxy_reward_low", "proxy_reward_high", "implicit_accuracy_mean",
            "train_flops_mean"} <= set(frame.columns)  # fmt: skip


def test_the_new_plots_are_drawn_where_the_records_hold_them():
    (board,) = build_boards(records())
    files = plot_files(board)
    assert sorted(name.split("-")[0] for name in files) == ["frontier", "headline", "proxy_vs_kl", "reward_vs_compute"]
    assert all(png.startswith(PNG) for png in files.values())
    (old,) = build_boards(records(new=False))
    assert proxy_figure(old) is None and compute_figure(old) is None
    assert sorted(name.split("-")[0] for name in plot_files(old)) == ["frontier", "headline"]


def test_older_records_rebuild_with_dashes_in_the_new_columns(tmp_path):
    written = write_outputs(tmp_path, records(new=False))
    assert not any(name.startswith(("proxy_vs_kl", "reward_vs_compute")) for name in written)
    headline = pd.read_csv(written["headline.csv"])
    assert headline[["proxy@1", "gap@1", "flops@1", "overopt_kl", "gao_proxy_alpha"]].isna().all().all()
    assert headline.set_index("algo").loc["ppo", "gao_seeds"] == 2  # gold alone is fitted
    board = pd.read_csv(written["leaderboard.csv"])
    assert board[["proxy_reward_mean", "implicit_accuracy_mean", "train_flops_mean"]].isna().all().all()
    text = written["leaderboard.md"].read_text()
    assert "**Proxy and cost at matched KL**" in text and "**Gao et al. (2023) fits: a reading aid**" in text
    page = written["leaderboard.html"].read_text()
    assert '<table class="proxy">' in page and '<table class="gao">' in page
