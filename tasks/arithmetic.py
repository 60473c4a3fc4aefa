"""arithmetic: answer "17+25=" with the sum; gold reward 1 for the right number, 0 otherwise.

Measures whether preference optimization fixes a verifiable mistake. The SFT corpus gives a
controlled fraction of wrong answers (``WRONG_FRACTION``, off by 1 to 10), so the SFT policy
answers some prompts wrongly and the preference pairs have something to teach. Gold is exact and
binary, the case where online methods with the true reward (PPO, GRPO, RLOO with reward=gold)
should shine, and where a labeler's noise (T) flips a visible share of the pairs.

The SFT corpus covers every sum, eval prompts included (the model "knows" them as unreliably as
the rest); the preference pairs and online training use the train prompts only. So the eval score
says whether fixing mistakes on the trained prompts carries over to held-out ones. (A 1M-parameter
model does not learn addition itself: on sums it never saw in SFT it scored 6%.)
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

from pobench.contracts.task import HeldOutPrompts, SFTExample
from pobench.tasks import register

LOW, HIGH = 0, 19  # operands; sums 0..38
EVAL_PROMPTS = 100
WRONG_FRACTION = 0.3
NUMBER = re.compile(r"-?\d+")


def prompt_of(a: int, b: int) -> str:
    return f"{a}+{b}="


def answer_of(prompt: str) -> int:
    a, b = prompt.rstrip("=").split("+")
    return int(a) + int(b)


def first_number(text: str) -> int | None:
    match = NUMBER.search(text)
    return int(match.group()) if match else None


@register("arithmetic")
class Arithmetic(HeldOutPrompts):
    eval_count = EVAL_PROMPTS
    name = "arithmetic"
    version = "2"  # 2: an answer cut at the length limit scores 0
    truncated_gold = 0.0
    description = "answer a+b= with the sum (operands 0-19); gold = 1 if the first number is right, else 0"
    max_new_tokens = 6
    conversational = True

    def all_prompts(self) -> list[str]:
        return [prompt_of(a, b) for a in range(LOW, HIGH + 1) for b in range(LOW, HIGH + 1)]

    def sft_examples(self, n: int, seed: int) -> list[SFTExample]:
        rng = random.Random(seed)
        prompts = self.train_prompts() + self.eval_prompts()  # every sum: see the module docstring
        out = []
        for _ in range(n):
            prompt = rng.choice(prompts)
            answer = answer_of(prompt)
            if rng.random() < WRONG_FRACTION:
                answer += rng.choice([-1, 1]) * rng.randint(1, 10)
            out.append(SFTExample(prompt, f" {answer}"))
        return out

    def gold_reward(self, prompts: Sequence[str], completions: Sequence[str]) -> list[float]:
        return [float(first_number(c) == answer_of(p)) for p, c in zip(prompts, completions, strict=True)]
