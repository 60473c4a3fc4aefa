"""hh-rlhf: Anthropic's helpful-harmless dialogues (Anthropic/hh-rlhf), each a chosen and a rejected transcript.

Measures preference optimization on real human preferences over multi-turn dialogue. Each row's
two transcripts share every turn but the last assistant reply: the prompt is the shared dialogue up
to the final "\\n\\nAssistant:" (as the raw HH text, or through the model's chat template when it
has one), chosen and rejected are the two last replies. There is no gold
reward (give one with @module:function): without it the table reports KL, length and throughput.
"""

from __future__ import annotations

import re

from pobench.tasks import register
from pobench.tasks.hub import HubPreferenceTask

MARK = "\n\nAssistant:"
TURN = re.compile(r"\n\n(Human|Assistant):")


def split_last_reply(transcript: str) -> tuple[str, str]:
    cut = transcript.rindex(MARK) + len(MARK)
    return transcript[:cut], transcript[cut:]


@register("hh-rlhf")
class HHRLHF(HubPreferenceTask):
    registered_name = "hh-rlhf"
    name = "hh-rlhf"
    version = "hub"
    description = "Anthropic/hh-rlhf dialogues (or hh-rlhf:PATH, a local copy); gold: optional @module:function"
    dataset_id = "Anthropic/hh-rlhf"

    def convert(self, row: dict) -> dict:
        prompt, chosen = split_last_reply(row["chosen"])
        other, rejected = split_last_reply(row["rejected"])
        if other != prompt:
            raise ValueError("chosen and rejected differ before the last assistant reply")
        if self.chat_tokenizer is not None:  # as messages, through the model's chat template
            prompt = self.render_prompt(messages_of(prompt[: -len(MARK)]))
            chosen, rejected = chosen.strip(), rejected.strip()
        return {"prompt": prompt, "chosen": chosen, "rejected": rejected}


def messages_of(transcript: str) -> list[dict]:
    """ "\n\nHuman: a\n\nAssistant: b" → [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]."""
    parts = TURN.split(transcript)[1:]  # speaker, text, speaker, text, ...
    roles = {"Human": "user", "Assistant": "assistant"}
    return [{"role": roles[who], "content": text.strip()} for who, text in zip(parts[0::2], parts[1::2])]
