"""How pobench.harness.tune_grids picks a frontier grid from the tuning seeds' results, on numbers worked by hand."""

from __future__ import annotations

import math

import pytest
from pobench.core.record import RunRecord
from pobench.harness.tune_grids import Candidate, candidates_from_records, choose_grid


def test_grid_keeps_the_extremes_and_the_candidates_nearest_even_steps_in_log_kl():
    kls = {"3": 0.05, "1": 0.1, "0.3": 0.5, "0.1": 1.0, "0.03": 5.0, "0.01": 50.0}
    candidates = [Candidate(v, kl, 0.1, 0.0, True) for v, kl in kls.items()]
    # log KL from log 0.05 = −3.00 to log 50 = 3.91; targets at 1/3 and 2/3: −0.69 (KL 0.5) and 1.61 (KL 5.0)
    assert choose_grid(candidates) == ["3", "0.3", "0.03", "0.01"]


def test_unusable_candidates_are_left_out():
    candidates = [
        Candidate("a", 0.1, 0.1, 0.0, True),
        Candidate("b", 1.0, 0.2, 0.0, True),
        Candidate("c", 60.0, -0.99, 0.99, True),  # degenerated: 99% of its samples never end
        Candidate("d", math.nan, math.nan, math.nan, False),  # a tuning seed failed
    ]
    assert choose_grid(candidates) == ["a", "b"]  # fewer than four usable: all of them, by KL


def record(seed, beta, kl, truncation, status="ok") -> RunRecord:
    metrics = {"eval/kl": kl, "eval/reward": 0.1, "eval/truncation_rate": truncation} if status == "ok" else {}
    return RunRecord(
        spec={}, spec_hash="", algo="dpo", hparams={"beta": beta}, task="t", task_version="1", model="m",
        seed=seed, status=status, metrics=metrics,
    )  # fmt: skip


def test_candidates_average_kl_and_take_the_worst_seed_truncation():
    records = [record(100, 0.3, 1.0, 0.0), record(101, 0.3, 59.0, 0.99), record(100, 1.0, 0.1, 0.0)]
    records.append(record(101, 1.0, math.nan, math.nan, status="diverged"))
    by_value = {c.value: c for c in candidates_from_records(records, "dpo", "beta")}
    assert by_value["0.3"].kl == 30.0 and by_value["0.3"].truncation == 0.99 and not by_value["0.3"].usable
    assert not by_value["1.0"].all_ok and not by_value["1.0"].usable


def test_a_model_without_its_own_candidates_is_tuned_on_the_adapters_knobs():
    from pobench.core.presets import TINY_RATES
    from pobench.harness.tune_grids import adapter_candidates, candidates_for

    CANDIDATES = adapter_candidates()

    assert candidates_for("org/any-model") == CANDIDATES  # a pretrained model's preset names none
    # tiny tunes the DPO family over the learning rate, six candidates like every other algorithm
    assert candidates_for("tiny") == {**CANDIDATES, **{algo: TINY_RATES for algo in ("dpo", "ipo", "kto")}}
    assert {len(values) for values in candidates_for("tiny").values()} == {6}


def test_smollm2_tunes_every_algorithm_with_the_same_number_of_its_own_candidates():
    from pobench.harness.tune_grids import adapter_candidates, candidates_for

    CANDIDATES = adapter_candidates()

    own = candidates_for("smollm2-135m")
    assert own.keys() == CANDIDATES.keys()
    assert {len(values) for values in own.values()} == {4}  # the same tuning effort for every algorithm
    assert own["simpo"] == ("1e-5", "3e-5", "1e-4", "3e-4") != CANDIDATES["simpo"]


def test_tuning_runs_the_models_candidates_on_that_model(tmp_path, monkeypatch, capsys):
    import pobench.harness.tune_grids as tune_grids
    from pobench.core.presets import Preset

    ran = []
    monkeypatch.setattr(tune_grids, "preset_of", lambda model: Preset(tuning_candidates={"ppo": ("0.5", "2")}))
    monkeypatch.setattr(tune_grids, "run_sweep", lambda resolved, *a, **k: ran.extend(spec for _, spec, _ in resolved))
    assert tune_grids.tune(["ppo", "cpo"], ["100"], tmp_path, None, "local", 1, model="tiny") == 0
    ppo = sorted(spec.hparams.kl_coef for spec in ran if spec.algo == "ppo")
    cpo = sorted(spec.hparams.learning_rate for spec in ran if spec.algo == "cpo")
    assert ppo == [0.5, 2.0]  # the preset's own
    assert cpo == sorted(float(v) for v in tune_grids.adapter_candidates()["cpo"])  # the adapters', where it names none
    assert {spec.model for spec in ran} == {"tiny"} and {spec.seed for spec in ran} == {100}


def test_tuning_a_moved_knob_varies_that_setting(tmp_path, monkeypatch):
    import pobench.harness.tune_grids as tune_grids
    from pobench.core.presets import Preset

    moved = Preset(
        kl_knobs={"dpo": "learning_rate"},
        frontier_grids={"dpo": ("1e-4",)},
        tuning_candidates={"dpo": ("1e-5", "1e-4")},
    )
    import pobench.reports.reach as reach

    ran = []
    monkeypatch.setattr(tune_grids, "preset_of", lambda model: moved)
    monkeypatch.setattr(reach, "preset_of", lambda model: moved)  # where the knob is read
    monkeypatch.setattr(tune_grids, "run_sweep", lambda resolved, *a, **k: ran.extend(spec for _, spec, _ in resolved))
    assert tune_grids.tune(["dpo"], ["100"], tmp_path, None, "local", 1) == 0
    assert sorted(spec.hparams.learning_rate for spec in ran) == [1e-5, 1e-4]
    assert {spec.hparams.beta for spec in ran} == {0.1}


def test_runs_along_training_are_chosen_for_the_budgets_they_read_then_their_readings():
    """Two tuning seeds, budgets 0.25, 1, 4. Run b passes 5 nats on both seeds; a stops at 2 (seed 100) and 0.3
    (101); c at 0.2. {a, b} reads all 6 pairs: seed 100 0.294482 (b: t = ln 250/ln 5000 = 0.648272), 0.4 (a: 0.3 +
    0.2·ln 2/ln 4), 0.5 (a's end within 4 nats beats b's 0.392140); seed 101 0.262068, 0.302760, 0.343450 (b);
    mean 2.102760/6 = 0.350460. {b, c} reads 6 too but at a mean of 0.323035; {a, c} reads 3."""
    from pobench.harness.tune_grids import choose_runs

    start = (0.0, 0.1)
    curves = {
        "a": {100: [start, (0.5, 0.3), (2.0, 0.5)], 101: [start, (0.3, 0.2)]},
        "b": {100: [start, (5.0, 0.4)], 101: [start, (5.0, 0.35)]},
        "c": {100: [start, (0.2, 0.15)], 101: [start, (0.2, 0.12)]},
    }
    runs, read, mean = choose_runs(curves, (0.25, 1.0, 4.0))
    assert (runs, read) == (["a", "b"], 6) and mean == pytest.approx(0.350460, abs=1e-6)
    assert choose_runs({"c": curves["c"]}, (0.25, 1.0, 4.0))[:2] == (["c"], 0)  # one candidate, reading nothing
