"""Read an offline wandb run back: the records of its ``run-ID.wandb`` file, parsed with wandb's own protobufs.

Offline wandb 0.31 writes no summary file; everything is in the transaction log, a LevelDB-style
log (github.com/google/leveldb/blob/main/doc/log_format.md) after a 7-byte header ``:W&B``,
magic 0xBEE1, version 0. Blocks are 32 KiB; a record is checksum (4), length (2), type (1), data;
type 1 is a whole record, 2/3/4 the first/middle/last piece of one split across blocks.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
