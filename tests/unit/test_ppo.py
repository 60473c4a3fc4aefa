"""The PPO adapter and its reward model, on a tiny model trained here in seconds.

PPO runs a few updates with the gold reward and with the reward model, logs every diagnostic, moves
the policy, yields a policy that generates, and repeats itself exactly for the same seed. The reward
model learns a preference it can learn, reads the right token, and is built once. And PPO on the gold
reward actually raises the gold reward of fresh samples on held-out prompts (about 5 s).
"""

from __future__ import annotations

import pytest
from pobench.algorithms.ppo import PPOParams
from pobench.core.params import SettingsError, build_settings

GOOD, BAD = ["wonderful", "lovely", "superb", "great"], ["awful", "terrible", "boring", "dull"]


def test_bad_settings_are_named():
    with pytest.raises(SettingsError, match="minibatch_size=64"):
        build_settings(PPOParams, {"minibatch_size": "64", "rollout_prompts": "32"}, "--set")
    with pytest.raises(SettingsError, match="reward"):
        build_settings(PPOParams, {"reward": "oracle"}, "--set")
