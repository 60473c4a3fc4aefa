"""The commands on real cells, and bad input through the installed command (a subprocess)."""

import os
import subprocess
import sys

from pobench.cli import main

from tests.helpers import ROOT


def test_show_prints_default_cells(default_cells, bench_dirs, capsys):
    assert main(["show", "--out", str(bench_dirs["out"])]) == 0
    out = capsys.readouterr().out
    assert "| dpo " in out and "| sft " in out and "gold reward ± se" in out


def test_perf_runs_pobench_and_raw_trl_side_by_side(capsys):
    """The benchmark command works on CPU (figures only; no speed is asserted)."""
    assert main(["dev", "perf", "--algos", "dpo,cpo", "--steps", "4", "--batch-size", "4", "--seq-len", "32"]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("| dpo") or line.startswith("| cpo")]
    assert [r.split("|")[1].strip() for r in rows] == ["dpo pobench", "dpo raw TRL", "cpo pobench", "cpo raw TRL"]
    assert all(r.rstrip(" |").endswith("1.00") for r in rows if "raw TRL" in r)
    assert main(["dev", "perf", "--algos", "ppo", "--steps", "2"]) == 2  # not TRL-backed: nothing to compare with


def test_bad_input_through_the_installed_command_has_no_traceback(tmp_path):
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "pobench.cli", "run", "dpoo", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "did you mean 'dpo'" in proc.stderr
