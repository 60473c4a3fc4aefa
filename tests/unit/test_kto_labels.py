"""KTO on completions labelled alone: the rater, the rows KTO reads, and the settings it refuses."""

from types import SimpleNamespace

import pytest
from pobench.core.labeling import alone_labels
from pobench.core.settings import Budget
from pobench.kit.preference import ALONE, PAIRS, write_jsonl


def test_a_completion_alone_is_good_with_the_probability_of_beating_the_median():
    """Scores 0, 1, 2 at T 1: the median is 1, P(good) = σ(−1), σ(0), σ(1) = 0.269, 0.5, 0.731; random.Random(0)'s
    first draws are 0.844, 0.758, 0.421, so only the last is under its probability."""
    assert alone_labels([0.0, 1.0, 2.0], 1.0, seed=0) == [False, False, True]
    # an even count's median is the mean of the middle two (1.5 here); a sharp rater labels by it alone
    assert alone_labels([2.0, 0.0, 1.0, 5.0], 0.001, seed=3) == [True, False, False, True]
    assert alone_labels([], 0.1, seed=0) == []


def test_about_half_are_good_whatever_the_scores_scale():
    scores = [i / 100 for i in range(1000)]
    share = sum(alone_labels(scores, 0.1, seed=1)) / len(scores)
    assert 0.45 < share < 0.55


def _ctx(tmp_path, seed=0, train_examples=0, desirable_kept=1.0, labels="alone"):
    params = SimpleNamespace(labels=labels, desirable_kept=desirable_kept)
    return SimpleNamespace(data_dir=tmp_path, budget=Budget(train_examples=train_examples), seed=seed, params=params)


def _write(tmp_path, n=20):
    rows = [{"prompt": f"p{i}", "completion": f" c{i}", "label": i % 4 == 0} for i in range(n)]  # 5 of 20 good
    write_jsonl(tmp_path / ALONE, rows)
    write_jsonl(tmp_path / PAIRS, [{"prompt": "p", "chosen": "a", "rejected": "b"}])
    return rows


def test_kto_alone_reads_one_row_a_pair_and_drops_desirable_rows_as_asked(tmp_path):
    from pobench.kit.trl_support import alone_rows, rows_from_pairs

    _write(tmp_path)
    got = alone_rows(_ctx(tmp_path, train_examples=12))
    assert sorted(r["prompt"] for r in got) == sorted(f"p{i}" for i in range(12))  # the first 12: as many as pairs
    assert not rows_from_pairs(_ctx(tmp_path))  # one row a pair: the batch is not doubled, rows count as examples
    # 5 good of 20; keeping 40% keeps the first 2 of them, every bad row stays
    fewer = alone_rows(_ctx(tmp_path, desirable_kept=0.4))
    assert sorted(r["prompt"] for r in fewer if r["label"]) == ["p0", "p4"]
    assert sum(not r["label"] for r in fewer) == 15
    assert len(alone_rows(_ctx(tmp_path, desirable_kept=0.01))) == 16  # at least one good row is kept
    orders = [[r["prompt"] for r in alone_rows(_ctx(tmp_path, seed=s))] for s in (0, 1, 0)]
    assert orders[0] != orders[1] and orders[0] == orders[2]  # KTO reads in order: the seed draws it


def test_kto_alone_without_the_file_says_where_it_comes_from(tmp_path):
    from pobench.kit.trl_support import alone_rows

    with pytest.raises(ValueError, match="labels=alone: .* has no alone.jsonl"):
        alone_rows(_ctx(tmp_path))


@pytest.mark.parametrize(
    ("sets", "task", "match"),
    [
        (["desirable_kept=0.1"], "sentiment", "desirable_kept=0.1 drops desirable rows .* give --set labels=alone"),
        (["labels=alone"], "file", "labels=alone labels sampled completions, and .* gives its preference rows"),
    ],
)
def test_kto_refuses_settings_that_do_not_fit(tmp_path, sets, task, match):
    from pobench.core.params import SettingsError
    from pobench.harness.spec import resolve_spec

    if task == "file":
        path = tmp_path / "prefs.jsonl"
        write_jsonl(path, [{"prompt": f"p{i}", "chosen": " yes", "rejected": " no"} for i in range(4)])
        task = f"file:{path}"
    overrides = dict(s.split("=") for s in sets)
    with pytest.raises(SettingsError, match=match):
        resolve_spec("kto", task, "tiny", 0, overrides)
