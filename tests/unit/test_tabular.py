"""The tabular LM: prefix codes by hand, an exact copy of a neural model's distribution at start, saved and loaded
like any model, sampled through ``generate``, and a gradient that moves only the rows a batch visits."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import torch
from pobench.core.enumeration import leaf_log_probs, leaves
from pobench.core.generation import sample
from pobench.core.models import load_model
from pobench.core.tabular import UNKNOWN, code_of, model_classes, prefix_codes, tabulate, tree_prefixes

from tests.helpers import word_level_llama

PROMPTS = ["go", "red"]
DEPTH = 3


def test_prefix_codes_by_hand_whatever_the_padding_side():
    ids = torch.tensor([[1, 2, 0], [0, 1, 2]])
    mask = torch.tensor([[1, 1, 0], [0, 1, 1]])  # the same prefix, right- then left-padded
    # base V + 1 = 4, a digit per token of token + 1: (1) → 2, (1, 2) → 2·4 + 3 = 11
    assert prefix_codes(ids, mask, vocab_size=3, max_prefix=8).tolist() == [[2, 11, UNKNOWN], [UNKNOWN, 2, 11]]
    assert code_of([1, 2], 3) == 11 and code_of([0], 3) == 1  # token 0 is a digit 1: (0) and () differ
    # past max_prefix real tokens a prefix has no code
    assert prefix_codes(ids, torch.ones_like(ids), 3, max_prefix=2).tolist() == [[2, 11, UNKNOWN], [1, 6, UNKNOWN]]


@pytest.fixture(scope="module")
def neural_and_table(tmp_path_factory):
    neural, tokenizer = word_level_llama(tmp_path_factory.mktemp("wordlevel"))
    return neural, tabulate(neural, tokenizer, PROMPTS, DEPTH), tokenizer


def test_the_table_has_a_row_per_internal_node_and_starts_as_the_neural_distribution(neural_and_table):
    neural, table, tok = neural_and_table
    others = len(tok) - 1
    assert table.config.num_rows == len(PROMPTS) * sum(others**d for d in range(DEPTH))  # 2 × (1 + 6 + 36)
    assert len(tree_prefixes(tok, PROMPTS, DEPTH)) == table.config.num_rows
    for prompt in PROMPTS:
        exact, copied = leaf_log_probs(neural, tok, prompt, DEPTH), leaf_log_probs(table, tok, prompt, DEPTH)
        assert np.abs(np.exp(exact) - np.exp(copied)).sum() < 1e-6  # TV × 2, over all 259 responses


def test_saved_and_loaded_like_any_model_and_sampled_through_generate(neural_and_table, tmp_path):
    neural, table, tok = neural_and_table
    table.save_pretrained(tmp_path)
    tok.save_pretrained(tmp_path)
    loaded = load_model(tmp_path)
    assert isinstance(loaded, model_classes()[1])
    assert np.array_equal(leaf_log_probs(loaded, tok, "go", DEPTH), leaf_log_probs(table, tok, "go", DEPTH))
    # common noise: the table and the network it copies draw the same responses but for float ties
    a = sample(loaded, tok, PROMPTS, 200, DEPTH, seed=1, batch_size=64, common_noise=True)
    b = sample(neural, tok, PROMPTS, 200, DEPTH, seed=1, batch_size=64, common_noise=True)
    same = sum(x == y for x, y in zip(a.response_ids, b.response_ids))
    assert same >= 0.99 * len(a.response_ids)
    # and ancestral sampling draws the enumerated distribution's likeliest responses at their rates
    drawn = sample(loaded, tok, ["go"], 4000, DEPTH, seed=0, batch_size=1000)
    tree, log_p = leaves(tok, "go", DEPTH), leaf_log_probs(loaded, tok, "go", DEPTH)
    index = {t: i for i, t in enumerate(tree.tokens)}
    for response, n in Counter(tuple(r) for r in drawn.response_ids).most_common(3):
        p = float(np.exp(log_p[index[response]]))
        assert abs(n / 4000 - p) < 4 * np.sqrt(p * (1 - p) / 4000)


def test_a_gradient_moves_only_the_rows_the_batch_visits(neural_and_table):
    _, table, tok = neural_and_table
    prompt = tok("go")["input_ids"]
    red, eos = tok.convert_tokens_to_ids("\u0120red"), tok.eos_token_id
    ids = torch.tensor([prompt + [red, eos]])
    out = table(input_ids=ids, attention_mask=torch.ones_like(ids), labels=ids)
    table.zero_grad()
    out.loss.backward()
    touched = set(torch.nonzero(table.lm_head.weight.grad.T.abs().sum(dim=1)).flatten().tolist())
    rows = table.body.rows(ids, torch.ones_like(ids))[0].tolist()
    # the prompt's own first position has no row; the three after it (go, go red, go red EOS→none) do, but the
    # last position predicts nothing in the loss, and "go red EOS" is past the tree: two rows move
    assert rows[0] == UNKNOWN and rows[-1] == UNKNOWN and touched == {rows[1], rows[2]}


def test_a_critic_on_it_is_a_value_per_prefix(neural_and_table):
    from pobench.algorithms.ppo import Critic

    _, table, tok = neural_and_table
    critic = Critic(table)
    ids = torch.tensor([tok("go red")["input_ids"]])
    values = critic(ids, torch.ones_like(ids))
    assert values.shape == (1, ids.shape[1] - 1)
    values.sum().backward()
    # zero head on one-hot rows: a free value per prefix, the rows of "go" and "go red" moved
    rows = table.body.rows(ids, torch.ones_like(ids))[0, :-1].tolist()  # the states before each action
    assert set(torch.nonzero(critic.head.weight.grad[0]).flatten().tolist()) == {r for r in rows if r != UNKNOWN}
