"""--executor ray on a local Ray cluster started here: the same records as the local executor, and a
worker killed mid-cell is retried without losing finished cells."""

from __future__ import annotations

from pobench.cli import main

# --no-frontier: one cell per algorithm (a sweep runs each over its frontier grid unless told otherwise)
ONE_CELL = ["--no-frontier", "--set", "eval_prompts=16", "--set", "eval_samples=2"]
SMALL = ["--set", "train_examples=64", *ONE_CELL]


def sweep(out, cache, algos, *extra):
    args = ["sweep", "--algos", algos, "--seeds", "0", *SMALL, "--out", str(out), "--cache", str(cache), "--quiet"]
    return main([*args, *extra])


def test_without_ray_the_error_says_how_to_install(monkeypatch, capsys, tmp_path):
    import sys

    monkeypatch.setitem(sys.modules, "ray", None)
    assert main(["sweep", "--algos", "sft", "--seeds", "0", *SMALL, "--out", str(tmp_path), "--executor", "ray"]) == 2
    assert "pip install 'pobench[ray]'" in capsys.readouterr().err


def test_ray_init_leaves_the_commands_sigterm_handler_in_place():
    """ray.init installs a SIGTERM handler that calls sys.exit(15); a sweep keeps its own (SIGTERM = Ctrl-C)."""
    import signal
    import types

    from pobench.harness.ray_executor import init_keeping_sigterm

    def ours(signum, frame):
        pass

    def fake_init(**kwargs):
        signal.signal(signal.SIGTERM, lambda signum, frame: None)  # as ray/_private/worker.py's init does

    previous = signal.signal(signal.SIGTERM, ours)
    try:
        init_keeping_sigterm(types.SimpleNamespace(init=fake_init), address=None)
        assert signal.getsignal(signal.SIGTERM) is ours
    finally:
        signal.signal(signal.SIGTERM, previous)
