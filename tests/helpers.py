"""Helpers that several test modules share: records made by hand, adapters that fail, the adapter contract,
and offline wandb runs read back. Tests import helpers from here, never from each other."""

from __future__ import annotations

import json
import math
import struct
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from pobench.algorithms import ALGORITHMS
from pobench.cli import main
from pobench.contracts.adapter import Adapter
from pobench.core.models import load_tokenizer
from pobench.core.record import RunRecord, read_records
from pobench.core.tokenizer import train_bpe_tokenizer
from pobench.harness.pipeline import run_cell
from pobench.harness.spec import resolve_spec
from transformers import LlamaConfig, LlamaForSequenceClassification

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent

# --- records made by hand (leaderboards, pages, `pobench show`) ---


def knob_record(algo, seed, metrics: dict, beta=0.1, status="ok", reference_rewards=None) -> RunRecord:
    """A record of ``algo`` at knob value ``beta`` (one configuration per value), task sentiment v2, model tiny,
    comparability key K: the headline's tests build their grids from these."""
    return RunRecord(
        spec={"algo": algo, "seed": seed},
        spec_hash=f"{algo}{seed}{beta}",
        algo=algo,
        hparams={"beta": beta},
        task="sentiment",
        task_version="2",
        model="tiny",
        seed=seed,
        status=status,
        comparability_key="K",
        metrics=metrics,
        reference_rewards=reference_rewards or [],
    )


def record(algo, seed, reward, kl, status="ok", key="K1", hparams=None, length=10.0) -> RunRecord:
    metrics = (
        {
            "eval/reward": reward,
            "eval/kl": kl,
            "eval/length": length,
            "eval/truncation_rate": 0.0,
            "eval/win_rate": 0.5,
            "perf/train_tokens_per_s": 1000.0,
            "perf/train_time_s": 2.0,
        }
        if status == "ok"
        else {"train/loss": math.nan}
    )
    return RunRecord(
        spec={"algo": algo, "seed": seed},
        spec_hash=f"{algo}{seed}",
        algo=algo,
        hparams=hparams or {},
        task="sentiment",
        task_version="1",
        model="tiny",
        seed=seed,
        status=status,
        comparability_key=key,
        metrics=metrics,
    )


def hand_made_records() -> list[RunRecord]:
    return [
        record("dpo", 0, 0.3, 1.0),
        record("dpo", 1, 0.4, 2.0),
        record("dpo", 2, 0.5, 3.0),
        record("ipo", 0, 0.2, 0.5),
        record("ipo", 1, 0.2, 0.5),
        record("cpo", 0, 0.1, 5.0),
        record("sft", 0, 0.1, 0.0),
        record("sft", 1, 0.1, 0.0),
        record("ipo", 2, math.nan, math.nan, status="diverged"),
        record("kto", 0, math.nan, math.nan, status="failed"),
        record("dpo", 0, 0.9, 0.1, key="K2"),  # another comparability key: never in K1's table
    ]


# --- adapters that fail (a cell's failure is recorded) ---


class RaisingAdapter(Adapter):
    description = "test adapter that fails"
    data = "none"

    def train(self, ctx):
        raise RuntimeError("adapter exploded")


# --- the adapter contract: what every registered adapter's smoke run must give ---


METRICS = (
    "eval/reward",
    "eval/reward_se",
    "eval/kl",
    "eval/kl_se",
    "eval/kl_per_token",
    "eval/length",
    "eval/truncation_rate",
    "eval/win_rate",
    "eval/win_rate_se",
    "perf/train_tokens_per_s",
    "perf/train_samples_per_s",
    "perf/train_time_s",
    "perf/gen_tokens_per_s",
    "perf/eval_time_s",
    "perf/peak_mem_mb",
)

SMALL_BUDGET = {"train_examples": "64", "eval_prompts": "16", "eval_samples": "2"}  # 8 steps at batch 8
PINNED_METRIC = "train/loss"


def smoke_runs_of(name: str, cache: Path, make_dir) -> list[RunRecord]:
    """The adapter run twice with the same seed on a small budget (plus its own ``smoke`` settings)."""
    spec, source = resolve_spec(name, "sentiment", "tiny", 0, {**SMALL_BUDGET, **ALGORITHMS.get(name).smoke})
    return [
        run_cell(spec, source, make_dir(f"{name}-{i}"), cache, device="cpu", log=lambda _: None)[0] for i in range(2)
    ]


