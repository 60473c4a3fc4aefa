"""The artifact cache: shared work (tokenizer, SFT model, preference data) built once, reused by key.

An artifact lives in ``ROOT/KIND/KEY/`` where KEY hashes exactly the inputs that determine it
(upstream artifacts enter through their own keys). It is built in a temporary folder and renamed
into place once complete, with ``meta.json`` written last, so a crash mid-build leaves nothing
that looks finished.
"""

from __future__ import annotations

import json
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pobench.core.atomic import TMP_PREFIX, fsync_dir, write_json_atomic
from pobench.core.hashing import content_hash

META = "meta.json"


@dataclass
class Artifact:
    kind: str
    key: str
    path: Path
    meta: dict[str, Any]
    reused: bool
    build_s: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def info(self) -> dict[str, Any]:
        """What a record keeps about this artifact."""
        return {"key": self.key, "reused": self.reused, "build_s": round(self.build_s, 3), **self.extra}


class ArtifactCache:
    def __init__(self, root: str | Path, log: Callable[[str], None] = print) -> None:
        self.root = Path(root)
        self.log = log

    def key(self, kind: str, inputs: dict[str, Any]) -> str:
        return f"{kind}-{content_hash(inputs)}"

    def cached_path(self, kind: str, inputs: dict[str, Any]) -> Path | None:
        """The finished artifact's folder for ``inputs``, or None: a quiet lookup that builds nothing."""
        final = self.root / kind / self.key(kind, inputs)
        return final if (final / META).is_file() else None

    def get_or_build(
        self, kind: str, inputs: dict[str, Any], build: Callable[[Path], dict[str, Any] | None], what: str
    ) -> Artifact:
        """Return the artifact for ``inputs``, calling ``build(folder)`` only if it is not cached.

        ``build`` fills ``folder`` and may return extra metadata (kept in meta.json as "extra").
        """
        key = self.key(kind, inputs)
        cached = self.cached_path(kind, inputs)
        if cached is not None:
            meta = json.loads((cached / META).read_text())
            self.log(f"cache: reusing {what} [{key}] (built in {meta['build_s']:.1f}s on {meta['built_at']})")
            return Artifact(kind, key, cached, meta, reused=True, extra=meta.get("extra", {}))
        final = self.root / kind / key
        self.log(f"cache: building {what} [{key}] ...")
        tmp = final.parent / f"{TMP_PREFIX}{key}-{uuid.uuid4().hex[:8]}"
        tmp.mkdir(parents=True)
        start = time.perf_counter()
        try:
            extra = build(tmp) or {}
            build_s = time.perf_counter() - start
            meta = {
                "kind": kind,
                "key": key,
                "inputs": inputs,
                "extra": extra,
                "build_s": round(build_s, 3),
                "built_at": time.strftime("%Y-%m-%d %H:%M:%S"),
            }
            write_json_atomic(tmp / META, meta)
            if (final / META).is_file():  # another process finished the same build first: keep theirs
                shutil.rmtree(tmp)
                return Artifact(kind, key, final, json.loads((final / META).read_text()), reused=True, extra=extra)
            if final.exists():  # a stale, incomplete folder (no meta.json): replace it
                shutil.rmtree(final)
            tmp.rename(final)
            fsync_dir(final.parent)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        self.log(f"cache: built {what} [{key}] in {build_s:.1f}s")
        return Artifact(kind, key, final, meta, reused=False, build_s=build_s, extra=extra)
