"""A cell's identity: settings added after records existed declare, on their own field, the value that reproduces
the old behaviour, and at it they leave the spec hash and the comparability key as they were."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from pobench.algorithms import ALGORITHMS
from pobench.core.params import legacy_values, param
from pobench.core.settings import Budget
from pobench.harness.spec import identity_of, resolve_spec, spec_hash_of, without_legacy

from tests.helpers import ROOT

COMMITTED = sorted((ROOT / "results").glob("*/records/*.json"))


@dataclass(frozen=True)
class Later:
    old: float = param(1.0, "a setting since the first records")
    new: str = param("fast", "a setting added later; 'slow' is what every cell did before it", legacy="slow")


def test_a_setting_at_its_legacy_value_leaves_the_identity():
    assert legacy_values(Later) == {"new": "slow"}
    assert without_legacy({"old": 1.0, "new": "slow"}, Later) == {"old": 1.0}
    assert without_legacy({"old": 1.0, "new": "fast"}, Later) == {"old": 1.0, "new": "fast"}


def test_the_later_settings_are_declared_on_their_fields():
    """The settings that came after the first records, each with the value of the behaviour before it: PPO has had
    its reward model's settings from the start, best-of-n, GRPO and RLOO gained them later."""
    assert legacy_values(Budget) == {"dtype": "auto", "lora_r": 0, "lora_alpha": 0, "lora_dropout": 0.0,
                                     "train_seed": -1}  # fmt: skip
    assert legacy_values(ALGORITHMS.get("ppo").hparams) == {"critic_init": "sft"}
    for algo in ("best-of-n", "grpo", "rloo"):
        assert legacy_values(ALGORITHMS.get(algo).hparams) == {"rm_learning_rate": 1e-3, "rm_epochs": 4}, algo


@pytest.mark.parametrize("path", COMMITTED, ids=lambda p: f"{p.parent.parent.name}/{p.name[:40]}")
def test_every_committed_record_keeps_its_hash(path):
    record = json.loads(path.read_text())
    assert spec_hash_of(record["spec"]) == record["spec_hash"]


def test_committed_records_are_there():
    assert len(COMMITTED) >= 161 and {p.parent.parent.name for p in COMMITTED} >= {"reference", "reference-smollm2"}


def test_a_later_setting_away_from_its_legacy_value_changes_the_hash():
    base, _ = resolve_spec("best-of-n", "sentiment", "tiny", 0, {})
    assert base.hash() == resolve_spec("best-of-n", "sentiment", "tiny", 0, {"rm_epochs": "4"})[0].hash()
    assert base.hash() != resolve_spec("best-of-n", "sentiment", "tiny", 0, {"rm_epochs": "2"})[0].hash()
    sft_critic = identity_of(resolve_spec("ppo", "sentiment", "tiny", 0, {"critic_init": "sft"})[0].flat())
    rm_critic = identity_of(resolve_spec("ppo", "sentiment", "tiny", 0, {})[0].flat())
    assert "critic_init" not in sft_critic and rm_critic["critic_init"] == "reward_model"
