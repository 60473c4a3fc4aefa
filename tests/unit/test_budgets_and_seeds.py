"""What makes cells comparable, checked through the real pipeline on the tiny task: the offline adapters take the
same optimizer steps under one budget, a seed is a different run (its own data and, for KTO too, its own order),
and a completion cut at the length limit scores the task's floor."""

from __future__ import annotations

import pobench.algorithms  # noqa: F401  (registers the adapters before pobench.kit.trl_support, which they import, is loaded)
import pytest
from pobench.kit.preference import UNPAIRED, write_jsonl
from pobench.tasks import make_task

PAIRS, BATCH = 64, 8
# data_pairs above PAIRS: a sampled pair whose two completions are equal is dropped, and PAIRS must remain


def test_kto_reads_the_same_rows_in_an_order_drawn_by_the_seed(tmp_path):
    """TRL's KTOTrainer reads its rows in order (its KL estimate pairs neighbours), so the seed must reorder them
    itself: with the same data (a preference file is the same for every seed), two seeds see other batches."""
    from types import SimpleNamespace

    from pobench.core.settings import Budget
    from pobench.kit.trl_support import unpaired_dataset

    rows = [{"prompt": f"p{i}", "completion": f" c{i}{label}", "label": label} for i in range(16) for label in (1, 0)]
    write_jsonl(tmp_path / UNPAIRED, [{**r, "label": bool(r["label"])} for r in rows])
    orders = []
    for seed in (0, 1, 0):
        ctx = SimpleNamespace(data_dir=tmp_path, budget=Budget(train_examples=12), seed=seed)
        got = unpaired_dataset(ctx).to_list()
        assert len(got) == 24 and {r["prompt"] for r in got} == {f"p{i}" for i in range(12)}  # the first 12 pairs
        assert sorted(map(repr, got)) == sorted(map(repr, ({**r, "label": bool(r["label"])} for r in rows[:24])))
        assert all(a["prompt"] != b["prompt"] for a, b in zip(got, got[1:]))  # KL pairs are mismatched
        assert [r["label"] for r in got] == [i % 2 == 0 for i in range(12)] + [i % 2 == 1 for i in range(12)]
        orders.append([(r["prompt"], r["label"]) for r in got])
    assert orders[0] != orders[1] and orders[0] == orders[2]


def test_a_completion_cut_at_the_length_limit_scores_the_task_floor():
    """VADER by hand: " great fun ." sums valences great 3.1 + fun 2.3 = 5.4, compound 5.4 / sqrt(5.4² + 15)."""
    sentiment = make_task("sentiment")
    prompts = ["the plot was"] * 4
    completions = [" great fun .", " great fun .", " dull and boring .", " dull and boring ."]
    uncut = 5.4 / (5.4**2 + 15) ** 0.5
    assert sentiment.gold_reward(prompts, completions)[0] == pytest.approx(uncut, abs=5e-5)  # VADER rounds to 4 places
    assert sentiment.gold(prompts, completions, [False, True, False, True]) == [
        0.8126,
        sentiment.truncated_gold,
        -0.6124,
        sentiment.truncated_gold,
    ]
    assert sentiment.truncated_gold == -1.0
    # the raters see the floor too
    assert sentiment.labeler(prompts[:2], completions[:2], [False, True]) == [0.8126, -1.0]

    arithmetic = make_task("arithmetic")
    assert arithmetic.truncated_gold == 0.0
    assert arithmetic.gold(["3+4="] * 4, [" 7", " 7", " 8", " 8"], [False, True, False, True]) == [1.0, 0.0, 0.0, 0.0]
    with pytest.raises(ValueError, match="truncation flags"):
        sentiment.gold(prompts, completions, [False])
