"""The KL budgets a headline reads come from the model's preset; a model without its own keeps pobench's."""

from __future__ import annotations

import pobench.reports.headline as headline_module
from pobench.core.models import preset_of
from pobench.core.presets import Preset
from pobench.harness.grid import SweepConfig, resolve_grid
from pobench.harness.placement import Placement
from pobench.reports.headline import BUDGETS, budgets_of
from pobench.reports.leaderboard import build_boards

from tests.helpers import record

OWN = Preset(budgets=(0.1, 0.4))


def test_models_without_their_own_budgets_keep_the_defaults():
    for model in ("tiny", "tabular", "no-such-model"):
        assert budgets_of(model) == BUDGETS == (0.25, 1.0, 4.0)
    # smollm2's are its own, read from its tuning run's span (0.06 to 28 nats): the same three values
    assert preset_of("smollm2-135m").budgets == budgets_of("smollm2-135m") == (0.25, 1.0, 4.0)


def test_a_presets_budgets_are_listed_and_read(monkeypatch):
    assert "KL budgets: 0.1, 0.4" in OWN.lines()
    monkeypatch.setattr(headline_module, "preset_of", lambda model: OWN if model == "own" else preset_of(model))
    records = [record("sft", s, 0.0, 0.0) for s in (0, 1)]
    records += [record("dpo", s, r, kl) for s in (0, 1) for r, kl in ((0.1, 0.05), (0.3, 0.2), (0.4, 0.8))]
    for r in records:
        r.model = "own"
    (board,) = build_boards(records)
    assert board.headline.budgets == (0.1, 0.4)
    row = board.headline.rows.set_index("algo").loc["dpo"]
    # KL 0.05 → 0.2 on log KL: 0.1 is half way (log 2 of log 4), reward 0.1 + 0.2·½
    assert row["reward@0.1"] == 0.2 and row["reward@0.4"] == 0.35
    assert "reward@1" not in board.headline.rows


def test_extra_cells_aim_at_the_models_own_budgets(monkeypatch):
    monkeypatch.setattr(headline_module, "preset_of", lambda model: OWN)
    config = SweepConfig(algos=["dpo"], seeds=[0], extra_cells=1)
    config.add_values("dpo.learning_rate", ["1e-4", "1e-3"], "--set")  # tiny's knob of DPO
    resolved = resolve_grid(config)
    notes: list[str] = []
    placement = Placement(config, resolved, note=notes.append)
    for _, spec, _ in resolved:  # KL = 10 × the rate: 0.001 and 0.01, below both budgets
        rate = spec.hparams.learning_rate
        done = record("dpo", 0, 0.1, 10 * rate, hparams={"learning_rate": rate})
        done.spec_hash = spec.hash()
        extra = placement.after(done)
    assert len(extra) == 1 and notes[0].endswith("(for 0.4 nats)")
