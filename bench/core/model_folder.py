"""What a local model folder must hold, checked before any work: a folder that lacks a part fails minutes later
inside transformers with a message about something else (a 30-line traceback ending in "You need to have
sentencepiece or tiktoken installed" for a folder with no tokenizer at all)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

HOLDS = (
    "a model folder holds what save_pretrained writes for a causal LM and its tokenizer: config.json, the weights "
    "(model.safetensors or pytorch_model.bin, or their shards and index) and the tokenizer (tokenizer.json, or "
    "tokenizer_config.json with its vocabulary files)"
)
WEIGHTS = ("model.safetensors", "pytorch_model.bin", "model.safetensors.index.json", "pytorch_model.bin.index.json")
FAST_TOKENIZER = "tokenizer.json"
SLOW_TOKENIZERS = {  # a vocabulary file of a slow tokenizer → the package that converts it to a fast one
    "tokenizer.model": "sentencepiece",
    "spiece.model": "sentencepiece",
    "sentencepiece.bpe.model": "sentencepiece",
    "tiktoken.model": "tiktoken",
}
BPE_VOCABULARY = ("vocab.json", "merges.txt")  # a GPT-2-style tokenizer, loadable without extra packages


def folder_problem(folder: Path, installed=lambda name: importlib.util.find_spec(name) is not None) -> str:
    """Why ``folder`` cannot serve as a model (one line naming what is missing, what a folder holds, and what to
    do), or "" where its parts are all there. ``installed``: whether a package can be imported."""
    names = {p.name for p in folder.iterdir()}
    missing = []
    if "config.json" not in names:
        missing.append("config.json")
    else:
        try:
            json.loads((folder / "config.json").read_text(encoding="utf-8"))
        except (ValueError, OSError) as exc:
            return f"model folder {folder}: config.json is not readable JSON ({exc}); {HOLDS}"
    if not names & set(WEIGHTS) and not any(n.endswith(".safetensors") for n in names):
        missing.append("weights (model.safetensors or pytorch_model.bin)")
    tokenizer = tokenizer_problem(names, installed)
    if tokenizer == "missing":
        missing.append("a tokenizer (tokenizer.json)")
    if missing:
        hint = (
            "; for the tokenizer, save the base model's there: AutoTokenizer.from_pretrained(ID).save_pretrained(DIR)"
        )
        hint = hint if tokenizer == "missing" else ""
        return f"model folder {folder} lacks {' and '.join(missing)}: {HOLDS}{hint}"
    if tokenizer:
        return f"model folder {folder}: {tokenizer}"
    return ""


def tokenizer_problem(names: set[str], installed) -> str:
    """ "" where the files make a tokenizer transformers can load here; "missing" where there is none; else what
    package the slow tokenizer's conversion needs."""
    if FAST_TOKENIZER in names or set(BPE_VOCABULARY) <= names:
        return ""
    for vocabulary, package in SLOW_TOKENIZERS.items():
        if vocabulary in names:
            if installed(package):
                return ""
            return (f"its tokenizer ({vocabulary}, no tokenizer.json) needs the package {package} to load: "
                    f"pip install {package}, or save a fast tokenizer there (tokenizer.json)")  # fmt: skip
    return "missing"
