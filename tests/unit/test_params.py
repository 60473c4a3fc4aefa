import pytest
from pobench.algorithms import ALGORITHMS
from pobench.core.params import SettingsError, parse_assignments, parse_value
from pobench.harness.spec import resolve_spec


def test_parse_value_types():
    assert parse_value("0.05", float, (), "x") == 0.05
    assert parse_value("3", int, (), "x") == 3
    assert parse_value("yes", bool, (), "x") is True
    assert parse_value("0", bool, (), "x") is False


@pytest.mark.parametrize(
    ("text", "typ", "choices", "message"),
    [
        ("abc", float, (), "beta='abc': not a valid float"),
        ("1.5", int, (), "not a valid int"),
        ("nan", float, (), "not a valid float"),
        ("maybe", bool, (), "not a valid bool"),
        ("step", str, ("linear", "cosine"), "must be one of linear, cosine"),
    ],
)
def test_parse_value_errors_name_the_value(text, typ, choices, message):
    with pytest.raises(SettingsError, match=message):
        parse_value(text, typ, choices, "beta")


def test_assignments_must_be_key_value():
    assert parse_assignments(["beta=0.1", "epochs=2"]) == {"beta": "0.1", "epochs": "2"}
    with pytest.raises(SettingsError, match="expected KEY=VALUE"):
        parse_assignments(["beta"])
    with pytest.raises(SettingsError, match="given twice"):
        parse_assignments(["beta=1", "beta=2"])


def test_resolve_spec_applies_overrides_and_hashes():
    spec, _ = resolve_spec("dpo", "sentiment", "tiny", "3", {"beta": "0.05", "epochs": "2"})
    assert spec.seed == 3 and spec.hparams.beta == 0.05 and spec.budget.epochs == 2
    same, _ = resolve_spec("dpo", "sentiment", "tiny", 3, {"epochs": "2", "beta": "0.05"})
    other, _ = resolve_spec("dpo", "sentiment", "tiny", 3, {"epochs": "2", "beta": "0.06"})
    assert spec.hash() == same.hash() != other.hash()
    assert spec.flat()["beta"] == 0.05 and spec.flat()["algo"] == "dpo"


def test_unknown_setting_lists_what_is_accepted():
    with pytest.raises(SettingsError) as err:
        resolve_spec("dpo", "sentiment", "tiny", 0, {"betta": "0.1"})
    assert "algorithm 'dpo' has no setting 'betta'; did you mean 'beta'?" in str(err.value)
    assert "dpo settings: beta, learning_rate" in str(err.value)


def test_invalid_values_are_rejected_before_work():
    with pytest.raises(SettingsError, match="batch_size=0: must be > 0"):
        resolve_spec("dpo", "sentiment", "tiny", 0, {"batch_size": "0"})
    with pytest.raises(SettingsError, match="seed 'x1': must be a non-negative integer"):
        resolve_spec("dpo", "sentiment", "tiny", "x1", {})
    with pytest.raises(SettingsError, match="seed '-1': must be a non-negative integer"):
        resolve_spec("dpo", "sentiment", "tiny", "-1", {})


def test_sft_baseline_has_only_its_frontier_samples():
    with pytest.raises(SettingsError, match="sft settings: frontier_samples;"):
        resolve_spec("sft", "sentiment", "tiny", 0, {"beta": "0.1"})
    assert ALGORITHMS.get("sft").data == "none"


@pytest.mark.parametrize(
    "algo, setting, message",
    [
        ("dpo", "beta=-1", "--set beta=-1.0: must be > 0 (dpo's beta: β: strength"),
        ("ipo", "beta=0", "--set beta=0.0: must be > 0 (ipo's beta:"),
        ("kto", "desirable_weight=0", "--set desirable_weight=0.0: must be > 0 (kto's desirable_weight:"),
        ("cpo", "cpo_alpha=-0.5", "--set cpo_alpha=-0.5: must be >= 0 (cpo's cpo_alpha:"),
        ("orpo", "learning_rate=0", "--set learning_rate=0.0: must be > 0 (orpo's learning_rate:"),
        ("simpo", "simpo_gamma=-1", "--set simpo_gamma=-1.0: must be >= 0 (simpo's simpo_gamma:"),
        ("grpo", "num_generations=1", "--set num_generations=1: must be >= 2 (grpo's num_generations:"),
        ("best-of-n", "n=0", "--set n=0: must be >= 1 (best-of-n's n:"),
        ("sft", "frontier_samples=-1", "--set frontier_samples=-1: must be >= 0 (sft's frontier_samples:"),
    ],
)
def test_hyperparameters_out_of_bounds_are_refused_with_one_line(algo, setting, message):
    key, _, value = setting.partition("=")
    with pytest.raises(SettingsError) as caught:
        resolve_spec(algo, "sentiment", "tiny", 0, {key: value})
    assert str(caught.value).startswith(message) and "\n" not in str(caught.value)
