"""`pobench migrate`: schema-1 records rewritten once in today's schema, named as a cell of today names them."""

from __future__ import annotations

import json

from pobench.cli import main
from pobench.core.record import SCHEMA_VERSION, read_records, record_path
from pobench.harness.migrate import RENAMES, migrate
from pobench.harness.spec import resolve_spec


def _old_record(tmp_path, algo: str, overrides: dict[str, str], metrics: dict) -> tuple:
    """A record as pobench 0.1 wrote it for the cell (algo, sentiment, tiny, seed 0) at ``overrides``: its settings
    under their old names, its own (old) spec hash naming the file."""
    spec, _ = resolve_spec(algo, "sentiment", "tiny", 0, overrides)
    back = {new: old for old, new in RENAMES.get(algo, {}).items()}
    flat = {back.get(k, k): v for k, v in spec.flat().items()}
    hparams = {back.get(k, k): v for k, v in flat.items() if k in {back.get(h, h) for h in vars(spec.hparams)}}
    data = {
        "spec": flat,
        "spec_hash": "0ld0ld0ld0ld0ld0",
        "algo": algo,
        "hparams": hparams,
        "task": "sentiment",
        "task_version": spec.task_version,
        "model": "tiny",
        "seed": 0,
        "status": "ok",
        "metrics": metrics,
        "settings_source": {back.get(k, k): "default" for k in vars(spec.hparams)},
        "schema_version": 1,
    }
    path = record_path(tmp_path, flat, data["spec_hash"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    return spec, path


def test_a_renamed_setting_is_migrated_to_the_name_and_hash_a_cell_has_today(tmp_path):
    simpo, simpo_path = _old_record(tmp_path, "simpo", {"learning_rate": "1e-3"}, {"eval/reward": 0.1})
    cpo, cpo_path = _old_record(tmp_path, "cpo", {}, {"eval/reward": 0.2})
    assert '"gamma": 1.0' in simpo_path.read_text() and '"nll_weight": 1.0' in cpo_path.read_text()
    result = migrate(tmp_path, log=lambda text: None)
    assert sorted(result.migrated) == sorted([record_path(tmp_path, s.flat(), s.hash()) for s in (simpo, cpo)])
    assert not simpo_path.exists() and not cpo_path.exists()  # renamed, not copied
    by_algo = {r.algo: r for r in read_records(tmp_path)}
    assert by_algo["simpo"].hparams["simpo_gamma"] == 1.0 and "gamma" not in by_algo["simpo"].spec
    assert by_algo["simpo"].settings_source["simpo_gamma"] == "default"
    assert by_algo["cpo"].hparams["cpo_alpha"] == 1.0 and by_algo["cpo"].spec_hash == cpo.hash()
    assert {r.schema_version for r in by_algo.values()} == {SCHEMA_VERSION}


def test_an_unrenamed_record_keeps_its_name_and_an_old_raw_proxy_becomes_the_score(tmp_path):
    _, path = _old_record(tmp_path, "ppo", {}, {"eval/reward": 0.2, "eval/proxy_reward": 1.3})
    migrate(tmp_path, log=lambda text: None)
    (record,) = read_records(tmp_path)
    assert path.exists() and record.spec_hash == "0ld0ld0ld0ld0ld0"
    assert record.metrics == {"eval/reward": 0.2, "eval/proxy_score": 1.3}


def test_a_calibrated_proxy_is_left_as_it_is(tmp_path):
    today = {"eval/reward": 0.2, "eval/proxy_score": 1.3, "eval/proxy_reward": 0.4, "proxy/slope": 0.2}
    _old_record(tmp_path, "dpo", {}, dict(today))
    migrate(tmp_path, log=lambda text: None)
    assert read_records(tmp_path)[0].metrics == today


def test_migrate_is_idempotent_and_says_what_it_did(tmp_path, capsys):
    _old_record(tmp_path, "simpo", {}, {"eval/reward": 0.1})
    assert main(["migrate", "--out", str(tmp_path)]) == 0
    files = {p.name: p.read_text() for p in (tmp_path / "records").iterdir()}
    assert main(["migrate", "--out", str(tmp_path)]) == 0
    assert {p.name: p.read_text() for p in (tmp_path / "records").iterdir()} == files
    err = capsys.readouterr().err
    assert "1 record(s) migrated to schema 2, 0 already at it" in err and "0 record(s) migrated" in err


def test_a_file_migrate_cannot_read_is_named_and_kept(tmp_path, capsys):
    _old_record(tmp_path, "dpo", {}, {"eval/reward": 0.1})
    bad = tmp_path / "records" / "dpo-by-hand.json"
    bad.write_text('{"spec": ')
    newer = tmp_path / "records" / "dpo-newer.json"
    newer.write_text(json.dumps({"schema_version": 99}))
    assert main(["migrate", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert f"skipped {bad}" in err and f"skipped {newer}: schema_version 99" in err
    assert bad.exists() and newer.exists() and len(read_records(tmp_path, warn=lambda text: None)) == 1


def test_a_kept_policy_follows_its_record(tmp_path):
    simpo, path = _old_record(tmp_path, "simpo", {}, {"eval/reward": 0.1})
    kept = tmp_path / "policies" / path.stem
    kept.mkdir(parents=True)
    (kept / "config.json").write_text("{}")
    migrate(tmp_path, log=lambda text: None)
    assert (tmp_path / "policies" / record_path(tmp_path, simpo.flat(), simpo.hash()).stem / "config.json").exists()


def test_the_committed_results_are_migrated():
    from tests.helpers import ROOT

    versions = {json.loads(p.read_text())["schema_version"] for p in (ROOT / "results").glob("**/records/*.json")}
    assert versions == {SCHEMA_VERSION}
