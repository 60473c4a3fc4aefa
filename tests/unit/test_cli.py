"""Bad input: a one-line error naming the value and what is accepted, before any work, no traceback."""

import pytest
from pobench.cli import main

from tests.helpers import hand_made_records


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["run", "dpoo"], "unknown algorithm 'dpoo'; did you mean 'dpo'? (registered: best-of-n, cpo, dpo, grpo,"),
        (["run", "dpo", "--task", "sentimnt"], "unknown task 'sentimnt'; did you mean 'sentiment'?"),
        (["run", "dpo", "--model", "tinyy"], "unknown model 'tinyy'; did you mean 'tiny'?"),
        (["run", "dpo", "--set", "betta=0.2"], "algorithm 'dpo' has no setting 'betta'; did you mean 'beta'?"),
        (["run", "dpo", "--set", "beta=high"], "--set beta='high': not a valid float"),
        (["run", "dpo", "--seed", "one"], "argument --seed: 'one': must be a non-negative integer"),
        (["run", "dpo", "--set", "beta"], "expected KEY=VALUE"),
        (["run", "dpo", "--model", "some-org/some-model"], "the hub cannot be reached: this machine looks offline"),
    ],
)
def test_bad_input_is_one_line_before_any_work(argv, expected, tmp_path, capsys):
    assert main([*argv, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert expected in err and err.count("\n") == 1 and err.startswith("pobench: error: ")
    assert not any(tmp_path.iterdir())  # nothing built, nothing written


def test_list_shows_each_registry_with_descriptions(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for line in ("algorithms:", "  dpo ", "beta=0.1", "tasks:", "  sentiment ", "models:", "  tiny "):
        assert line in out
    assert "300 train / 100 eval prompts" in out and "  concise " in out and "  file:PATH " in out  # size, format
    assert main(["list", "settings"]) == 0
    out = capsys.readouterr().out
    assert "labeler_temperature (float, > 0, default 0.1)" in out  # every single-field limit is shown
    assert "warmup_ratio (float, in [0, 1), default 0.1)" in out


def test_show_without_records_says_where_it_looked(tmp_path, capsys):
    assert main(["show", "--out", str(tmp_path)]) == 2
    assert f"pobench: error: no records in {tmp_path / 'records'}" in capsys.readouterr().err


def test_show_labels_rows_with_their_non_default_hyperparameters():
    from pobench.core.record import RunRecord
    from pobench.reports.report import algo_label

    def record(hparams):
        return RunRecord(
            spec={},
            spec_hash="h",
            algo="dpo",
            hparams=hparams,
            task="sentiment",
            task_version="1",
            model="tiny",
            seed=0,
            status="ok",
        )

    assert algo_label(record({"beta": 0.1, "learning_rate": 3e-4})) == "dpo"
    assert algo_label(record({"beta": 0.5, "learning_rate": 3e-4})) == "dpo beta=0.5"
    assert algo_label(record({"beta": 0.1, "learning_rate": 1e-3})) == "dpo learning_rate=0.001"


def _hand_made_folder(tmp_path):
    from pobench.core.atomic import write_json_atomic

    for i, record in enumerate(hand_made_records()):
        write_json_atomic(tmp_path / "records" / f"r{i}.json", record.to_json())
    return tmp_path


def test_leaderboard_command_formats(capsys, tmp_path):
    folder = _hand_made_folder(tmp_path)
    assert main(["leaderboard", "--out", str(folder)]) == 0
    out = capsys.readouterr().out
    # dpo 0.3, 0.4, 0.5: 0.4 ± t_{2,0.975}·0.1/√3 = ± 4.302653·0.057735 = ± 0.248 (tests/unit/test_stats.py)
    assert "comparability key K1" in out and "+0.400 (+0.152, +0.648)" in out and "◆" in out
    assert "**Reward at matched KL**" in out and "| dpo " in out
    assert main(["leaderboard", "--out", str(folder), "--format", "csv"]) == 0
    assert capsys.readouterr().out.startswith("comparability_key,task,task_version,model,rank,algo")
    assert main(["leaderboard", "--out", str(folder), "--format", "headline-csv"]) == 0
    assert capsys.readouterr().out.startswith("comparability_key,task,model,algo,seeds,cells")
    assert main(["leaderboard", "--out", str(folder), "--format", "html"]) == 0
    assert (folder / "leaderboard.html").read_text().count('<table class="board"') == 2
    assert main(["leaderboard", "--out", str(folder), "--by", "seed"]) == 2
    assert "--by 'seed': tables can be grouped by task, model" in capsys.readouterr().err


def test_plot_command_writes_both_plots_per_table(capsys, tmp_path):
    folder = _hand_made_folder(tmp_path)
    assert main(["leaderboard", "--out", str(folder), "--format", "png"]) == 0
    written = sorted(p.name for p in (folder / "plots").iterdir())
    assert len(written) == 4 and all(name.endswith(".png") for name in written)
    assert all((folder / "plots" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for name in written)


def test_leaderboard_of_an_empty_folder_says_so(capsys, tmp_path):
    assert main(["leaderboard", "--out", str(tmp_path)]) == 2
    assert f"pobench: error: no records in {tmp_path / 'records'}" in capsys.readouterr().err


def test_sigterm_ends_a_command_as_ctrl_c_does_and_the_old_handler_comes_back(capsys):
    """A command that gets SIGTERM unwinds as a KeyboardInterrupt (cells record it as interrupted): one line, 130."""
    import argparse
    import os
    import signal

    from pobench.cli.errors import run_reporting_errors

    def handler(args):
        os.kill(os.getpid(), signal.SIGTERM)
        raise AssertionError("SIGTERM did not interrupt the command")

    previous = signal.signal(signal.SIGTERM, signal.SIG_DFL)  # as a fresh process has it, whatever ran before
    try:
        assert run_reporting_errors(argparse.Namespace(handler=handler)) == 130
        assert capsys.readouterr().err == "pobench: interrupted\n"
        assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # the process is not left changed
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_a_sigterm_handler_set_by_the_parent_is_kept():
    import argparse
    import signal

    from pobench.cli.errors import run_reporting_errors

    previous = signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        seen = run_reporting_errors(argparse.Namespace(handler=lambda args: signal.getsignal(signal.SIGTERM)))
        assert seen == signal.SIG_IGN and signal.getsignal(signal.SIGTERM) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGTERM, previous)
