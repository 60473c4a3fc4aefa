"""imdb: continue the opening words of a movie review positively, as in the DPO paper's controlled-sentiment test.

Measures the reward-vs-KL frontier on real text against a learned gold reward: the gold is a
sentiment classifier's probability that prompt + completion is positive (default
``siebert/sentiment-roberta-large-english``, the DPO paper's; any id or local folder after ``@``).
Prompts are the first 2 to 8 words of IMDb reviews (stanfordnlp/imdb, or ``imdb:PATH`` for a local
copy with columns text, label); the SFT corpus continues them with the reviews' own next words.
Preference pairs are sampled from the SFT model and labelled by the Bradley–Terry labeler on the
classifier's score, as for ``sentiment``. One review in ten (by a hash of its text, at most 128) is
held out for evaluation.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import ClassVar

import torch
from pobench.contracts.task import SFTExample, Task
from pobench.core.hashing import content_hash
from pobench.core.models import can_load
from pobench.tasks import register
from pobench.tasks.hub import load_rows
from pobench.tasks.preference_rows import DataFileError

DEFAULT_CLASSIFIER = "siebert/sentiment-roberta-large-english"
MAX_EVAL_PROMPTS = 128
COMPLETION_WORDS = 40
TAG = re.compile(r"<[^>]+>")


@register("imdb")
class IMDb(Task):
    name = "imdb"
    version = "2"  # 2: a completion cut at the length limit scores 0
    description = "continue IMDb review openings positively (or imdb:PATH); gold = sentiment classifier (@ID_OR_PATH)"
    max_new_tokens = 48
    truncated_gold = 0.0
    needs_loading: ClassVar[bool] = True
    dataset_id = "stanfordnlp/imdb"

    def __init__(self, spec: str = "", chat_tokenizer=None) -> None:  # reviews are plain text: no chat template
        where, _, classifier = spec.partition("@")
        self.classifier = classifier or DEFAULT_CLASSIFIER
        self.name = "imdb" + (f":{where}" if where else "") + (f"@{classifier}" if classifier else "")
        rows = load_rows(where or self.dataset_id, "train", self.dataset_id, "imdb")
        texts = []
        for number, row in enumerate(rows, start=1):
            text = row.get("text")
            if not isinstance(text, str) or len(text.split()) < 10:
                raise DataFileError(f"{where or self.dataset_id} row {number}: 'text' must be a review of 10+ words")
            texts.append(" ".join(TAG.sub(" ", text).split()))
        self.reviews = texts
        self._check_classifier()
        self.version = "2-" + content_hash({"reviews": texts, "classifier": self.classifier}, length=10)

    def _check_classifier(self) -> None:
        if not can_load(self.classifier):
            raise DataFileError(
                f"sentiment classifier {self.classifier!r} is not a local folder or cached, and this machine looks "
                "offline: download it where there is network and pass the folder, --task imdb@/path/to/classifier"
            )

    @cached_property
    def _split(self) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """(prompt, continuation) per review: the first 2–8 words (fixed by the review's hash), then the rest."""
        pairs = []
        for text in self.reviews:
            digest = int(hashlib.sha256(text.encode()).hexdigest(), 16)
            words = text.split()
            cut = 2 + digest % 7
            pairs.append((digest, " ".join(words[:cut]), " " + " ".join(words[cut : cut + COMPLETION_WORDS])))
        held = list({p: (p, c) for d, p, c in pairs if d % 10 == 0}.values())[:MAX_EVAL_PROMPTS]  # distinct prompts
        held_set = {p for p, _ in held}  # a review whose opening is a held-out prompt is not trained on
        return [(p, c) for _, p, c in pairs if p not in held_set], held

    def train_prompts(self) -> list[str]:
        return [p for p, _ in self._split[0]]

    def eval_prompts(self) -> list[str]:
        return [p for p, _ in self._split[1]]

    def sft_examples(self, n: int, seed: int) -> list[SFTExample]:
        rng = random.Random(seed)
        return [SFTExample(*rng.choice(self._split[0])) for _ in range(n)]

    @cached_property
    def _scorer(self):
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        local = Path(self.classifier).is_dir()
        tokenizer = AutoTokenizer.from_pretrained(self.classifier, local_files_only=local)
        model = AutoModelForSequenceClassification.from_pretrained(self.classifier, local_files_only=local).eval()
        labels = {i: str(name).lower() for i, name in model.config.id2label.items()}
        positive = next((i for i, name in labels.items() if name.startswith("pos")), 1)
        return tokenizer, model, positive

    def gold_reward(self, prompts: Sequence[str], completions: Sequence[str]) -> list[float]:
        tokenizer, model, positive = self._scorer
        texts = [p + c for p, c in zip(prompts, completions, strict=True)]
        scores = []
        with torch.no_grad():
            for i in range(0, len(texts), 64):
                batch = tokenizer(texts[i : i + 64], return_tensors="pt", padding=True, truncation=True, max_length=256)
                probs = model(**batch).logits.softmax(-1)[:, positive]
                scores.extend(float(x) for x in probs)
        return scores

    def fingerprint_inputs(self) -> dict:
        return {"classifier": self.classifier}