def assert_meets_contract(name: str, runs: list[RunRecord]) -> None:
    record = runs[0]
    assert record.status == "ok", record.error
    assert set(METRICS) <= set(record.metrics) and all(math.isfinite(v) for v in record.metrics.values())
    assert record.samples and any(s["completion"].strip() for s in record.samples)  # the policy generates
    assert record.comparability_key and record.artifacts["data"]["fingerprint"]
    if ALGORITHMS.get(name).trains:
        assert record.curve and record.metrics["perf/train_steps"] > 0 and record.metrics["perf/train_tokens"] > 0
    adapter = ALGORITHMS.get(name)()
    if adapter.reward_model_settings(adapter.hparams(**record.hparams)) is not None:  # built in prepare, recorded
        assert 0.0 <= record.artifacts["reward_model"]["heldout_accuracy"] <= 1.0
    # the same seed gives identical metrics and the same curve
    quality = [{k: v for k, v in r.metrics.items() if k.startswith("eval/")} for r in runs]
    assert quality[0] == quality[1]
    assert [row.get(PINNED_METRIC) for row in runs[0].curve] == [row.get(PINNED_METRIC) for row in runs[1].curve]


# --- preference files and dataset copies on disk ---

WORDS = ["good", "great", "nice", "bad", "awful", "poor"]


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def pairs(n=60):
    return [
        {
            "prompt": f"rate item {i} :",
            "chosen": f"{WORDS[i % 3]} and {WORDS[(i + 1) % 3]} .",
            "rejected": WORDS[3 + i % 3],
        }
        for i in range(n)
    ]


TOPICS = ["tea", "rain", "maps", "jazz", "cats", "trains", "bread", "snow", "kites", "clocks", "boats", "bees"]


def hh_rows(n=40):  # Anthropic/hh-rlhf: two full transcripts that differ in the last assistant reply
    rows = []
    for i in range(n):
        history = (
            f"\n\nHuman: tell me about {TOPICS[i % 12]} {i}\n\nAssistant: sure .\n\nHuman: more please\n\nAssistant:"
        )
        rows.append({"chosen": history + " it is lovely and kind .", "rejected": history + " no ."})
    return rows


def write_imdb(n=60):
    folder = Path(tempfile.mkdtemp())
    good = ["wonderful", "lovely", "great", "moving"]
    bad = ["dull", "awful", "boring", "weak"]
    rows = [
        {
            "text": f"this film about {TOPICS[i % 12]} number {i} was "
            + " ".join((good if i % 2 else bad)[j % 4] for j in range(i % 5, i % 5 + 12))
            + " <br /><br /> the end .",
            "label": i % 2,
        }
        for i in range(n)
    ]
    path = folder / "imdb.parquet"
    pd.DataFrame(rows).to_parquet(path)
    return path


def tiny_classifier(folder):
    """A 2-label sequence classifier with its own small tokenizer, saved as a local folder."""
    train_bpe_tokenizer(["a lovely and wonderful film", "a dull and boring film"] * 50, 300, folder)
    tok = load_tokenizer(folder)
    config = LlamaConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                         num_attention_heads=2, num_key_value_heads=2, pad_token_id=tok.pad_token_id, num_labels=2,
                         id2label={0: "NEGATIVE", 1: "POSITIVE"}, label2id={"NEGATIVE": 0, "POSITIVE": 1})  # fmt: skip
    LlamaForSequenceClassification(config).save_pretrained(folder)
    return folder


# --- a small sweep through the CLI ---

SMALL = ["--set", "train_examples=64", "--set", "eval_prompts=16", "--set", "eval_samples=2"]


def sweep(out: Path, cache: Path, algos: str, *extra: str) -> int:
    return main(
        [
            "sweep",
            "--algos",
            algos,
            "--seeds",
            "0",
            "--no-frontier",
            *SMALL,
            "--out",
            str(out),
            "--cache",
            str(cache),
            "--quiet",
            *extra,
        ]
    )


# --- offline wandb runs, read back from their transaction log ---
# Offline wandb 0.31 writes no summary file; everything is in the transaction log, a LevelDB-style
# log (github.com/google/leveldb/blob/main/doc/log_format.md) after a 7-byte header ``:W&B``,
# magic 0xBEE1, version 0. Blocks are 32 KiB; a record is checksum (4), length (2), type (1), data;
# type 1 is a whole record, 2/3/4 the first/middle/last piece of one split across blocks.

BLOCK = 32768
HEADER = 7
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4


def raw_records(path: Path) -> list[bytes]:
    data = Path(path).read_bytes()
    ident, magic, version = struct.unpack("<4sHB", data[:HEADER])
    assert (ident, magic, version) == (b":W&B", 0xBEE1, 0), (ident, magic, version)
    out, pending, pos = [], b"", HEADER
    while pos + HEADER <= len(data):
        left = BLOCK - pos % BLOCK
        if left < HEADER:  # a block's trailer: too short for a header, zero-filled
            pos += left
            continue
        _, length, kind = struct.unpack("<IHB", data[pos : pos + HEADER])
        if kind == 0 and length == 0:  # zero padding to the end of the block
            pos += left
            continue
        chunk = data[pos + HEADER : pos + HEADER + length]
        pos += HEADER + length
        if kind == FULL:
            out.append(chunk)
        elif kind == FIRST:
            pending = chunk
        elif kind == MIDDLE:
            pending += chunk
        elif kind == LAST:
            out.append(pending + chunk)
            pending = b""
    return out


