"""Sweep grids: expansion, YAML configs, every grid error reported at once, and spec hashing."""

from __future__ import annotations

import pytest
from pobench.algorithms import ALGORITHMS
from pobench.cli import main
from pobench.core.models import preset_of
from pobench.core.params import SettingsError
from pobench.harness.grid import DEFAULT_ALGOS, SweepConfig, expand, load_config, resolve_cells

FRONTIER_SIZE_OF_BEST_OF_N = ["2", "4", "8", "16"]


def config(**kw) -> SweepConfig:
    cfg = SweepConfig(**{k: v for k, v in kw.items() if k != "sets"})
    for item in kw.get("sets", []):
        cfg.add_assignment(item, "--set")
    return cfg


def test_default_grid_is_the_frontier_benchmark():
    cells = expand(SweepConfig())
    assert {c.algo for c in cells} == set(DEFAULT_ALGOS) == {
        "sft", "best-of-n", "dpo", "ipo", "kto", "cpo", "orpo", "simpo", "ppo"
    }  # fmt: skip
    per_algo = {a: [dict(c.overrides) for c in cells if c.algo == a and c.seed == 0] for a in DEFAULT_ALGOS}
    assert per_algo["sft"] == [{}]  # the baseline has no knob
    tiny = preset_of("tiny")
    for algo in DEFAULT_ALGOS[2:]:  # the seven sweep their KL knob on tiny over two runs each, read along training
        cls = ALGORITHMS.get(algo)
        knob, grid = tiny.kl_knob(algo, cls), tiny.frontier_grid(algo, cls)
        assert [p[knob] for p in per_algo[algo]] == list(grid) and len(grid) == 2
    assert tiny.kl_knob("dpo", ALGORITHMS.get("dpo")) == "learning_rate" != ALGORITHMS.get("dpo").kl_knob
    assert per_algo["best-of-n"] == [{"n": n} for n in FRONTIER_SIZE_OF_BEST_OF_N]  # n's bound: no trajectory
    assert len(cells) == 4 * (1 + 4 + 7 * 2)
    assert sorted({c.seed for c in cells}) == [0, 1, 2, 3]
    assert all(c.task == "sentiment" and c.model == "tiny" for c in cells)


def test_a_knob_given_on_the_command_line_replaces_the_frontier_grid_and_no_frontier_gives_one_point():
    cells = expand(config(algos=["dpo", "ipo"], seeds=[0], sets=["dpo.learning_rate=5e-4"]))
    assert [dict(c.overrides) for c in cells if c.algo == "dpo"] == [{"learning_rate": "5e-4"}]
    assert len([c for c in cells if c.algo == "ipo"]) == 2
    # on tiny DPO's frontier runs over the learning rate: a β given is one more setting of each of its runs
    cells = expand(config(algos=["dpo"], seeds=[0], sets=["dpo.beta=0.5"]))
    assert [dict(c.overrides) for c in cells] == [{"beta": "0.5", "learning_rate": v} for v in ("3e-4", "1e-3")]
    cells = expand(config(algos=["dpo", "ipo"], seeds=[0], frontier=False))
    assert [c.overrides for c in cells] == [(), ()]


def test_grid_values_multiply_per_algorithm_and_shared_keys_reach_only_who_has_them():
    cfg = config(
        algos=["sft", "dpo", "kto"],
        seeds=[0, 1],
        frontier=False,
        sets=["dpo.beta=0.05,0.1,0.5", "train_examples=64", "desirable_weight=1,2"],
    )
    cells = expand(cfg)
    per_seed = {c.algo: [] for c in cells}
    for c in cells:
        if c.seed == 0:
            per_seed[c.algo].append(dict(c.overrides))
    assert per_seed["sft"] == [{"train_examples": "64"}]  # a shared setting applies everywhere
    assert [p["beta"] for p in per_seed["dpo"]] == ["0.05", "0.1", "0.5"]  # dpo's own grid
    assert "desirable_weight" not in per_seed["dpo"][0]  # KTO's key does not reach DPO
    assert [p["desirable_weight"] for p in per_seed["kto"]] == ["1", "2"]
    assert len(cells) == 2 * (1 + 3 + 2)
    assert cells[1].label.startswith("dpo beta=0.05 |")  # labels show what varies, not what is fixed
    assert "train_examples" not in cells[1].label


