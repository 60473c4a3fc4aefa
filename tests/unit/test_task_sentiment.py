from pobench.tasks import TASKS


def task():
    return TASKS.get("sentiment")()


def test_gold_reward_ranks_positive_above_negative():
    positive = [" wonderful and lovely .", " really great , even brilliant .", " so delightful ."]
    negative = [" awful and boring .", " really terrible , even disgusting .", " not good at all ."]
    pos, neg = task().gold_reward(["the plot was"] * 3, positive), task().gold_reward(["the plot was"] * 3, negative)
    assert min(pos) > 0.5 and max(neg) < -0.3


def test_prompt_sets_are_disjoint_and_fixed():
    train, evaluation = task().train_prompts(), task().eval_prompts()
    assert len(evaluation) == 128 and len(train) > 900
    assert not set(train) & set(evaluation)
    assert evaluation == task().eval_prompts()  # fixed by the task version, not by any seed


def test_corpus_is_identical_for_the_same_seed():
    a, b, c = task().sft_examples(500, seed=3), task().sft_examples(500, seed=3), task().sft_examples(500, seed=4)
    assert a == b and a != c
    assert all(e.completion.startswith(" ") and e.prompt in task().train_prompts() for e in a)


def test_corpus_spans_both_signs_with_a_mild_positive_mean():
    examples = task().sft_examples(2000, seed=0)
    gold = task().gold_reward([e.prompt for e in examples], [e.completion for e in examples])
    assert sum(g > 0.05 for g in gold) > 500 and sum(g < -0.05 for g in gold) > 300
    assert 0.0 < sum(gold) / len(gold) < 0.3  # room above the SFT policy for optimization to show


def test_fingerprint_pins_the_lexicon():
    assert len(task().fingerprint_inputs()["lexicon_sha256"]) == 64
