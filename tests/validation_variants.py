"""Deliberately wrong adapters for ``pobench validate``: each trains one thing and declares the target of another,
the kinds of bug a check on the exact task must catch (a factor 2, 1.5 or 1.25 in β, a wrong sign, IPO normalized
per sequence against per token, a reference-free loss claimed as referenced). Registered by the tests that use
them."""

from __future__ import annotations

from dataclasses import replace

from pobench.algorithms import ALGORITHMS
from pobench.algorithms.cpo import CPO
from pobench.algorithms.dpo import DPO
from pobench.algorithms.ipo import IPO
from pobench.kit.exact_eval import dpo_optimum, ipo_optimum
from pobench.kit.preference import PAIRS, UNPAIRED, read_jsonl, unpaired_view, write_jsonl


class ScaledBetaDPO(DPO):
    """DPO whose trainer receives ``factor``·β while its declared target stays that of β."""

    factor = 2.0

    def build_trainer(self, ctx):
        ctx.params = replace(ctx.params, beta=ctx.params.beta * self.factor)
        return super().build_trainer(ctx)


class DoubleBetaDPO(ScaledBetaDPO):
    factor = 2.0


class HalfBetaDPO(ScaledBetaDPO):
    factor = 0.5


class OneAndAHalfBetaDPO(ScaledBetaDPO):
    factor = 1.5


class OneAndAQuarterBetaDPO(ScaledBetaDPO):
    factor = 1.25


class FlippedDPO(DPO):
    """DPO that learns the rejected completion: β's sign flipped, in effect."""

    def train(self, ctx):
        pairs = [{**p, "chosen": p["rejected"], "rejected": p["chosen"]} for p in read_jsonl(ctx.data_dir / PAIRS)]
        flipped = ctx.work_dir / "flipped"
        flipped.mkdir()
        write_jsonl(flipped / PAIRS, pairs)
        write_jsonl(flipped / UNPAIRED, unpaired_view(pairs))
        ctx.data_dir = flipped
        return super().train(ctx)


class PerSequenceIPO(IPO):
    """IPO trained as TRL does (log-ratios averaged per token) but claiming the paper's per-sequence target."""

    def exact_target(self, params, data):
        return ipo_optimum(params.beta, data.labeler_temperature, per_token=False)


class ReferenceFreeAsDPO(CPO):
    """CPO's reference-free sigmoid loss (no NLL term) claiming DPO's target at the same β."""

    validation = {"beta": "3", "cpo_alpha": "0"}

    def exact_target(self, params, data):
        return dpo_optimum(params.beta, data.labeler_temperature)


WRONG = {
    "dpo-beta-x2": DoubleBetaDPO,
    "dpo-beta-half": HalfBetaDPO,
    "dpo-beta-x1.5": OneAndAHalfBetaDPO,
    "dpo-beta-x1.25": OneAndAQuarterBetaDPO,
    "dpo-flipped": FlippedDPO,
    "ipo-per-sequence": PerSequenceIPO,
    "cpo-as-dpo": ReferenceFreeAsDPO,
}


def register_wrong(monkeypatch, name: str) -> None:
    """Put the wrong adapter ``name`` in the registry for one test."""
    monkeypatch.setitem(ALGORITHMS._entries, name, WRONG[name])
    monkeypatch.setattr(WRONG[name], "name", name)
