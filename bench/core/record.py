"""The run record: one typed, versioned JSON document per cell, written atomically."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from pobench.core.atomic import TMP_PREFIX, write_json_atomic
from pobench.core.hashing import content_hash
from pobench.core.version import package_version

# 2 (pobench 0.2): settings named as TRL names them (simpo_gamma, cpo_alpha), proxy metrics under today's names, the
# degenerate rule applied; `pobench migrate DIR` brings a folder of schema-1 records to it (bench/harness/migrate.py)
SCHEMA_VERSION = 2
STATUSES = ("ok", "failed", "diverged", "interrupted", "degenerate")
# A cell that finished but whose policy no longer ends its text: at least this share of its evaluation samples cut at
# the task's length limit. What is scored is then a cut-off string, not a completion; the cell counts like diverged.
DEGENERATE_TRUNCATION = 0.95


def degenerate_reason(metrics: dict[str, float]) -> str | None:
    """Why a finished cell is degenerate (DEGENERATE_TRUNCATION), or None."""
    rate = metrics.get("eval/truncation_rate")
    if rate is None or not rate >= DEGENERATE_TRUNCATION:
        return None
    kl = metrics.get("eval/kl", float("nan"))
    return (
        f"{rate:.0%} of the evaluation samples cut at the length limit (KL {kl:.3g}): the policy no longer ends its "
        f"text (rule: at least {DEGENERATE_TRUNCATION:.0%})"
    )


def judged(record: RunRecord) -> RunRecord:
    """``record`` with status ``degenerate`` where an ``ok`` cell meets the rule: applied when a cell is recorded (and
    by ``pobench migrate`` to a record written before the rule)."""
    reason = degenerate_reason(record.metrics) if record.status == "ok" else None
    if reason is not None:
        record.status, record.error = "degenerate", f"evaluate: {reason}"
    return record


@dataclass
class RunRecord:
    spec: dict[str, Any]  # the resolved spec, flat keys
    spec_hash: str
    algo: str
    hparams: dict[str, Any]
    task: str
    task_version: str
    model: str
    seed: int
    status: str  # one of STATUSES
    comparability_key: str = ""  # records rank together only when this matches
    artifacts: dict[str, Any] = field(default_factory=dict)  # cache keys and data fingerprints
    metrics: dict[str, float] = field(default_factory=dict)
    curve: list[dict[str, Any]] = field(default_factory=list)
    samples: list[dict[str, Any]] = field(default_factory=list)
    # gold rewards of extra reference samples, one list per eval prompt (SFT baseline: the optimal frontier)
    reference_rewards: list[list[float]] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    # the frontier along training: {step, reward, reward_se, kl, kl_se, proxy_reward, ...} per scored checkpoint, in
    # step order, the end of training last (pobench.harness.checkpoints); empty where scored at the end alone
    trajectory: list[dict[str, float]] = field(default_factory=list)
    error: str | None = None  # one line: "stage: ExceptionType: message"
    traceback: str | None = None
    environment: dict[str, Any] = field(default_factory=dict)
    settings_source: dict[str, str] = field(default_factory=dict)  # setting -> where its value came from
    train_extra: dict[str, Any] = field(default_factory=dict)  # what the adapter reported (TrainResult.extra)
    created_at: str = ""
    schema_version: int = SCHEMA_VERSION

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any], folder: Path | str = "RESULTS-FOLDER") -> RunRecord:
        """The record in ``data``; ValueError naming what to do where another schema wrote it (``folder``: the
        results folder it came from, for the command that migrates it)."""
        problem = schema_problem(data, folder)
        if problem:
            raise ValueError(problem)
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


def schema_problem(data: dict[str, Any], folder: Path | str = "RESULTS-FOLDER") -> str:
    """Why this pobench cannot read a record of another schema, and what reads it; "" for today's schema."""
    version = data.get("schema_version")
    if version == SCHEMA_VERSION:
        return ""
    if not isinstance(version, int) or isinstance(version, bool):
        return f"record schema_version {version!r}: not a pobench record schema (this pobench reads {SCHEMA_VERSION})"
    packages = data.get("environment", {}).get("packages", {}) if isinstance(data.get("environment"), dict) else {}
    writer = f"pobench {packages['pobench']}" if isinstance(packages, dict) and packages.get("pobench") else "a pobench"
    this = f"this pobench {package_version()} (schema {SCHEMA_VERSION})"
    if version > SCHEMA_VERSION:
        return f"written by {writer} (schema {version}), newer than {this}: upgrade pobench to read it"
    return (f"written by {writer} (schema {version}), older than {this}: `pobench migrate --out {folder}` rewrites "
            f"the folder's records in schema {SCHEMA_VERSION}, once")  # fmt: skip


def comparability_key(shared_settings: dict[str, Any], data_identity: str | None, reference_key: str) -> str:
    """Task + version, model (as its SFT artifact), the data (a file's fingerprint, or how pairs are sampled),
    eval settings, budget, and what a cell learns from where it is not the preference data (an oracle)."""
    return content_hash({"settings": shared_settings, "data": data_identity, "reference": reference_key})


def record_path(out_dir: Path, spec: dict[str, Any], spec_hash: str) -> Path:
    name = f"{spec['algo']}-{spec['task']}-{spec['model']}-seed{spec['seed']}-{spec_hash[:10]}.json"
    return Path(out_dir) / "records" / re.sub(r"[^A-Za-z0-9_.=-]+", "_", name)


def write_record(out_dir: Path, record: RunRecord) -> Path:
    path = record_path(out_dir, record.spec, record.spec_hash)
    write_json_atomic(path, record.to_json())
    return path


def read_record(path: Path) -> RunRecord:
    """The record in ``path``; ValueError or TypeError if it does not parse (another schema version included),
    OSError if it cannot be read."""
    return RunRecord.from_json(json.loads(Path(path).read_text(encoding="utf-8")), folder=Path(path).parent.parent)


def read_records(out_dir: Path, warn: Callable[[str], None] | None = None) -> list[RunRecord]:
    """Every finished record under ``out_dir/records``. Temporary files from a crash are not records; a file
    that does not parse (edited by hand, another schema version) or cannot be read is skipped with a warning naming
    it, and the rest are read."""
    folder = Path(out_dir) / "records"
    if not folder.is_dir():
        return []
    warn = warn or (lambda text: print(text, file=sys.stderr))
    records = []
    for path in sorted(folder.glob("*.json")):
        if path.name.startswith(TMP_PREFIX):
            continue
        try:
            records.append(read_record(path))
        except (ValueError, TypeError) as exc:  # not JSON, not UTF-8, another schema, missing fields
            warn(f"pobench: warning: skipping {path}: not a readable record ({exc})")
        except OSError as exc:  # permission denied, a folder named like a record, an I/O error
            warn(f"pobench: warning: skipping {path}: cannot be read ({exc.strerror or exc})")
    return records