@dataclass
class OfflineRun:
    """What a test needs from one offline run."""

    folder: Path
    name: str = ""
    group: str = ""
    job_type: str = ""
    tags: list[str] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    exit_code: int | None = None

    def table(self, key: str) -> dict[str, Any]:
        """A logged wandb.Table (its JSON file under files/), by history key. A logged object arrives as
        nested keys (``KEY/_type``, ``KEY/path``, ...)."""
        row = next(row for row in self.history if f"{key}/path" in row)
        assert row[f"{key}/_type"] == "table-file"
        return json.loads((self.folder / "files" / row[f"{key}/path"]).read_text())


def _items(update) -> dict[str, Any]:
    out = {}
    for item in update:
        key = "/".join(item.nested_key) if item.nested_key else item.key
        out[key] = json.loads(item.value_json)
    return out


def read_run(folder: Path) -> OfflineRun:
    from wandb.proto import wandb_internal_pb2

    (log,) = Path(folder).glob("run-*.wandb")
    run = OfflineRun(folder=Path(folder))
    for data in raw_records(log):
        record = wandb_internal_pb2.Record()
        record.ParseFromString(data)
        kind = record.WhichOneof("record_type")
        if kind == "run":
            r = record.run
            run.name, run.group, run.job_type, run.tags = r.display_name, r.run_group, r.job_type, list(r.tags)
            run.config.update(_items(r.config.update))
        elif kind == "config":
            run.config.update(_items(record.config.update))
        elif kind == "history":
            run.history.append(_items(record.history.item))
        elif kind == "summary":
            run.summary.update(_items(record.summary.update))
        elif kind == "exit":
            run.exit_code = record.exit.exit_code
    return run


def read_runs(out_dir: Path) -> list[OfflineRun]:
    return [read_run(p) for p in sorted((Path(out_dir) / "wandb").glob("offline-run-*"))]


def sweep_runs(out: Path) -> tuple[dict[str, RunRecord], dict[str, OfflineRun]]:
    """A sweep's records by algorithm (one cell each) and its offline wandb runs by name."""
    return {r.algo: r for r in read_records(out)}, {run.name: run for run in read_runs(out)}


def assert_run_matches_record(run: OfflineRun, record: RunRecord) -> None:
    """A cell's wandb run holds what its record does: config = the flat resolved spec plus the comparability key
    (so group-by and scatter work unedited), summary = every final metric, as recorded."""
    for key, value in {**record.spec, "comparability_key": record.comparability_key}.items():
        assert run.config[key] == value, key
    for key, value in record.metrics.items():
        assert run.summary[key] == pytest.approx(value, nan_ok=True), key


def word_level_llama(folder: Path, words=("go", "red", "blue")):
    """A seeded 1-layer Llama on a word-level tokenizer of ``words`` (7 tokens for three): an enumerable model
    small enough for unit tests. Returns (model in eval mode, tokenizer)."""
    import torch
    from pobench.core.tokenizer import word_level_tokenizer
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    word_level_tokenizer(list(words), folder)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2,
        num_key_value_heads=2, eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
    )  # fmt: skip
    return LlamaForCausalLM(config).eval(), tokenizer


# --- preference pairs written by hand (the TRL parity and FLOP-count checks) ---

# pairs of different lengths (so averaging and summing differ), chosen before rejected
HAND_PAIRS = [
    ("the plot felt", " warm and lovely .", " dull ."),
    ("this movie is", " great fun .", " a boring mess of a film ."),
    ("the acting was", " superb and moving .", " bad ."),
    ("i thought it", " was a joy to watch .", " was awful ."),
    ("the ending", " is wonderful .", " is terrible and slow ."),
    ("the music", " was lovely .", " was dull and loud ."),
    ("overall the film", " is a delight .", " is weak ."),
    ("the story", " moved me .", " made no sense at all ."),
]


def write_hand_pairs(folder: Path) -> Path:
    """``HAND_PAIRS`` as pobench's preference data in ``folder`` (created): pairs.jsonl and its unpaired view."""
    from pobench.kit.preference import PAIRS, UNPAIRED, unpaired_view, write_jsonl

    folder.mkdir(parents=True, exist_ok=True)
    pairs = [
        {"prompt": p, "chosen": c, "rejected": r, "gold_chosen": 1.0, "gold_rejected": 0.0} for p, c, r in HAND_PAIRS
    ]
    write_jsonl(folder / PAIRS, pairs)
    write_jsonl(folder / UNPAIRED, unpaired_view(pairs))
    return folder
