"""Where every setting came from: resolution keeps each value's source, `pobench run/sweep --explain` print them,
and `pobench show RECORD` reads them back (docs/commands.md, "Where a setting came from")."""

from __future__ import annotations

import json
import re
from dataclasses import replace

from pobench.cli import main
from pobench.core.record import RunRecord, write_record
from pobench.harness.grid import SweepConfig, expand, resolve_cells, resolve_grid
from pobench.harness.placement import placed_cell
from pobench.harness.spec import resolve_spec
from pobench.harness.validate import plan

from tests.helpers import ROOT


def test_each_value_names_its_source():
    spec, _ = resolve_spec("ppo", "exact", "tabular", 0, {"kl_coef": "0.1", "data_pairs": "512"})
    assert spec.sources["kl_coef"] == "--set"
    assert spec.sources["data_pairs"] == "--set"  # the user's value wins over the preset's 65536, and says so
    assert spec.sources["learning_rate"] == "model preset tabular, learning rate of ppo"
    assert spec.sources["critic_learning_rate"] == "model preset tabular"
    assert spec.sources["clip_eps"] == spec.sources["eval_samples"] == "default"
    assert set(spec.sources) == set(spec.flat()) - {"algo", "task", "task_version", "model", "seed"}
    dpo, _ = resolve_spec("dpo", "exact", "tabular", 0, {})
    assert dpo.sources["learning_rate"] == "model preset tabular, learning rate of offline"


def test_a_sweep_names_its_grid_and_the_frontier():
    config = SweepConfig(algos=["dpo", "kto", "ppo"], seeds=[0])
    config.add_assignment("dpo.learning_rate=1e-3,2e-3", "--set")
    config.add_assignment("epochs=2", "sweep.yaml: set")
    cells = resolve_grid(config)
    dpo = next(spec for cell, spec, _ in cells if cell.algo == "dpo")
    kto = next(spec for cell, spec, _ in cells if cell.algo == "kto")
    ppo = next(spec for cell, spec, _ in cells if cell.algo == "ppo")
    assert dpo.sources["learning_rate"] == "sweep grid (--set dpo.learning_rate)"
    assert dpo.sources["epochs"] == "sweep grid (sweep.yaml: set epochs)"
    assert dpo.sources["beta"] == "default"
    # on tiny the DPO family's frontier runs over the rate (its preset), PPO's over the adapter's kl_coef
    assert kto.sources["learning_rate"] == "frontier grid (model preset tiny)" and kto.sources["beta"] == "default"
    assert ppo.sources["kl_coef"] == "frontier grid (adapter ppo)"


def test_an_extra_cell_names_the_placement():
    config = SweepConfig(algos=["ppo"], seeds=[0])
    parent = next(cell for cell in expand(config) if dict(cell.overrides)["kl_coef"] == "0.1")
    extra = placed_cell(parent, "kl_coef", "0.2")
    assert dict(extra.overrides)["kl_coef"] == "0.2" and extra != parent
    spec = resolve_cells(config, [extra])[0][1]
    assert spec.sources["kl_coef"] == "extra cell (placed after the grid)"
    assert resolve_cells(config, [parent])[0][1].sources["kl_coef"] == "frontier grid (adapter ppo)"
    assert replace(parent, sources=()) == parent  # where a value came from is not part of the cell


def test_validation_names_its_recipe():
    spec = plan("dpo", [0], {"beta": "0.5"}).cells[0][0]
    assert spec.sources["beta"] == "--set"
    assert spec.sources["eval_samples"] == "validation recipe"
    assert spec.eval.eval_checkpoints == 0 and spec.sources["eval_checkpoints"] == "validation recipe"  # the end


def test_run_explain_prints_every_source_and_runs_nothing(tmp_path, capsys):
    assert main(["run", "dpo", "--set", "beta=0.3", "--out", str(tmp_path), "--explain"]) == 0
    out = capsys.readouterr().out
    assert "dpo | sentiment | tiny | seed 0" in out
    lines = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert lines["beta"].split()[1:] == ["0.3", "--set"] and lines["epochs"].split()[1:] == ["1", "default"]
    assert not (tmp_path / "records").exists()


def test_sweep_explain_lists_what_is_not_default(tmp_path, capsys):
    argv = ["sweep", "--algos", "ipo", "--seeds", "0,1", "--set", "epochs=2", "--out", str(tmp_path), "--explain"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.count("ipo learning_rate=") == 4 and out.count("sweep grid (--set epochs)") == 4
    assert "4 cells; every setting not listed is at its default" in out
    assert not (tmp_path / "records").exists()


def test_show_a_record_prints_its_sources_and_what_the_adapter_reported(tmp_path, capsys):
    committed = sorted((ROOT / "results" / "reference" / "records").glob("ppo-*.json"))[0]
    # a record as written before sources and the adapter's report were kept
    old = replace(RunRecord.from_json(json.loads(committed.read_text())), settings_source={}, train_extra={})
    old_path = write_record(tmp_path / "old", old)
    assert main(["show", "--record", str(old_path)]) == 0
    assert re.search(r"kl_coef +[0-9.e-]+ +\(source not recorded\)", capsys.readouterr().out)

    mine = replace(old, settings_source={k: "default" for k in old.spec if k in old.hparams})
    mine.settings_source["kl_coef"] = "frontier grid (adapter ppo)"
    mine.train_extra = {"final_kl_coef": 0.0731}
    path = write_record(tmp_path / "new", mine)
    assert main(["show", "--record", str(path)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"kl_coef +[0-9.e-]+ +frontier grid \(adapter ppo\)", out)
    assert re.search(r"updates +60 +default", out) and "final_kl_coef: 0.0731" in out
    assert json.loads(path.read_text())["train_extra"] == {"final_kl_coef": 0.0731}

    old_path.write_text("{broken")
    assert main(["show", "--record", str(old_path)]) == 2
    assert f"pobench: error: --record {old_path}: not a readable record" in capsys.readouterr().err
