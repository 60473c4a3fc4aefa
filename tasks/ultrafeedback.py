"""ultrafeedback: UltraFeedback binarized (HuggingFaceH4/ultrafeedback_binarized, split train_prefs).

Measures preference optimization on GPT-4-rated instruction following: for each prompt, the
highest-rated response is chosen and a lower-rated one rejected. Rows are conversations (lists of
{"role", "content"}); the prompt is every turn before the last, rendered with the model's chat
template (or as plain text in the HH format for a model without one), and chosen and rejected are
the two last assistant messages.
No gold reward unless given with @module:function.
"""

from __future__ import annotations

from pobench.tasks import register
from pobench.tasks.hub import HubPreferenceTask


@register("ultrafeedback")
class UltraFeedback(HubPreferenceTask):
    registered_name = "ultrafeedback"
    name = "ultrafeedback"
    version = "hub"
    description = "HuggingFaceH4/ultrafeedback_binarized conversations (or ultrafeedback:PATH); gold: optional"
    dataset_id = "HuggingFaceH4/ultrafeedback_binarized"
    split = "train_prefs"

    def convert(self, row: dict) -> dict:
        chosen, rejected = row["chosen"], row["rejected"]
        if chosen[:-1] != rejected[:-1] or chosen[-1]["role"] != "assistant" or rejected[-1]["role"] != "assistant":
            raise ValueError("chosen and rejected must share the turns before a final assistant message")
        return {
            "prompt": self.render_prompt(chosen[:-1]),
            "chosen": chosen[-1]["content"],
            "rejected": rejected[-1]["content"],
        }
