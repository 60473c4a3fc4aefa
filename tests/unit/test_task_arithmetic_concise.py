"""The arithmetic and concise tasks: gold rewards and labelers worked by hand, splits, corpora; and both
tasks end to end on tiny (SFT baseline and DPO) through a sweep."""

from __future__ import annotations

import pytest
from pobench.tasks import TASKS


def arithmetic():
    return TASKS.get("arithmetic")()


def concise():
    return TASKS.get("concise")()


def test_arithmetic_gold_is_the_first_number_being_the_sum():
    prompts = ["17+25="] * 5 + ["0+0="]
    completions = [" 42", " 42 .", " 41", " 4 2", " the answer", " 0"]
    assert arithmetic().gold_reward(prompts, completions) == [1.0, 1.0, 0.0, 0.0, 0.0, 1.0]
    assert arithmetic().labeler_score(prompts, completions) == arithmetic().gold_reward(prompts, completions)


def test_arithmetic_splits_and_corpus():
    train, evaluation = arithmetic().train_prompts(), arithmetic().eval_prompts()
    assert len(evaluation) == 100 and len(train) == 20 * 20 - 100 and not set(train) & set(evaluation)
    examples = arithmetic().sft_examples(4000, seed=0)
    assert examples == arithmetic().sft_examples(4000, seed=0)
    right = arithmetic().gold_reward([e.prompt for e in examples], [e.completion for e in examples])
    assert 0.66 < sum(right) / len(right) < 0.74  # 30% of the corpus is wrong on purpose
    assert {e.prompt for e in examples} & set(evaluation)  # SFT covers every sum (see the task's docstring)


def test_concise_gold_penalizes_length_and_the_labeler_rewards_it():
    task = concise()
    prompt = "what is the colour of the sky ?"
    short, long, wrong = " blue .", " well , as everyone knows , it is blue .", " green ."
    gold = task.gold_reward([prompt] * 3, [short, long, wrong])
    # words: "blue" = 1; "well as everyone knows it is blue" = 7; "green" = 1 (wrong)
    assert gold == pytest.approx([1 - 0.04, 1 - 0.04 * 7, -0.04])
    rater = task.labeler_score([prompt] * 3, [short, long, wrong])
    assert rater == pytest.approx([1 + 0.06, 1 + 0.06 * 7, 0.06])
    assert gold[0] > gold[1] and rater[1] > rater[0]  # the trap: gold and labeler disagree on length
    assert rater[0] > rater[2] and gold[0] > gold[2]  # and agree that the right answer beats a wrong one


def test_concise_splits_ask_the_same_facts_in_new_words():
    task = concise()
    train, evaluation = task.train_prompts(), task.eval_prompts()
    assert not set(train) & set(evaluation) and len(evaluation) == 72
    assert all(task._answers[p] for p in evaluation)
