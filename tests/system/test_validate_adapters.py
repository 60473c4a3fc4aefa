"""``pobench validate`` on every adapter that declares a target, and on deliberately wrong adapters (slow: each
check trains with the validation recipe, 30 s to 2 min on a 2-core CPU)."""

from __future__ import annotations

import pytest
from pobench.algorithms import ALGORITHMS

from tests.validation_variants import register_wrong

# one pytest-xdist worker runs the module: its checks share one fixture
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("validate-tiny")]

# Measured (docs/ground-truth.md): these move toward their targets but do not come within TV 0.08 at the
# validation budget. Strict: the day one does, this test says so and the entry goes.
SHORT_OF_TOLERANCE = {"dpo", "ipo", "ppo", "rloo"}

# Measured (docs/ground-truth.md): on tiny, where IPO lands depends on the CPU the seed's data and steps run on.
# Seed 0 ended at TV 0.185 from its target (KL 0.117) on an AMD EPYC of family 25, model 1, and at 0.291, beyond
# the reference's 0.268 (KL 1.150), on one of model 17, at 1 and 2 threads and under transformers 5.24 and 5.25;
# seed 1 there: 0.198 (KL 0.379); forcing AVX2 kernels on that machine: 0.192 (KL 0.429). Other kernels draw
# other pairs, so its direction on tiny says nothing of the adapter, and it is not asserted here;
# on the tabular model IPO reaches its target on every seed (tests/system/test_validate_tabular.py).
DIRECTION_UNSETTLED_ON_TINY = {
    "ipo": "IPO's direction on tiny depends on the CPU (seed 0: TV 0.185 on one EPYC, 0.291 against 0.268 on another)"
}


def with_target() -> list[str]:
    """Registered adapters, plugins included, that declare a target under their validation recipe (PPO and RLOO:
    with reward=gold). A plugin's check must pass its own ``validation_tolerance``."""
    from pobench.harness.validate import plan

    return [name for name in ALGORITHMS.names() if plan(name, [0], {}).check.tolerance is not None]


@pytest.fixture(scope="module")
def checks(tmp_path_factory):
    """One validation per adapter, run on first use and shared by the tests below."""
    from pobench.harness.validate import validate

    done: dict = {}
    root = tmp_path_factory.mktemp("validate")

    def check(algo: str):
        if algo not in done:
            done[algo] = validate(algo, [0], {}, root / "out", root / "cache", log=lambda _: None)
        return done[algo]

    return check


@pytest.mark.parametrize("algo", with_target())
def test_adapter_moves_toward_its_target(algo, checks):
    check = checks(algo)
    assert not check.failed_cells
    assert check.estimates_ok, check.row()  # the evaluator's sampled reward and KL agree with the exact values
    if algo in DIRECTION_UNSETTLED_ON_TINY:
        pytest.skip(DIRECTION_UNSETTLED_ON_TINY[algo])
    if algo != "sft":  # the reference is its own target: TV 0 from the start
        assert check.moved_toward_target, check.row()


@pytest.mark.parametrize("algo", with_target())
def test_adapter_reaches_its_target(algo, checks, request):
    if algo in SHORT_OF_TOLERANCE:
        request.applymarker(pytest.mark.xfail(strict=True, reason="short of TV 0.08 at the validation budget"))
    assert checks(algo).passed, checks(algo).row()


def test_a_wrong_adapter_is_caught(checks, monkeypatch):
    register_wrong(monkeypatch, "dpo-flipped")
    check = checks("dpo-flipped")
    assert not check.failed_cells and check.estimates_ok
    assert not check.moved_toward_target and check.passed is False, check.row()
