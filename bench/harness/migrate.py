"""``pobench migrate --out DIR``: rewrite the records of a results folder in today's schema, once.

Schema 1 → 2 (pobench 0.1 → 0.2):

- settings renamed to TRL's names, so that one name has one meaning (``RENAMES``): SimPO's ``gamma`` is
  ``simpo_gamma``, CPO's ``nll_weight`` is ``cpo_alpha``; a renamed record gets the spec hash, and the file name, a
  cell of today's pobench has, so a sweep resumes over it;
- the proxy metrics under today's names: before every cell was scored by its seed's reward model, PPO and best-of-n
  recorded their own reward model's raw score as ``eval/proxy_reward``; it is ``eval/proxy_score`` now;
- the degenerate rule (bench/core/record.py ``judged``) applied to cells recorded before it.

Readers of schema 2 apply none of this: a schema-1 record is refused with the command that migrates it. Running
migrate again changes nothing (a record already at today's schema is left as it is). Each record is written
atomically before the old file is removed: a crash between the two leaves the old file beside the new one (readers
skip it, naming it), and migrating again removes it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pobench.core.atomic import TMP_PREFIX
from pobench.core.record import SCHEMA_VERSION, RunRecord, judged, write_record
from pobench.harness.spec import spec_hash_of

# algorithm -> {old setting name: new}
RENAMES: dict[str, dict[str, str]] = {"simpo": {"gamma": "simpo_gamma"}, "cpo": {"nll_weight": "cpo_alpha"}}


@dataclass
class Migration:
    migrated: list[Path] = field(default_factory=list)  # the records' new paths
    current: int = 0  # records already at today's schema
    skipped: list[str] = field(default_factory=list)  # files that are not readable records, with why


def migrate(out: Path, log: Callable[[str], None] = print) -> Migration:
    """Every record under ``out/records`` brought to SCHEMA_VERSION (see the module's docstring)."""
    result = Migration()
    folder = Path(out) / "records"
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        if path.name.startswith(TMP_PREFIX):
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            version = data.get("schema_version")
        except (OSError, ValueError, AttributeError) as exc:
            result.skipped.append(f"{path}: {exc}")
            continue
        if version == SCHEMA_VERSION:
            result.current += 1
            continue
        if version != 1:
            result.skipped.append(f"{path}: schema_version {version!r}, this pobench migrates 1 to {SCHEMA_VERSION}")
            continue
        record = RunRecord.from_json({**upgraded(data), "schema_version": SCHEMA_VERSION})
        new_path = write_record(out, judged(record))
        if new_path != path:
            path.unlink()
            move_policy(out, path.stem, new_path.stem)
        result.migrated.append(new_path)
    log(f"migrate {out}: {len(result.migrated)} record(s) migrated to schema {SCHEMA_VERSION}, {result.current} "
        f"already at it, {len(result.skipped)} skipped")  # fmt: skip
    for line in result.skipped:
        log(f"  skipped {line}")
    return result


def upgraded(data: dict[str, Any]) -> dict[str, Any]:
    """A schema-1 record's JSON with today's setting and metric names (and, where a setting was renamed, the spec
    hash that names it now)."""
    data = dict(data)
    renames = RENAMES.get(data.get("algo", ""), {})
    for part in ("spec", "hparams", "settings_source"):
        if isinstance(data.get(part), dict):
            data[part] = {renames.get(k, k): v for k, v in data[part].items()}
    if renames and isinstance(data.get("spec"), dict):
        data["spec_hash"] = spec_hash_of(data["spec"])
    metrics = dict(data.get("metrics") or {})
    if "eval/proxy_reward" in metrics and "proxy/slope" not in metrics and "eval/proxy_score" not in metrics:
        metrics["eval/proxy_score"] = metrics.pop("eval/proxy_reward")
    data["metrics"] = metrics
    return data


def move_policy(out: Path, old: str, new: str) -> None:
    """A kept policy (OUT/policies/RECORD-NAME/) follows its record's new name."""
    before, after = Path(out) / "policies" / old, Path(out) / "policies" / new
    if before.is_dir() and not after.exists():
        before.rename(after)
