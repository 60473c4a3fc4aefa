"""The README's "add an algorithm" and "add a task" examples run as written, end to end."""

import re

import pytest
from pobench.algorithms import ALGORITHMS
from pobench.harness.pipeline import run_cell
from pobench.harness.spec import resolve_spec
from pobench.tasks import TASKS

from tests.helpers import ROOT

README = (ROOT / "README.md").read_text()


def code_block(first_line: str) -> str:
    blocks = re.findall(r"```python\n(.*?)```", README, flags=re.S)
    matches = [b for b in blocks if b.startswith(first_line)]
    assert len(matches) == 1, f"README has no single python block starting with {first_line!r}"
    return matches[0]


@pytest.fixture
def scratch_registries(monkeypatch):
    """Registrations made by the test vanish with it."""
    ALGORITHMS.names(), TASKS.names()  # discover the built-in entries first, so the copies hold them
    monkeypatch.setattr(ALGORITHMS, "_entries", dict(ALGORITHMS._entries))
    monkeypatch.setattr(TASKS, "_entries", dict(TASKS._entries))


def test_readme_adapter_and_task_examples_run(scratch_registries, tmp_path):
    exec(compile(code_block("# algorithms/my_dpo.py"), "README:my_dpo", "exec"), {"__name__": "readme_my_dpo"})
    exec(compile(code_block("# tasks/shouting.py"), "README:shouting", "exec"), {"__name__": "readme_shouting"})
    assert "my-dpo" in ALGORITHMS and "shouting" in TASKS
    small = {"sft_steps": "30", "data_pairs": "32", "eval_samples": "2", "beta": "0.2"}
    spec, source = resolve_spec("my-dpo", "shouting", "tiny", 0, small)
    record, _ = run_cell(spec, source, tmp_path, device="cpu", log=lambda _: None)
    assert record.status == "ok" and record.task == "shouting" and record.hparams["beta"] == 0.2
    assert 0.0 <= record.metrics["eval/reward"] <= 1.0 and record.metrics["perf/train_steps"] == 4
