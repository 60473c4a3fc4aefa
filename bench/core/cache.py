"""The artifact cache: shared work (tokenizer, SFT model, preference data) built once, reused by key.

An artifact lives in ``ROOT/KIND/KEY/`` where KEY hashes exactly the inputs that determine it
(upstream artifacts enter through their own keys). It is built in a temporary folder and renamed
into place once complete, with ``meta.json`` written last, so a crash mid-build leaves nothing
that looks finished. ``meta.json`` keeps a manifest of the artifact's files (size and sha256 of
each): a reuse checks it, and an artifact damaged since it was built (a truncated model file, as a
killed copy or a bad disk leaves it) is moved aside, deleted and built again, with a warning.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import time
import uuid
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pobench.core import flops
from pobench.core.atomic import TMP_PREFIX, fsync_dir, write_json_atomic
from pobench.core.hashing import content_hash, file_hash

META = "meta.json"
DAMAGED_PREFIX = ".damaged-"  # a damaged artifact is renamed to this before it is deleted
SHA256_HEX = 64
LEFTOVER = "leftover temp folder"
DAMAGED_ASIDE = "damaged-aside"
LEFTOVER_AFTER_S = 3600  # a temp folder of another host (or unknown builder) untouched this long is a leftover


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


class DamagedMeta(ValueError):
    """meta.json is missing, is not JSON, or does not describe an artifact."""


def manifest_of(folder: Path) -> dict[str, dict[str, Any]]:
    """Every file under ``folder`` but meta.json: relative path -> {"size", "sha256"}."""
    out = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if rel != META and path.is_file():
            out[rel] = {"size": path.stat().st_size, "sha256": file_hash(path, length=SHA256_HEX)}
    return out


def read_meta(folder: Path) -> dict[str, Any]:
    """The artifact's meta.json, or DamagedMeta saying why it cannot be read."""
    try:
        meta = json.loads((folder / META).read_text())
    except FileNotFoundError:
        raise DamagedMeta(f"{META} missing (an incomplete folder)") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise DamagedMeta(f"{META} unreadable ({type(exc).__name__}: {exc})") from None
    if not isinstance(meta, dict):
        raise DamagedMeta(f"{META} unreadable (not a JSON object)")
    manifest = meta.get("manifest")
    if manifest is not None and not (
        isinstance(manifest, dict)
        and all(isinstance(v, dict) and isinstance(v.get("size"), int) and "sha256" in v for v in manifest.values())
    ):
        raise DamagedMeta(f"{META} unreadable (a malformed manifest)")
    return meta


def manifest_problem(folder: Path, manifest: dict[str, dict[str, Any]]) -> str | None:
    """The first file of ``manifest`` that ``folder`` does not hold intact, and why; None if all are intact.

    Sizes are checked first (a stat each), so a missing or truncated file is found without hashing."""
    for rel, want in manifest.items():
        path = folder / rel
        if not path.is_file():
            return f"{rel}: missing"
        size = path.stat().st_size
        if size != want["size"]:
            return f"{rel}: size {size}, expected {want['size']}"
    for rel, want in manifest.items():
        if sha256_once(folder / rel) != want["sha256"]:
            return f"{rel}: content changed (sha256 differs)"
    return None


# (path, inode, size, mtime_ns) -> the sha256 that file had when this process hashed it
_HASHED: dict[tuple[str, int, int, int], str] = {}
RACY_S = 2.0  # a file changed this soon before it was hashed may change again within its mtime's tick


def sha256_once(path: Path) -> str:
    """``path``'s sha256, hashed once per process while its stat (inode, size, mtime) stays the same.

    A sweep checks the same model folders for every cell (the packaged model when each cell is resolved, the
    reference and reward model when each is reused): 124 cells hashed the 517 MB SmolLM2 folder 124 times, two
    minutes before the first cell. Any write changes the size or the mtime, and the next check hashes again. As
    git does for its index ("racy clean"), a file whose mtime was within ``RACY_S`` of its hashing is never
    remembered, since a write in the same clock tick would leave its mtime as it was."""
    hashed_at = time.time()
    stat = path.stat()
    key = (str(path.resolve()), stat.st_ino, stat.st_size, stat.st_mtime_ns)
    if key in _HASHED:
        return _HASHED[key]
    digest = file_hash(path, length=SHA256_HEX)
    if hashed_at - stat.st_mtime_ns / 1e9 > RACY_S:
        _HASHED[key] = digest
    return digest


