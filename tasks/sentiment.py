"""sentiment: continue a short movie-review prompt ("the plot felt") positively.

Measures how far an algorithm moves a policy toward a known objective (VADER's compound score of
the completion) from preference pairs whose labeler is only a noisy view of that objective. The
text comes from templates over the word lists shipped inside ``vaderSentiment``, so the task needs
no network and is byte-for-byte reproducible. The SFT corpus mixes positive, negative and mild
words, with negation ("not ...") and contrast ("..., but ..."), so the SFT policy starts near a
mildly positive mean with a wide spread to improve on.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from functools import cached_property
from importlib import resources

from pobench.contracts.task import HeldOutPrompts, SFTExample
from pobench.tasks import register

SUBJECTS = [
    "the plot",
    "the acting",
    "the ending",
    "the cast",
    "the dialogue",
    "the soundtrack",
    "the script",
    "the pacing",
    "the director",
    "the story",
    "the characters",
    "the music",
    "the visuals",
    "the humour",
    "the lead",
    "the villain",
    "the camera work",
    "the editing",
    "the sequel",
    "this film",
    "this movie",
    "the finale",
    "the premise",
    "the effects",
]
VERBS = ["was", "felt", "seemed", "is", "looked", "sounded", "came across as"]
OPENERS = ["", "honestly ,", "overall", "i think", "to me", "in the end", "frankly ,"]
# Completion shapes; {a} and {b} are lexicon words, {n} a neutral noun. VADER reads "not" as
# negation and weights the clause after "but" more, so the same words score differently here.
SHAPES = [
    " {a} .",
    " {a} and {b} .",
    " {a} , but {b} .",
    " not {a} at all .",
    " really {a} .",
    " {a} , even {b} .",
    " a bit {a} .",
    " {a} , and the {n} was {b} .",
    " so {a} .",
    " {a} but not {b} .",
]
NOUNS = ["cast", "score", "set", "crowd", "pace", "light", "tone", "scene", "twist", "hero"]
SENTIMENT_MIX = {"positive": 0.50, "negative": 0.30, "mild": 0.20}  # probability of each word class
WORDS_PER_CLASS = 120
# Lexicon entries kept out of generated text, so samples stay fit to show in a report.
PROFANE = (
    "bitch",
    "fuck",
    "shit",
    "damn",
    "bastard",
    "dick",
    "asshole",
    "whore",
    "slut",
    "cunt",
    "piss",
    "crap",
    "nigg",
    "fag",
    "retard",
    "dumbass",
    "jackass",
    "douche",
    "wank",
    "prick",
    "goddam",
)
EVAL_PROMPTS = 128


@register("sentiment")
class Sentiment(HeldOutPrompts):
    eval_count = EVAL_PROMPTS
    name = "sentiment"
    version = "2"  # 2: a completion cut at the length limit scores -1
    description = (
        "continue a movie-review prompt positively; gold = VADER compound of the completion (-1 if it never ends)"
    )
    max_new_tokens = 24
    truncated_gold = -1.0

    @cached_property
    def _lexicon_text(self) -> str:
        return resources.files("vaderSentiment").joinpath("vader_lexicon.txt").read_text(encoding="utf-8")

    @cached_property
    def words(self) -> dict[str, list[str]]:
        """Word classes from VADER's lexicon: plain lowercase words, by mean valence."""
        classes: dict[str, list[str]] = {"positive": [], "negative": [], "mild": []}
        for line in self._lexicon_text.splitlines():
            token, valence = line.split("\t")[:2]
            if not (token.isalpha() and token.islower() and 3 <= len(token) <= 10) or any(p in token for p in PROFANE):
                continue
            v = float(valence)
            cls = "positive" if v >= 1.5 else "negative" if v <= -1.5 else "mild" if abs(v) <= 0.8 else None
            if cls:
                classes[cls].append(token)
        rng = random.Random(f"sentiment-v{self.version}-words")
        return {cls: sorted(rng.sample(sorted(ws), WORDS_PER_CLASS)) for cls, ws in classes.items()}

    def all_prompts(self) -> list[str]:
        return [" ".join(p for p in (o, s, v) if p) for o in OPENERS for s in SUBJECTS for v in VERBS]

    def sft_examples(self, n: int, seed: int) -> list[SFTExample]:
        rng = random.Random(seed)
        prompts = self.train_prompts()
        classes, weights = zip(*SENTIMENT_MIX.items())

        def word() -> str:
            return rng.choice(self.words[rng.choices(classes, weights)[0]])

        return [
            SFTExample(rng.choice(prompts), rng.choice(SHAPES).format(a=word(), b=word(), n=rng.choice(NOUNS)))
            for _ in range(n)
        ]

    @cached_property
    def _vader(self):
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        return SentimentIntensityAnalyzer()

    def gold_reward(self, prompts: Sequence[str], completions: Sequence[str]) -> list[float]:
        return [float(self._vader.polarity_scores(c)["compound"]) for c in completions]

    def fingerprint_inputs(self) -> dict:
        return {"lexicon_sha256": hashlib.sha256(self._lexicon_text.encode()).hexdigest()}
