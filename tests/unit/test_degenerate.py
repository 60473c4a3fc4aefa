"""A cell that finishes but no longer ends its text is recorded (and read) as degenerate, and counts like diverged."""

from __future__ import annotations

import json

from pobench.cli import main
from pobench.core.record import DEGENERATE_TRUNCATION, degenerate_reason, judged, read_records
from pobench.harness.sweep import existing_record, should_skip
from pobench.reports.leaderboard import build_boards

from tests.helpers import ROOT, record


def test_the_rule():
    assert DEGENERATE_TRUNCATION == 0.95
    assert degenerate_reason({"eval/truncation_rate": 0.94, "eval/kl": 9.0}) is None
    assert degenerate_reason({"eval/kl": 9.0}) is None
    assert degenerate_reason({"eval/truncation_rate": 1.0, "eval/kl": 174.0}) == (
        "100% of the evaluation samples cut at the length limit (KL 174): the policy no longer ends its text "
        "(rule: at least 95%)"
    )
    assert judged(record("dpo", 0, -1.0, 174.0)).status == "ok"  # every sample ended (truncation 0)
    cut = record("dpo", 1, -1.0, 174.0)
    cut.metrics["eval/truncation_rate"] = 0.99
    assert judged(cut).status == "degenerate" and cut.error.startswith("evaluate: 99% of the")
    failed = record("dpo", 2, 0.0, 0.0, status="failed")
    failed.metrics["eval/truncation_rate"] = 1.0
    assert judged(failed).status == "failed"  # only a finished cell is judged


def test_a_degenerate_seed_flags_its_row_like_a_diverged_one():
    rows = [record("dpo", s, 0.2, 1.0) for s in range(3)] + [record("sft", s, 0.0, 0.0) for s in range(3)]
    rows[2].metrics["eval/truncation_rate"] = 1.0
    board = build_boards([judged(r) for r in rows])[0]
    dpo = board.rows[board.rows["algo"] == "dpo"].iloc[0]
    assert dpo["seeds"] == 2 and dpo["flagged"] and "1 degenerate" in dpo["status"]


def test_a_record_written_before_the_rule_is_judged_by_migrate(tmp_path, capsys):
    committed = ROOT / "results" / "reference" / "records"
    runaway = max(committed.glob("simpo-*.json"), key=lambda p: json.loads(p.read_text())["metrics"]["eval/kl"])
    raw = json.loads(runaway.read_text())
    cut = raw["metrics"]["eval/truncation_rate"]
    assert raw["status"] == "degenerate" and cut >= 0.95  # SimPO's furthest runaway
    # as the first run wrote it, before the rule (and before SimPO's margin was named simpo_gamma)
    raw |= {"status": "ok", "error": None, "schema_version": 1}
    raw["spec"]["gamma"] = raw["spec"].pop("simpo_gamma")
    raw["hparams"]["gamma"] = raw["hparams"].pop("simpo_gamma")
    (tmp_path / "records").mkdir()
    (tmp_path / "records" / runaway.name).write_text(json.dumps(raw))
    assert read_records(tmp_path, warn=lambda text: None) == []  # refused until migrated, never judged on read
    assert main(["migrate", "--out", str(tmp_path)]) == 0
    (read,) = read_records(tmp_path)
    assert read.status == "degenerate" and read.spec_hash == json.loads(runaway.read_text())["spec_hash"]
    assert existing_record(tmp_path / "records" / runaway.name).status == "degenerate"
    assert main(["show", "--record", str(tmp_path / "records" / runaway.name)]) == 0
    assert f"degenerate: evaluate: {cut:.0%} of the evaluation samples cut" in capsys.readouterr().out


def test_a_sweep_keeps_a_degenerate_cell_and_does_not_rerun_it():
    cut = record("dpo", 0, -1.0, 174.0)
    cut.metrics["eval/truncation_rate"] = 1.0
    assert should_skip(judged(cut), retry_failed=True)
