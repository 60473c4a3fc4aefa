import json

import pytest
from pobench.core.atomic import write_json_atomic
from pobench.core.cache import ArtifactCache
from pobench.core.record import SCHEMA_VERSION, RunRecord, read_records, record_path, write_record


def test_cache_builds_once_and_reuses_by_key(tmp_path):
    logs: list[str] = []
    cache = ArtifactCache(tmp_path, log=logs.append)
    calls = []

    def build(folder):
        calls.append(folder)
        (folder / "x.txt").write_text("built")
        return {"n": 1}

    first = cache.get_or_build("thing", {"a": 1, "b": [1, 2]}, build, "a thing")
    second = cache.get_or_build("thing", {"b": [1, 2], "a": 1}, build, "a thing")  # same inputs, other order
    third = cache.get_or_build("thing", {"a": 2, "b": [1, 2]}, build, "a thing")
    assert len(calls) == 2 and not first.reused and second.reused and first.key == second.key != third.key
    assert (second.path / "x.txt").read_text() == "built" and second.extra == {"n": 1}
    assert any(line.startswith("cache: reusing a thing") for line in logs)


def test_crash_during_build_leaves_nothing_that_looks_finished(tmp_path):
    cache = ArtifactCache(tmp_path, log=lambda _: None)

    def crash(folder):
        (folder / "half.bin").write_text("partial")
        raise RuntimeError("power cut")

    with pytest.raises(RuntimeError):
        cache.get_or_build("thing", {"a": 1}, crash, "a thing")
    assert not any((tmp_path / "thing").iterdir())  # the temporary folder is gone
    rebuilt = cache.get_or_build("thing", {"a": 1}, lambda f: (f / "ok").write_text("1") and None, "a thing")
    assert not rebuilt.reused and (rebuilt.path / "ok").exists()


def test_incomplete_folder_without_meta_is_rebuilt(tmp_path):
    cache = ArtifactCache(tmp_path, log=lambda _: None)
    stale = tmp_path / "thing" / cache.key("thing", {"a": 1})
    stale.mkdir(parents=True)
    (stale / "junk").write_text("from a killed process")
    art = cache.get_or_build("thing", {"a": 1}, lambda f: (f / "ok").write_text("1") and None, "a thing")
    assert not art.reused and (art.path / "ok").exists() and not (art.path / "junk").exists()


def _record(**kw) -> RunRecord:
    spec = {"algo": "dpo", "task": "sentiment", "model": "tiny", "seed": 0}
    base = dict(
        spec=spec,
        spec_hash="abc123def456",
        algo="dpo",
        hparams={"beta": 0.1},
        task="sentiment",
        task_version="1",
        model="tiny",
        seed=0,
        status="ok",
        metrics={"eval/reward": 0.3},
    )
    base.update(kw)
    return RunRecord(**base)


def test_record_roundtrip_and_leftover_temp_file_is_never_read(tmp_path):
    path = write_record(tmp_path, _record())
    assert path == record_path(tmp_path, _record().spec, "abc123def456")
    (path.parent / f".tmp-{path.name}.x1y2").write_text('{"half": ')  # what a crash mid-write leaves
    records = read_records(tmp_path)
    assert len(records) == 1 and records[0].metrics == {"eval/reward": 0.3}
    assert json.loads(path.read_text())["schema_version"] == SCHEMA_VERSION == 2


def test_atomic_write_replaces_whole_file(tmp_path):
    target = tmp_path / "r.json"
    write_json_atomic(target, {"v": 1})
    write_json_atomic(target, {"v": 2})
    assert json.loads(target.read_text()) == {"v": 2}
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_record_from_other_schema_is_refused_with_what_to_do():
    from pobench.core.version import package_version

    this = f"this pobench {package_version()} (schema {SCHEMA_VERSION})"
    newer = {**_record().to_json(), "schema_version": 99, "environment": {"packages": {"pobench": "9.1.0"}}}
    with pytest.raises(ValueError) as exc:
        RunRecord.from_json(newer)
    assert str(exc.value) == f"written by pobench 9.1.0 (schema 99), newer than {this}: upgrade pobench to read it"
    with pytest.raises(ValueError) as exc:
        RunRecord.from_json({**_record().to_json(), "schema_version": 1}, folder="results/old")
    assert str(exc.value) == (
        f"written by a pobench (schema 1), older than {this}: `pobench migrate --out results/old` rewrites the "
        f"folder's records in schema {SCHEMA_VERSION}, once"
    )
    with pytest.raises(ValueError, match="schema_version 'x': not a pobench record schema"):
        RunRecord.from_json({**_record().to_json(), "schema_version": "x"})


def test_unreadable_record_is_skipped_with_a_warning_naming_it(tmp_path):
    good = write_record(tmp_path, _record())
    bad = good.parent / "dpo-edited-by-hand.json"
    bad.write_text('{"spec": ')
    other = good.parent / "dpo-future.json"
    other.write_text(json.dumps({**_record().to_json(), "schema_version": 99}))
    warnings: list[str] = []
    records = read_records(tmp_path, warn=warnings.append)
    assert len(records) == 1 and records[0].spec_hash == "abc123def456"
    assert len(warnings) == 2 and str(bad) in warnings[0] and "(schema 99), newer than this pobench" in warnings[1]
