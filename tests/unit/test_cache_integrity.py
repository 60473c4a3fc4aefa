"""The artifact cache checks what it reuses: a damaged artifact is named, deleted and rebuilt; `pobench cache`
lists, checks and prunes a cache folder."""

import json
import os
import time

import pytest
from pobench.cli import main
from pobench.core.cache import META, ArtifactCache, builder_tag, verify

INPUTS = {"a": 1}
WEIGHTS = bytes(range(256)) * 64  # 16 KiB, standing in for model.safetensors


class Builder:
    """A build function that writes a weights file and a config in a subfolder, and counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, folder):
        self.calls += 1
        (folder / "model.safetensors").write_bytes(WEIGHTS)
        (folder / "sub").mkdir()
        (folder / "sub" / "config.json").write_text('{"layers": 2}')
        return {"n": 1}


def built(tmp_path):
    logs: list[str] = []
    cache, build = ArtifactCache(tmp_path, log=logs.append), Builder()
    art = cache.get_or_build("thing", INPUTS, build, "a thing")
    return cache, build, art, logs


def test_meta_keeps_a_manifest_and_an_intact_artifact_is_reused(tmp_path):
    cache, build, art, logs = built(tmp_path)
    meta = json.loads((art.path / META).read_text())
    assert set(meta["manifest"]) == {"model.safetensors", "sub/config.json"}
    assert meta["manifest"]["model.safetensors"]["size"] == len(WEIGHTS)
    assert len(meta["manifest"]["model.safetensors"]["sha256"]) == 64
    logs.clear()
    again = cache.get_or_build("thing", INPUTS, build, "a thing")
    assert again.reused and build.calls == 1 and again.extra == {"n": 1}
    assert len(logs) == 1 and logs[0].startswith(f"cache: reusing a thing [{art.key}] (built in ")
    assert cache.cached_path("thing", INPUTS) == art.path


def truncate(art):
    (art.path / "model.safetensors").write_bytes(WEIGHTS[: len(WEIGHTS) // 2])
    return f"model.safetensors: size {len(WEIGHTS) // 2}, expected {len(WEIGHTS)}"


def delete(art):
    (art.path / "sub" / "config.json").unlink()
    return "sub/config.json: missing"


def change(art):
    (art.path / "model.safetensors").write_bytes(bytes(reversed(WEIGHTS)))  # same size
    return "model.safetensors: content changed (sha256 differs)"


def corrupt_meta(art):
    text = (art.path / META).read_text()
    (art.path / META).write_text(text[: len(text) // 2])
    return "meta.json unreadable (JSONDecodeError"


@pytest.mark.parametrize("damage", [truncate, delete, change, corrupt_meta])
def test_a_damaged_artifact_is_named_and_rebuilt(damage, tmp_path):
    cache, build, art, logs = built(tmp_path)
    reason = damage(art)
    assert cache.cached_path("thing", INPUTS) is None  # the quiet lookup: not an intact artifact
    logs.clear()
    rebuilt = cache.get_or_build("thing", INPUTS, build, "a thing")
    assert build.calls == 2 and not rebuilt.reused and rebuilt.path == art.path
    warning = logs[0]
    assert warning.startswith(f"cache: WARNING: a thing [{art.key}] is damaged ({reason}")
    assert warning.endswith("; deleting it and building it again")
    assert verify(rebuilt.path) is None and (rebuilt.path / "model.safetensors").read_bytes() == WEIGHTS
    assert [p.name for p in (tmp_path / "thing").iterdir()] == [art.key]  # nothing left aside
    assert cache.cached_path("thing", INPUTS) == art.path


def hash_counter(monkeypatch) -> list[str]:
    """The names of the files the cache hashes from now on, in order."""
    from pobench.core import cache as cache_module

    hashed: list[str] = []
    real = cache_module.file_hash

    def counting(path, length=16):
        hashed.append(path.name)
        return real(path, length=length)

    monkeypatch.setattr(cache_module, "file_hash", counting)
    return hashed


def age(art, seconds: float) -> None:
    """Make the artifact's files look ``seconds`` old."""
    then = time.time() - seconds
    for path in (art.path / "model.safetensors", art.path / "sub" / "config.json"):
        os.utime(path, (then, then))


def test_an_unchanged_file_is_hashed_once_per_process_and_a_changed_one_again(tmp_path, monkeypatch):
    cache, build, art, logs = built(tmp_path)
    age(art, 3600)
    hashed = hash_counter(monkeypatch)
    assert verify(art.path) is None and verify(art.path) is None and cache.cached_path("thing", INPUTS) == art.path
    assert sorted(hashed) == ["config.json", "model.safetensors"]  # the first check only
    reason = change(art)  # same size; the write gives it a new mtime
    assert verify(art.path) == reason
    assert hashed[2:] == ["model.safetensors"]


