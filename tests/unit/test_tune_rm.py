"""`pobench tune-rm` (bench/harness/tune_rm.py): the standard errors, the choice, and bad input refused first."""

from __future__ import annotations

import math

import pytest
from pobench.cli import main
from pobench.harness.tune_rm import Probe, accuracy_se, choose, r2_se


def test_standard_errors_worked_by_hand():
    assert r2_se(0.25, 100) == pytest.approx(0.075)  # 2 · 0.5 · 0.75 / 10
    assert r2_se(0.35, 128) == pytest.approx(2 * math.sqrt(0.35) * 0.65 / math.sqrt(128))  # 0.0680: the CPU budget's
    assert accuracy_se(0.75, 12) == pytest.approx(0.125)  # √(0.1875 / 12)
    assert math.isnan(r2_se(0.3, 0)) and math.isnan(accuracy_se(math.nan, 12))


def probe(seed, lr, epochs, r2, slope=0.3):
    return Probe(seed, lr, epochs, r2, slope, 128, 0.8, 0.75, 13, 10.0)


def test_the_highest_mean_r2_over_every_seed_is_chosen():
    probes = [probe(100, 1e-4, 2, 0.20), probe(101, 1e-4, 2, 0.30), probe(100, 3e-4, 4, 0.40), probe(101, 3e-4, 4, 0.0)]
    assert choose(probes) == (1e-4, 2)  # mean 0.25 against 0.20
    assert choose([*probes, probe(100, 1e-3, 4, 0.9)]) == (1e-4, 2)  # 1e-3 was not probed on seed 101: not a choice
    assert choose([]) is None


def test_a_reward_model_that_orders_against_gold_is_not_chosen():
    # R² 0.5 with a negative slope: the line fits, but the model prefers what gold ranks lower
    assert choose([probe(100, 1e-4, 2, 0.5, slope=-0.4), probe(100, 3e-4, 4, 0.1)]) == (3e-4, 4)


@pytest.fixture
def nothing_runs(monkeypatch):
    import pobench.harness.tune_rm as tune_rm

    monkeypatch.setattr(tune_rm, "probe", lambda *a, **k: pytest.fail("a reward model was trained"))


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--learning-rates", "1e-4,fast"], "--learning-rates 'fast': must be positive numbers"),
        (["--learning-rates=1e-4,-1e-4"], "--learning-rates '-1e-4': must be positive numbers"),
        (["--epochs", "1.5"], "--epochs '1.5': must be whole numbers of epochs"),
        (["--seeds", "x"], "argument --seeds: seed 'x': must be a non-negative integer"),
        (["--set", "rm_epochs=2"], "--set rm_epochs: tune-rm varies it; give its values with --learning-rates"),
        (["--model", "tinyy"], "tinyy"),
        (["--task", "sentimint"], "sentimint"),
    ],
)
def test_bad_input_is_one_line_before_anything_is_trained(argv, expected, nothing_runs, tmp_path, capsys):
    assert main(["dev", "tune-rm", "--model", "tiny", "--cache", str(tmp_path / "cache"), *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("pobench: error: ") and err.count("\n") == 1 and expected in err, err
    assert not (tmp_path / "cache").exists()