def examine(folder: Path) -> tuple[dict[str, Any] | None, str | None]:
    """``folder``'s meta (None if unreadable) and why the artifact is damaged (None: intact, or built before
    manifests, so there is nothing to check)."""
    try:
        meta = read_meta(folder)
    except DamagedMeta as exc:
        return None, str(exc)
    manifest = meta.get("manifest")
    return meta, None if manifest is None else manifest_problem(folder, manifest)


def verify(folder: Path) -> str | None:
    """Why the artifact in ``folder`` is damaged, or None: intact, or built before manifests (nothing to check)."""
    return examine(folder)[1]


def discard(folder: Path) -> None:
    """Delete ``folder``: renamed aside first (``.damaged-NAME-RANDOM``), so a reader never sees half of it."""
    aside = folder.parent / f"{DAMAGED_PREFIX}{folder.name}-{uuid.uuid4().hex[:8]}"
    try:
        folder.rename(aside)
    except FileNotFoundError:  # another process moved it first
        return
    shutil.rmtree(aside, ignore_errors=True)


def builder_tag() -> str:
    """Who builds in a temp folder: ``PID@HOST``, so `pobench cache --prune` can tell a live build from a leftover."""
    return f"{os.getpid()}@{socket.gethostname()}"


_TEMP_NAME = re.compile(r"-[0-9a-f]{8}-(?P<pid>\d+)@(?P<host>[^/]+)$")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, someone else's
        return True
    return True


def _newest_mtime(folder: Path) -> float:
    newest = 0.0
    for path in (folder, *folder.rglob("*")):
        try:
            newest = max(newest, path.lstat().st_mtime)
        except FileNotFoundError:  # removed while we looked
            pass
    return newest


def temp_in_use(folder: Path, now: float | None = None) -> bool:
    """Whether a temp folder may be a build in progress: its builder runs here, or (another host's, or of unknown
    builder) it changed in the last hour. A folder that is neither is a crash's leftover."""
    match = _TEMP_NAME.search(folder.name)
    if match and match["host"] == socket.gethostname():
        return _pid_alive(int(match["pid"]))
    return (now or time.time()) - _newest_mtime(folder) < LEFTOVER_AFTER_S


@dataclass
class CacheEntry:
    """A folder of the cache: an artifact (``ROOT/KIND/KIND-HASH``), a build's temp folder or a damaged one moved
    aside."""

    kind: str
    name: str
    path: Path
    state: str  # "artifact", "temp" or DAMAGED_ASIDE
    size_bytes: int

    def meta(self) -> dict[str, Any] | None:
        """The artifact's meta.json (None: unreadable, or not an artifact)."""
        if self.state != "artifact":
            return None
        try:
            return read_meta(self.path)
        except DamagedMeta:
            return None

    def note(self) -> str:
        """What a folder that is not an artifact is ("" for an artifact), without checking anything's content."""
        if self.state == "temp":
            return "temp folder of a build in progress" if temp_in_use(self.path) else LEFTOVER
        return "damaged, moved aside" if self.state == DAMAGED_ASIDE else ""

    def check(self) -> str:
        """An artifact's status, ok / damaged: REASON / unverifiable (no manifest); the note of the others."""
        if self.state != "artifact":
            return self.note()
        meta, reason = examine(self.path)
        if reason is not None:
            return f"damaged: {reason}"
        return "ok" if "manifest" in (meta or {}) else "unverifiable (no manifest)"


def prunable(status: str) -> bool:
    """Whether `pobench cache --prune` removes a folder of this status: a damaged artifact, a damaged folder moved
    aside, a leftover temp folder; never an intact (or unverifiable) artifact, nor a build in progress."""
    return status.startswith("damaged") or status == LEFTOVER


def remove_entry(entry: CacheEntry) -> None:
    """Delete a cache folder; an artifact is moved aside first, so a reader never sees half of one."""
    if entry.state == "artifact":
        discard(entry.path)
    else:
        shutil.rmtree(entry.path, ignore_errors=True)


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