def test_a_file_written_just_before_it_was_hashed_is_hashed_at_every_check(tmp_path, monkeypatch):
    """Within a clock tick a second write leaves the mtime as it was, so a fresh file is never remembered."""
    cache, build, art, logs = built(tmp_path)
    hashed = hash_counter(monkeypatch)
    assert verify(art.path) is None and verify(art.path) is None
    assert sorted(hashed) == ["config.json", "config.json", "model.safetensors", "model.safetensors"]


def test_an_artifact_built_before_manifests_is_reused_without_complaint(tmp_path):
    cache, build, art, logs = built(tmp_path)
    meta = json.loads((art.path / META).read_text())
    del meta["manifest"]
    (art.path / META).write_text(json.dumps(meta))
    (art.path / "model.safetensors").write_bytes(b"short")  # nothing to check it against
    logs.clear()
    again = cache.get_or_build("thing", INPUTS, build, "a thing")
    assert again.reused and build.calls == 1 and len(logs) == 1 and logs[0].startswith("cache: reusing a thing")
    assert cache.cached_path("thing", INPUTS) == art.path


def two_artifacts(tmp_path):
    """A good artifact, a truncated one, and the temp folder a crash left an hour and a half ago."""
    cache = ArtifactCache(tmp_path, log=lambda _: None)
    good = cache.get_or_build("thing", {"a": 1}, Builder(), "a thing")
    bad = cache.get_or_build("thing", {"a": 2}, Builder(), "another thing")
    truncate(bad)
    leftover = tmp_path / "thing" / ".tmp-x"
    leftover.mkdir()
    (leftover / "half.bin").write_bytes(b"x" * 1000)
    old = time.time() - 5400
    for path in (leftover / "half.bin", leftover):
        os.utime(path, (old, old))
    return good, bad, leftover


def test_cache_lists_the_artifacts(tmp_path, capsys):
    good, bad, _ = two_artifacts(tmp_path)
    assert main(["cache", "--cache", str(tmp_path)]) == 0  # no --check: nothing verified
    out = capsys.readouterr().out
    assert "| kind " in out and "built at" in out and "build s" in out and "| note" in out
    assert f"| thing | {good.key} | 0.0 " in out and bad.key in out
    assert ".tmp-x" in out and "leftover temp folder" in out and "damaged" not in out
    assert "2 artifact(s)" in out


def test_cache_check_names_the_damaged_artifact(tmp_path, capsys):
    good, bad, _ = two_artifacts(tmp_path)
    assert main(["cache", "--cache", str(tmp_path), "--check"]) == 1
    lines = capsys.readouterr().out.splitlines()
    status = {cells[1]: cells[-1] for cells in (cells_of(line) for line in lines) if len(cells) == 6}
    assert status[good.key] == "ok" and status[".tmp-x"] == "leftover temp folder"
    assert status[bad.key] == f"damaged: model.safetensors: size {len(WEIGHTS) // 2}, expected {len(WEIGHTS)}"
    assert any(line.startswith("1 damaged artifact(s)") for line in lines)


def cells_of(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else []


def test_cache_prune_removes_damaged_and_leftovers_only(tmp_path, capsys):
    good, bad, leftover = two_artifacts(tmp_path)
    running = tmp_path / "thing" / f".tmp-{good.key}-0123abcd-{builder_tag()}"  # a build of this process: running
    running.mkdir()
    assert main(["cache", "--cache", str(tmp_path), "--prune"]) == 0
    out = capsys.readouterr().out
    assert f"removed thing/{bad.key} (damaged: model.safetensors: size" in out
    assert "removed thing/.tmp-x (leftover temp folder), 0.0 MB" in out
    assert "pruned 2 folder(s), freed 0.0 MB" in out
    assert sorted(p.name for p in (tmp_path / "thing").iterdir()) == sorted([good.key, running.name])
    assert verify(good.path) is None
    assert main(["cache", "--cache", str(tmp_path), "--check"]) == 0
    assert "temp folder of a build in progress" in capsys.readouterr().out


def test_cache_of_a_folder_that_is_not_there_is_one_line(tmp_path, capsys):
    assert main(["cache", "--cache", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("pobench: error: cache folder ") and "does not exist" in err and err.count("\n") == 1
    (tmp_path / "file").write_text("x")
    assert main(["cache", "--cache", str(tmp_path / "file"), "--check"]) == 2
    assert "is not a folder" in capsys.readouterr().err


def test_cache_of_a_results_folder_finds_no_artifacts_and_prunes_nothing(tmp_path, capsys):
    (tmp_path / "records").mkdir()
    (tmp_path / "records" / "dpo.json").write_text("{}")
    (tmp_path / "plots" / "x").mkdir(parents=True)
    assert main(["cache", "--cache", str(tmp_path), "--prune"]) == 0
    assert "no artifacts" in capsys.readouterr().out
    assert (tmp_path / "records" / "dpo.json").exists() and (tmp_path / "plots" / "x").exists()