def test_yaml_config_and_flags_over_it(tmp_path):
    path = tmp_path / "sweep.yaml"
    path.write_text(
        "name: betas\nalgos: [dpo, ipo]\nseeds: 0,1\nset:\n  dpo.beta: [0.1, 0.3]\n  train_examples: 32\n"
        "out: results/betas\nfrontier: false\n"
    )
    cfg = load_config(path)
    assert (cfg.name, cfg.algos, cfg.seeds, cfg.out) == ("betas", ["dpo", "ipo"], [0, 1], "results/betas")
    assert cfg.grid == {"dpo": {"beta": ["0.1", "0.3"]}, "*": {"train_examples": ["32"]}}
    assert cfg.frontier is False
    path.write_text("seeds: [0-2, 5]\n")  # ranges, as on the command line
    assert load_config(path).seeds == [0, 1, 2, 5]
    assert len(expand(cfg)) == 2 * (2 + 1)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("algos: [dpo]\nsteps: 3\n", "unknown key 'steps'"),
        ("- dpo\n", "expected a mapping"),
        ("algos: [dpo\n", "not valid YAML"),
        ("set: [beta]\n", "'set' must map"),
    ],
)
def test_bad_yaml_names_the_file_and_the_problem(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(SettingsError, match=message) as err:
        load_config(path)
    assert str(path) in str(err.value)


def test_every_problem_in_the_grid_is_reported_before_anything_runs():
    cfg = config(
        algos=["dpo", "dpoo", "kto"],
        seeds=[0],
        sets=["dpo.beta=0.1,abc", "kto.betta=0.1", "ipo.beta=0.2", "warmup=0.1"],
    )
    with pytest.raises(SettingsError) as err:
        resolve_cells(cfg, expand(cfg))
    text = str(err.value)
    assert "nothing was run" in text
    assert "unknown algorithm 'dpoo'; did you mean 'dpo'?" in text
    assert "'abc': not a valid float" in text
    assert "has no setting 'betta'; did you mean 'beta'?" in text
    assert "'ipo' is not one of this sweep's algorithms" in text
    assert "--set warmup: no algorithm in this sweep" in text
    assert text.count("\n") == 5  # five problems, one line each, none repeated per seed or cell


def test_malformed_assignment_and_seed():
    with pytest.raises(SettingsError, match="expected \\[ALGO.\\]KEY=VALUE"):
        config(sets=["dpo.beta"])
    with pytest.raises(SettingsError, match="non-negative integer"):
        expand(config(seeds=["x"]))
    with pytest.raises(SettingsError, match="non-empty"):
        config(sets=["dpo.beta=0.1,"])


def test_same_cell_given_twice_is_an_error():
    cfg = config(algos=["dpo"], seeds=[0], sets=["dpo.beta=0.1,0.10"])
    with pytest.raises(SettingsError, match="are the same cell"):
        resolve_cells(cfg, expand(cfg))


def test_hash_is_stable_and_changes_with_any_setting():
    cfg = config(algos=["dpo", "ipo"], seeds=[0, 1], sets=["dpo.beta=0.1,0.2"], frontier=False)
    first = [spec.hash() for _, spec, _ in resolve_cells(cfg, expand(cfg))]
    again = [spec.hash() for _, spec, _ in resolve_cells(cfg, expand(cfg))]
    assert first == again and len(set(first)) == len(first) == 6
    changed = config(algos=["dpo", "ipo"], seeds=[0, 1], sets=["dpo.beta=0.1,0.2", "eval_samples=2"])
    assert not set(first) & {spec.hash() for _, spec, _ in resolve_cells(changed, expand(changed))}


def test_a_yaml_grid_with_several_problems_lists_them_all_in_one_message(tmp_path, capsys):
    path = tmp_path / "grid.yaml"
    path.write_text("algos: [dpo, dpoo]\nseeds: [0, x]\nsteps: 3\nset:\n  kto.betta: 0.1\n  dpo.beta: [0.1, abc]\n")
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "pobench: error: the sweep's grid has 5 problem(s); nothing was run:"
    assert err[1:] == [
        f"  sweep config {path}: unknown key 'steps' "
        "(accepted: algos, extra_cells, frontier, models, name, out, seeds, set, tasks)",
        f"  sweep config {path}: seeds: seed 'x': must be a non-negative integer, e.g. 0",
        "  --set kto.*: 'kto' is not one of this sweep's algorithms (dpo, dpoo)",
        "  --set beta='abc': not a valid float",
        "  unknown algorithm 'dpoo'; did you mean 'dpo'? (registered: best-of-n, cpo, dpo, grpo, ipo, kto, orpo, ppo, "
        "rloo, sft, simpo)",
    ]
    assert not out.exists()
