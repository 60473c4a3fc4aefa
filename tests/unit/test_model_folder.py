"""A local model folder is checked before any work: what it lacks, what a folder holds, and the package a slow
tokenizer needs, in one line."""

import json

import pytest
from pobench.cli import main
from pobench.core.model_folder import folder_problem

CONFIG = {"model_type": "llama", "vocab_size": 64, "hidden_size": 8, "num_hidden_layers": 1}


def folder_with(tmp_path, *names, config=True):
    folder = tmp_path / "m"
    folder.mkdir()
    if config:
        (folder / "config.json").write_text(json.dumps(CONFIG))
    for name in names:
        (folder / name).write_text("x")
    return folder


def test_a_folder_with_only_a_config_names_the_weights_and_the_tokenizer(tmp_path):
    problem = folder_problem(folder_with(tmp_path))
    lacks = "lacks weights (model.safetensors or pytorch_model.bin) and a tokenizer (tokenizer.json)"
    assert problem.startswith(f"model folder {tmp_path / 'm'} {lacks}: a model folder holds what save_pretrained")
    assert "AutoTokenizer.from_pretrained(ID).save_pretrained(DIR)" in problem


@pytest.mark.parametrize(
    ("names", "config", "expected"),
    [
        (("model.safetensors", "tokenizer.json"), True, ""),
        (("model-00001-of-00002.safetensors", "vocab.json", "merges.txt"), True, ""),  # a shard, a GPT-2 tokenizer
        (("model.safetensors", "tokenizer.json"), False, "lacks config.json:"),
        (("pytorch_model.bin",), True, "lacks a tokenizer (tokenizer.json)"),
        (("tokenizer.json",), True, "lacks weights"),
    ],
)
def test_each_part_of_a_folder(tmp_path, names, config, expected):
    problem = folder_problem(folder_with(tmp_path, *names, config=config))
    assert (problem == "") if not expected else (expected in problem)


def test_a_slow_tokenizer_names_the_package_it_needs(tmp_path):
    folder = folder_with(tmp_path, "model.safetensors", "tokenizer.model", "tokenizer_config.json")
    assert folder_problem(folder, installed=lambda name: False) == (
        f"model folder {folder}: its tokenizer (tokenizer.model, no tokenizer.json) needs the package sentencepiece "
        "to load: pip install sentencepiece, or save a fast tokenizer there (tokenizer.json)"
    )
    assert folder_problem(folder, installed=lambda name: True) == ""


def test_a_config_that_is_not_json_is_named(tmp_path):
    folder = folder_with(tmp_path, "model.safetensors", "tokenizer.json", config=False)
    (folder / "config.json").write_text("{")
    assert folder_problem(folder).startswith(f"model folder {folder}: config.json is not readable JSON")


def test_run_on_an_incomplete_folder_stops_before_any_work(tmp_path, capsys):
    folder = folder_with(tmp_path)
    out = tmp_path / "out"
    assert main(["run", "dpo", "--model", str(folder), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"pobench: error: model folder {folder} lacks weights")
    assert not out.exists() and sorted(p.name for p in folder.iterdir()) == ["config.json"]