class ArtifactCache:
    def __init__(self, root: str | Path, log: Callable[[str], None] = print) -> None:
        self.root = Path(root)
        self.log = log

    def key(self, kind: str, inputs: dict[str, Any]) -> str:
        return f"{kind}-{content_hash(inputs)}"

    def cached_path(self, kind: str, inputs: dict[str, Any]) -> Path | None:
        """The finished, intact artifact's folder for ``inputs``, or None (none, or a damaged one): a quiet lookup
        that builds nothing."""
        final = self.root / kind / self.key(kind, inputs)
        return final if (final / META).is_file() and verify(final) is None else None

    def get_or_build(
        self, kind: str, inputs: dict[str, Any], build: Callable[[Path], dict[str, Any] | None], what: str
    ) -> Artifact:
        """Return the artifact for ``inputs``, calling ``build(folder)`` only if it is not cached (or is damaged).

        ``build`` fills ``folder`` and may return extra metadata (kept in meta.json as "extra").
        """
        key = self.key(kind, inputs)
        final = self.root / kind / key
        if (final / META).is_file():
            meta, reason = examine(final)
            if reason is None:
                self.log(f"cache: reusing {what} [{key}] (built in {meta['build_s']:.1f}s on {meta['built_at']})")
                if "cell_flops" in meta:  # built inside a cell's counted stage: the reuse costs what the build did
                    flops.charge(meta["cell_flops"])
                return Artifact(kind, key, final, meta, reused=True, extra=meta.get("extra", {}))
            self.log(f"cache: WARNING: {what} [{key}] is damaged ({reason}); deleting it and building it again")
            discard(final)
        self.log(f"cache: building {what} [{key}] ...")
        return self._build(kind, key, inputs, build, what)

    def _build(
        self, kind: str, key: str, inputs: dict[str, Any], build: Callable[[Path], dict[str, Any] | None], what: str
    ) -> Artifact:
        final = self.root / kind / key
        tmp = final.parent / f"{TMP_PREFIX}{key}-{uuid.uuid4().hex[:8]}-{builder_tag()}"
        tmp.mkdir(parents=True)
        start = time.perf_counter()
        in_cell = flops.counting()  # shared work a cell's train or evaluate stage builds (reference log-probs)
        try:
            with flops.count_flops() if in_cell else nullcontext() as tally:
                extra = build(tmp) or {}
            build_s = time.perf_counter() - start
            meta = {
                "kind": kind,
                "key": key,
                "inputs": inputs,
                "extra": extra,
                "build_s": round(build_s, 3),
                "built_at": time.strftime("%Y-%m-%d %H:%M:%S"),
                "manifest": manifest_of(tmp),
            }
            if in_cell:
                meta["cell_flops"] = tally.breakdown()
            write_json_atomic(tmp / META, meta)
            if (final / META).is_file() and verify(final) is None:  # another process finished it first: keep theirs
                shutil.rmtree(tmp)
                return Artifact(kind, key, final, json.loads((final / META).read_text()), reused=True, extra=extra)
            if final.exists():  # a stale, incomplete or damaged folder: replace it
                discard(final)
            tmp.rename(final)
            fsync_dir(final.parent)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        self.log(f"cache: built {what} [{key}] in {build_s:.1f}s")
        return Artifact(kind, key, final, meta, reused=False, build_s=build_s, extra=extra)

    def entries(self) -> list[CacheEntry]:
        """Every artifact, build temp folder and damaged folder under the root, by kind and name. Folders that are
        none of these (not named after their kind) are not the cache's and are left out."""
        if not self.root.is_dir():
            return []
        out = []
        kinds = sorted(p for p in self.root.iterdir() if p.is_dir() and not p.name.startswith("."))
        for kind_dir in kinds:
            kind = kind_dir.name
            for path in sorted(kind_dir.iterdir()):
                state = entry_state(kind, path)
                if state is not None:
                    out.append(CacheEntry(kind, path.name, path, state, folder_size(path)))
        return out


def entry_state(kind: str, path: Path) -> str | None:
    """What ``ROOT/KIND/NAME`` is: "artifact" (NAME is KIND-HASH), "temp", DAMAGED_ASIDE, or None (not the cache's)."""
    if not path.is_dir() or path.is_symlink():
        return None
    if re.fullmatch(rf"{re.escape(kind)}-[0-9a-f]{{16}}", path.name):
        return "artifact"
    if path.name.startswith(TMP_PREFIX):
        return "temp"
    return DAMAGED_ASIDE if path.name.startswith(DAMAGED_PREFIX) else None
