"""Preference data: completions sampled on-policy from the SFT model, labelled by a labeler.

Written as ``pairs.jsonl`` (prompt, chosen, rejected, and the gold scores for analysis) and
``unpaired.jsonl`` (prompt, completion, label: the same pairs split for KTO) and ``alone.jsonl`` (prompt, completion,
label: one completion of each pair labelled on its own, for KTO with ``labels=alone``). The files are
plain JSON lines in a fixed order, so the same inputs give the same bytes.
"""

from __future__ import annotations

import json
from pathlib import Path

from pobench.contracts.task import Task
from pobench.core.generation import sample
from pobench.core.hashing import content_hash
from pobench.core.labeling import alone_labels, bradley_terry_labels
from pobench.core.settings import DataSettings

PAIRS, UNPAIRED, ALONE = "pairs.jsonl", "unpaired.jsonl", "alone.jsonl"
DATA_FILES = 3  # files a data artifact holds: part of its cache key, so an artifact from before alone.jsonl rebuilds


def draw_seed(data_seed: int, seed: int) -> int:
    """The seed of one cell's preference data: a new draw of completions and labels for every cell seed."""
    return int(content_hash({"data_seed": data_seed, "seed": seed})[:8], 16)


def build_pairs(
    model, tokenizer, task: Task, settings: DataSettings, folder: Path, seed: int = 0, batch_size: int = 128
) -> dict:
    """Pairs for the cell seed ``seed``: completions sampled from the SFT model and labelled, both drawn with
    ``draw_seed(settings.data_seed, seed)``, so seeds differ in their data as two real labelling runs would."""
    rng_seed = draw_seed(settings.data_seed, seed)
    train_prompts = task.train_prompts()
    if not train_prompts:
        raise ValueError(f"task {task.name!r} has no train prompts: nothing to make preference pairs from")
    prompts = [train_prompts[i % len(train_prompts)] for i in range(settings.data_pairs)]
    drawn = sample(
        model,
        tokenizer,
        prompts,
        k=2,
        max_new_tokens=task.max_new_tokens,
        seed=rng_seed,
        batch_size=batch_size,
    )
    a_texts, b_texts = drawn.texts[0::2], drawn.texts[1::2]
    repeated = [p for p in prompts for _ in range(2)]
    gold = task.gold(repeated, drawn.texts, drawn.truncated)
    gold_a, gold_b = gold[0::2], gold[1::2]
    rater = task.labeler(repeated, drawn.texts, drawn.truncated)  # gold, unless the task's raters are biased
    a_wins = bradley_terry_labels(rater[0::2], rater[1::2], settings.labeler_temperature, seed=rng_seed)
    # the same rater judging each first draw alone, against the median first draw, on a stream of its own
    a_good = alone_labels(rater[0::2], settings.labeler_temperature, seed=rng_seed + 1)
    pairs, alone, identical = [], [], 0
    for prompt, a, b, ga, gb, a_won, good in zip(
        prompts, a_texts, b_texts, gold_a, gold_b, a_wins, a_good, strict=True
    ):
        if a == b:  # no preference signal in a pair of equal texts
            identical += 1
            continue
        # one label per pair, on a completion drawn independently of the pair's label (its first draw)
        alone.append({"prompt": prompt, "completion": a, "label": good})
        chosen, rejected, g_chosen, g_rejected = (a, b, ga, gb) if a_won else (b, a, gb, ga)
        pairs.append(
            {
                "prompt": prompt,
                "chosen": chosen,
                "rejected": rejected,
                "gold_chosen": g_chosen,
                "gold_rejected": g_rejected,
            }
        )
    if not pairs:
        raise ValueError(f"task {task.name!r}: every sampled pair was identical; no preference data")
    write_jsonl(folder / PAIRS, pairs)
    write_jsonl(folder / UNPAIRED, unpaired_view(pairs))
    write_jsonl(folder / ALONE, alone)
    agree = sum((p["gold_chosen"] > p["gold_rejected"]) for p in pairs)
    ties = sum((p["gold_chosen"] == p["gold_rejected"]) for p in pairs)
    return {
        "pairs": len(pairs),
        "identical_dropped": identical,
        "labeler_agrees_with_gold": round(agree / len(pairs), 4),
        "gold_ties": round(ties / len(pairs), 4),
        "alone_desirable": round(sum(r["label"] for r in alone) / len(alone), 4),
    }


def write_given_rows(task: Task, rows: list[dict], folder: Path) -> dict:
    """A preference file's rows (``task.preference_rows()``) as pobench's data: pairs (and their unpaired view),
    or unpaired rows only."""
    if task.kind == "paired":
        write_jsonl(folder / PAIRS, rows)
        write_jsonl(folder / UNPAIRED, unpaired_view(rows))
    else:
        write_jsonl(folder / PAIRS, [])
        write_jsonl(folder / UNPAIRED, [{k: r[k] for k in ("prompt", "completion", "label")} for r in rows])
    return {"rows": len(rows), "kind": task.kind, "source": task.source}


def unpaired_view(pairs: list[dict]) -> list[dict]:
    """Each pair as two unpaired examples: the chosen one desirable, the rejected one not."""
    out = []
    for p in pairs:
        out.append({"prompt": p["prompt"], "completion": p["chosen"], "label": True})
        out.append({"prompt": p["prompt"], "completion": p["rejected"], "label": False})
    return out


def write_jsonl(path: Path, rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, sort_keys=True, ensure_ascii=False) + "\n")


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]
