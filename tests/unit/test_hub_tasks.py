"""Public datasets as tasks, on small local files in each dataset's real schema; no test touches the network."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from pobench.tasks import make_task
from pobench.tasks.preference_rows import DataFileError

from tests.helpers import TOPICS, hh_rows, tiny_classifier, write_imdb


def ultrafeedback_rows(n=40):  # HuggingFaceH4/ultrafeedback_binarized: message lists and scores
    rows = []
    for i in range(n):
        question = f"what do you think of {TOPICS[i % 12]} number {i} ?"
        user = {"role": "user", "content": question}
        rows.append(
            {
                "prompt": question,
                "prompt_id": f"id{i}",
                "chosen": [user, {"role": "assistant", "content": "a thoughtful , helpful answer ."}],
                "rejected": [user, {"role": "assistant", "content": "whatever ."}],
                "messages": [user, {"role": "assistant", "content": "a thoughtful , helpful answer ."}],
                "score_chosen": 8.0,
                "score_rejected": 3.0,
            }
        )
    return rows


def tldr_rows(n=40):  # trl-lib/tldr-preference
    return [
        {
            "prompt": f"SUBREDDIT: r/{TOPICS[i % 12]}\nTITLE: post {i}\nPOST: a story about {TOPICS[i % 12]} .\nTL;DR:",
            "chosen": f" a short story about {TOPICS[i % 12]} .",
            "rejected": " stuff happened .",
        }
        for i in range(n)
    ]


def test_hh_rlhf_transcripts_become_prompt_and_last_replies(tmp_path):
    path = tmp_path / "hh.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in hh_rows()))
    task = make_task(f"hh-rlhf:{path}")
    first = task.rows[0]
    assert first["prompt"].endswith("more please\n\nAssistant:") and first["prompt"].startswith("\n\nHuman: tell me")
    assert (first["chosen"], first["rejected"]) == (" it is lovely and kind .", " no .")
    assert task.kind == "paired" and task.name == f"hh-rlhf:{path}" and task.eval_prompts()
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        json.dumps({"chosen": "\n\nHuman: a\n\nAssistant: b", "rejected": "\n\nHuman: c\n\nAssistant: d"}) + "\n"
    )
    with pytest.raises(DataFileError, match="row 1: not in Anthropic/hh-rlhf's schema .*differ before the last"):
        make_task(f"hh-rlhf:{bad}")


def test_ultrafeedback_conversations_are_rendered_and_save_to_disk_copies_load(tmp_path):
    import datasets

    folder = tmp_path / "uf"
    datasets.DatasetDict({"train_prefs": datasets.Dataset.from_list(ultrafeedback_rows())}).save_to_disk(str(folder))
    task = make_task(f"ultrafeedback:{folder}")
    first = task.rows[0]
    assert first["prompt"] == "\n\nHuman: what do you think of tea number 0 ?\n\nAssistant:"
    assert (first["chosen"], first["rejected"]) == ("a thoughtful , helpful answer .", "whatever .")
    assert task.preference_rows()[0]["chosen"].startswith(" ")  # joined to the prompt with a space


def test_tldr_parquet_and_a_gold_reward(monkeypatch, tmp_path):
    path = tmp_path / "tldr.parquet"
    pd.DataFrame(tldr_rows()).to_parquet(path)
    (tmp_path / "short.py").write_text("def score(prompts, completions):\n    return [-len(c) for c in completions]\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    task = make_task(f"tldr:{path}@short:score")
    assert task.has_gold and task.gold_reward(["p"], [" abc"]) == [-4.0]
    assert task.name == f"tldr:{path}@short:score"


def test_offline_hub_dataset_fails_at_once_saying_how_to_pass_a_copy(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(DataFileError, match="looks offline.*--task ultrafeedback:/path/to/copy"):
        make_task("ultrafeedback")
    with pytest.raises(DataFileError, match="classifier 'siebert/sentiment-roberta-large-english' .* offline"):
        make_task(f"imdb:{write_imdb()}")
    with pytest.raises(Exception, match="built in: it takes no :PATH"):
        make_task("sentiment:/tmp/x")


def test_imdb_prompts_corpus_and_classifier_gold(tmp_path):
    data, classifier = write_imdb(), tiny_classifier(tmp_path / "clf")
    task = make_task(f"imdb:{data}@{classifier}")
    train, evaluation = task.train_prompts(), task.eval_prompts()
    assert evaluation and not set(train) & set(evaluation) and len(set(evaluation)) == len(evaluation)
    assert all(2 <= len(p.split()) <= 8 for p in train + evaluation)
    example = task.sft_examples(3, seed=0)[0]
    assert example.completion.startswith(" ") and "<br" not in example.completion
    gold = task.gold_reward(evaluation[:2], [" lovely .", " dull ."])
    assert all(0.0 < g < 1.0 for g in gold)


def test_conversations_go_through_the_model_chat_template(tmp_path):
    import datasets
    from pobench.core.models import load_tokenizer
    from pobench.core.tokenizer import train_bpe_tokenizer

    train_bpe_tokenizer(["hello there"] * 20, 300, tmp_path / "tok")
    tokenizer = load_tokenizer(tmp_path / "tok")
    tokenizer.chat_template = (
        "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}\n{% endfor %}"
        "{% if add_generation_prompt %}<|assistant|>{% endif %}"
    )
    folder = tmp_path / "uf"
    datasets.DatasetDict({"train_prefs": datasets.Dataset.from_list(ultrafeedback_rows())}).save_to_disk(str(folder))
    uf = make_task(f"ultrafeedback:{folder}", chat_tokenizer=tokenizer)
    assert uf.rows[0]["prompt"] == "<|user|>what do you think of tea number 0 ?\n<|assistant|>"
    hh = tmp_path / "hh.jsonl"
    hh.write_text("".join(json.dumps(r) + "\n" for r in hh_rows()))
    task = make_task(f"hh-rlhf:{hh}", chat_tokenizer=tokenizer)
    assert (
        task.rows[0]["prompt"] == "<|user|>tell me about tea 0\n<|assistant|>sure .\n<|user|>more please\n<|assistant|>"
    )
    assert (task.rows[0]["chosen"], task.rows[0]["rejected"]) == ("it is lovely and kind .", "no .")
    assert task.version != make_task(f"hh-rlhf:{hh}").version  # rendered rows differ, so does the version
