"""`pobench compare` and the maintainer tools under `pobench dev` (tune-grids, perf-sweep): listed by `--help`, and
bad input is one line naming the value and what is accepted, before any work."""

from __future__ import annotations

import re

import pytest
from pobench.cli import main

from tests.helpers import ROOT, hand_made_records


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert err.startswith("pobench: error: ") and err.count("\n") == 1, err
    return err


def test_the_tools_are_listed_by_help(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert re.search(r"^ +compare ", out, re.MULTILINE) and re.search(r"^ +dev +maintainer tools", out, re.MULTILINE)
    with pytest.raises(SystemExit):
        main(["dev", "--help"])
    out = capsys.readouterr().out
    for command in ("tune-grids", "tune-rm", "perf", "perf-sweep"):
        assert re.search(rf"^ +{command}( |$)", out, re.MULTILINE), out  # a long name has its help on the next line


@pytest.mark.parametrize("command", [["compare"], ["dev", "tune-grids"], ["dev", "perf-sweep"]])
def test_each_tool_has_its_own_help(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([*command, "--help"])
    assert exc.value.code == 0
    assert f"usage: pobench {' '.join(command)}" in capsys.readouterr().out


@pytest.mark.parametrize("command", ["compare"])
def test_a_missing_folder_is_one_line_naming_it(command, tmp_path, capsys):
    missing = tmp_path / "no-such-run"
    assert main([command, str(missing), str(ROOT / "results" / "reference")]) == 2
    err = one_line_error(capsys)
    assert f"{missing}: no such results folder" in err
    assert main([command, str(ROOT / "results" / "reference"), str(missing)]) == 2
    captured = capsys.readouterr()
    assert f"{missing}: no such results folder" in captured.err
    assert captured.out == ""  # run A's folder was read, but nothing is printed before B's is found missing


def test_compare_needs_the_records_of_exactly_one_benchmark(tmp_path, capsys):
    from pobench.core.atomic import write_json_atomic

    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["compare", str(empty), str(empty)]) == 2
    assert f"{empty}: expected the records of one benchmark (one comparability key), found 0" in one_line_error(capsys)
    two = tmp_path / "two"
    for i, record in enumerate(hand_made_records()):  # keys K1 and K2
        write_json_atomic(two / "records" / f"r{i}.json", record.to_json())
    assert main(["compare", str(two), str(two)]) == 2
    assert f"{two}: expected the records of one benchmark (one comparability key), found 2" in one_line_error(capsys)


def test_tune_grids_refuses_an_algorithm_without_candidates_before_running(tmp_path, capsys, monkeypatch):
    import pobench.harness.tune_grids as tune_grids

    monkeypatch.setattr(tune_grids, "run_sweep", lambda *a, **k: pytest.fail("a cell ran"))
    assert main(["dev", "tune-grids", "--algos", "dpo,nope", "--out", str(tmp_path / "out")]) == 2
    err = one_line_error(capsys)
    assert "'nope'" in err and f"(tuned here: {', '.join(tune_grids.adapter_candidates())})" in err
    assert not (tmp_path / "out").exists()


def test_tune_grids_without_out_refuses_before_running(capsys, monkeypatch):
    import pobench.harness.tune_grids as tune_grids

    monkeypatch.setattr(tune_grids, "run_sweep", lambda *a, **k: pytest.fail("a cell ran"))
    assert main(["dev", "tune-grids", "--algos", "nope"]) == 2
    err = one_line_error(capsys)
    assert "no candidates for 'nope'" in err and "dpo, ipo, kto" in err


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--baseline", "hot"], "--baseline 'hot': use cold and/or warm"),
        (["--baseline", "cold,hot"], "--baseline 'hot': use cold and/or warm"),
        (["--algos", "dpoo"], "unknown algorithm 'dpoo'; did you mean 'dpo'?"),
        (["--seeds", "one"], "'one': must be a non-negative integer"),
    ],
)
def test_perf_sweep_refuses_bad_input_before_any_work(argv, expected, tmp_path, capsys, monkeypatch):
    import pobench.harness.perf_sweep as perf_sweep

    monkeypatch.setattr(perf_sweep.subprocess, "run", lambda *a, **k: pytest.fail("a subprocess started"))
    monkeypatch.setattr(perf_sweep, "timed", lambda *a, **k: pytest.fail("a subprocess started"))
    (tmp_path / "kept.txt").write_text("not emptied")
    assert main(["dev", "perf-sweep", *argv, "--out", str(tmp_path)]) == 2
    assert expected in one_line_error(capsys)
    assert (tmp_path / "kept.txt").read_text() == "not emptied"  # the scratch folder is not emptied either


def test_compare_of_a_run_with_itself_agrees(tmp_path, capsys):
    from pobench.core.atomic import write_json_atomic

    for i, record in enumerate(r for r in hand_made_records() if r.comparability_key == "K1"):
        write_json_atomic(tmp_path / "records" / f"r{i}.json", record.to_json())
    assert main(["compare", str(tmp_path), str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert (
        f"| results folder | {tmp_path} | {tmp_path} |" in " ".join(out.split())
        and "the same benchmark (K1 vs K1)" in out
    )
    assert out.rstrip().endswith("no pair reverses: the runs agree")
