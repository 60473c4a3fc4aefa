"""wandb, offline: one run per cell in the shape dashboards want, read back from the run files; and
a wandb that fails never costs a result."""

from __future__ import annotations

from pobench.harness.tracking import resolve_mode


def test_mode_defaults(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.netrc: not logged in
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.delenv("WANDB_MODE", raising=False)
    assert resolve_mode(None) == "offline"
    assert resolve_mode("disabled") == "disabled"  # the flag wins
    monkeypatch.setenv("WANDB_API_KEY", "x" * 40)
    assert resolve_mode(None) == "online"
    (tmp_path / ".netrc").write_text("machine api.wandb.ai\n  login user\n  password secret\n")
    (tmp_path / ".netrc").chmod(0o600)  # as `wandb login` writes it (Python refuses a readable one)
    monkeypatch.delenv("WANDB_API_KEY")
    assert resolve_mode(None) == "online"  # logged in with `wandb login`
    monkeypatch.setenv("WANDB_MODE", "dryrun")
    assert resolve_mode(None) == "offline"  # wandb's own variable is respected
