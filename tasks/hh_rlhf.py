"""hh-rlhf: Anthropic's helpful-harmless dialogues (Anthropic/hh-rlhf), each a chosen and a rejected transcript.

Measures preference optimization on real human preferences over multi-turn dialogue. Each row's
two transcripts share every turn but the last assistant reply: the prompt is the shared dialogue up
to the final "\\n\\nAssistant:", chosen and rejected are the two last replies. There is no gold
reward (give one with @module:function): without it the table reports KL, length and throughput.
"""

from __future__ import annotations

from tasks import register
from tasks.hub import HubPreferenceTask

MARK = "\n\nAssistant:"


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
        return {"prompt": prompt, "chosen": chosen, "rejected": rejected}
