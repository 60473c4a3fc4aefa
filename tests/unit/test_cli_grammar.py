"""One grammar for the command line (bench/cli/options.py): at most 10 user commands, the maintainers' tools under
`pobench dev`, and every shared flag with one name, one type and one meaning wherever a command has it."""

from __future__ import annotations

import argparse

import pytest
from pobench.cli import COMMANDS, DEV_COMMANDS, build_parser, main, options

# flag -> the type function every command that has it parses it with (None: a plain string)
SHARED = {
    "--algos": options.names,
    "--tasks": options.names,
    "--models": options.names,
    "--seeds": options.seeds,
    "--seed": options.seed,
    "--task": None,
    "--model": None,
    "--out": None,
    "--cache": None,
    "--device": options.device,
    "--set": None,
}
# names the old grammar had for the same things; none of them may come back
RETIRED = ("--algo", "--dir", "--project", "--entity")


def command_parsers() -> dict[str, argparse.ArgumentParser]:
    """Every command's parser with its arguments loaded, by its words (``run``, ``dev perf``)."""
    out = {}
    for name in COMMANDS:
        out[name] = subparser(build_parser([name]), name)
    for name in DEV_COMMANDS:
        out[f"dev {name}"] = subparser(subparser(build_parser(["dev", name]), "dev"), name)
    return out


def subparser(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return action.choices[name]


PARSERS = command_parsers()


def test_help_lists_at_most_ten_user_commands_and_the_dev_group(capsys):
    assert len(COMMANDS) <= 10 and set(DEV_COMMANDS) == {"tune-grids", "tune-rm", "perf", "perf-sweep"}
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert all(f"    {name}" in out for name in COMMANDS) and "    dev " in out


@pytest.mark.parametrize("words", sorted(PARSERS))
def test_every_shared_flag_has_one_name_and_one_type(words):
    parser = PARSERS[words]
    flags = {s: a for a in parser._actions for s in a.option_strings}
    for flag, kind in SHARED.items():
        if flag in flags:
            assert flags[flag].type is kind, f"pobench {words} {flag} parses with {flags[flag].type}, not {kind}"
    assert not set(RETIRED) & set(flags), f"pobench {words} has a retired flag"
    positionals = [a.dest for a in parser._actions if not a.option_strings and a.dest != "help"]
    assert not {"out", "cache_dir", "algos"} & set(positionals)  # a results folder is always --out


def test_every_command_that_reads_or_writes_a_results_folder_takes_out():
    takes_out = {w for w, p in PARSERS.items() if any("--out" in a.option_strings for a in p._actions)}
    assert takes_out == set(PARSERS) - {"list", "compare", "dev perf"}


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["run", "dpo", "--device", "gpu", "--explain"], "argument --device: 'gpu': must be cpu, cuda or cuda:N"),
        (["sweep", "--seeds", "3-1", "--explain"], "argument --seeds: seeds '3-1': a range goes up, e.g. 0-3"),
        (["sweep", "--algos", ",", "--explain"], "argument --algos: ',': give at least one name"),
        (["leaderboard", "results/reference"], "unrecognized arguments: results/reference"),
        (["dev", "perf", "--dir", "x"], "unrecognized arguments: --dir x"),
        (["noise", "--algo", "dpo"], "unrecognized arguments"),
    ],
)
def test_bad_input_on_the_command_line_is_one_line_and_exit_2(argv, expected, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("pobench: error: ") and err.count("\n") == 1 and expected in err, err


def test_seeds_take_lists_and_ranges_everywhere():
    assert options.seeds("0-3") == [0, 1, 2, 3] and options.seeds("0-2,5,1") == [0, 1, 2, 5]
    args = PARSERS["sweep"].parse_args(["--seeds", "0-3"])
    assert args.seeds == [0, 1, 2, 3]
    assert PARSERS["noise"].parse_args(["--seeds", "0-19"]).seeds == list(range(20))
    assert PARSERS["validate"].parse_args(["--algos", "dpo", "--seeds", "0-1"]).seeds == [0, 1]


def test_device_accepts_cpu_cuda_and_an_index():
    assert [options.device(d) for d in ("cpu", "CUDA", "cuda:1")] == ["cpu", "cuda", "cuda:1"]


def test_version(capsys):
    from pobench.cli import package_version

    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0 and capsys.readouterr().out.strip() == f"pobench {package_version()}"
    assert package_version() == "0.2.0"


def test_a_sweep_with_two_meanings_of_one_name_is_refused_with_the_qualified_forms(capsys):
    assert main(["sweep", "--algos", "dpo,cpo", "--no-frontier", "--set", "beta=0.5", "--explain"]) == 2
    err = capsys.readouterr().err
    assert "--set beta: means different settings in this sweep's algorithms (dpo: β, the strength" in err
    assert "; cpo: β: scale of the policy's log-likelihood margin" in err and "e.g. dpo.beta, cpo.beta" in err
    # one meaning: DPO, IPO and KTO declare the same KL strength; the policy's learning rate is one setting too
    assert main(["sweep", "--algos", "dpo,ipo,kto", "--no-frontier", "--set", "beta=0.5", "--explain"]) == 0
    assert main(["sweep", "--algos", "dpo,ppo", "--no-frontier", "--set", "learning_rate=1e-3", "--explain"]) == 0
    # qualified, each algorithm gets its own
    assert main(["sweep", "--algos", "dpo,cpo", "--no-frontier", "--set", "dpo.beta=0.5", "--explain"]) == 0


def test_simpos_margin_is_no_longer_ppos_discount(capsys):
    assert main(["sweep", "--algos", "simpo,ppo", "--no-frontier", "--set", "gamma=0.9", "--explain"]) == 0
    out = capsys.readouterr().out
    simpo, ppo = out.split("ppo | sentiment")[0], out.split("ppo | sentiment")[1]
    assert "gamma" not in simpo.split("simpo | sentiment")[1] and "gamma  0.9" in ppo
    assert main(["sweep", "--algos", "simpo", "--no-frontier", "--set", "simpo_gamma=0.5", "--explain"]) == 0
    assert "simpo_gamma  0.5" in capsys.readouterr().out
