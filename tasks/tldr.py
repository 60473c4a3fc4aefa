"""tldr: the TL;DR summarization preferences (trl-lib/tldr-preference, from OpenAI's summarize-from-feedback).

Measures preference optimization on human judgements of Reddit post summaries: the prompt is the
post (subreddit, title, text, ending in "TL;DR:"), chosen and rejected are two summaries a labeller
compared. Length matters here (longer summaries are often preferred), so read length next to
reward. No gold reward unless given with @module:function.
"""

from __future__ import annotations

from pobench.tasks import register
from pobench.tasks.hub import HubPreferenceTask


@register("tldr")
class TLDR(HubPreferenceTask):
    registered_name = "tldr"
    name = "tldr"
    version = "hub"
    description = "trl-lib/tldr-preference Reddit summaries (or tldr:PATH); gold: optional @module:function"
    dataset_id = "trl-lib/tldr-preference"

    def convert(self, row: dict) -> dict:
        return {"prompt": row["prompt"], "chosen": row["chosen"], "rejected": row["rejected"]}
