"""A conversational task on a model with a chat template: each prompt becomes a user turn.

On ``tiny`` a prompt is plain text ("what is the colour of the sky ?"). An instruct model was trained
to answer a user turn and end its reply with its end-of-turn token, so there the same prompt is
rendered through the model's chat template, and the SFT corpus, the preference pairs, the online
rollouts and the evaluation all see the rendered prompt. The gold reward and the labeler still read
the task's own prompt: rendering changes how the question is asked, never how the answer is judged.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import cached_property

from pobench.contracts.task import SFTExample, Task


class ChatPrompts(Task):
    """``task`` with every prompt rendered by ``tokenizer``'s chat template (a single user turn)."""

    def __init__(self, task: Task, tokenizer) -> None:
        self.task, self.tokenizer = task, tokenizer
        self.name, self.version, self.description = task.name, task.version, task.description
        self.max_new_tokens, self.truncated_gold, self.vocabulary = (
            task.max_new_tokens, task.truncated_gold, task.vocabulary,
        )  # fmt: skip

    def render(self, prompt: str) -> str:
        messages = [{"role": "user", "content": prompt.strip()}]
        return self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)

    @cached_property
    def _own_prompt(self) -> dict[str, str]:
        """Rendered prompt → the task's prompt, for every prompt the task has."""
        prompts = self.task.train_prompts() + self.task.eval_prompts()
        return {self.render(p): p for p in prompts}

    def own(self, prompts: Sequence[str]) -> list[str]:
        return [self._own_prompt.get(p, p) for p in prompts]

    def train_prompts(self) -> list[str]:
        return [self.render(p) for p in self.task.train_prompts()]

    def eval_prompts(self) -> list[str]:
        return [self.render(p) for p in self.task.eval_prompts()]

    def sft_examples(self, n: int, seed: int) -> list[SFTExample]:
        return [SFTExample(self.render(e.prompt), e.completion) for e in self.task.sft_examples(n, seed)]

    def gold_reward(self, prompts: Sequence[str], completions: Sequence[str]) -> list[float]:
        return self.task.gold_reward(self.own(prompts), completions)

    def labeler_score(self, prompts: Sequence[str], completions: Sequence[str]) -> list[float]:
        return self.task.labeler_score(self.own(prompts), completions)

    def fingerprint_inputs(self) -> dict:
        template = self.tokenizer.chat_template or ""
        return {**self.task.fingerprint_inputs(), "chat_template": hashlib.sha256(template.encode()).hexdigest()}
