"""A plugin's algorithm name holding `|`, `<` and `>`, and a file task whose path holds `|` and a line break, keep
every Markdown table the leaderboard writes whole."""

import dataclasses
import re

from pobench.claims.report import evaluate, markdown
from pobench.reports.cells import table_cell
from pobench.reports.leaderboard import build_boards, to_markdown

ALGO = "my|cpo<b>x</b>"  # what a plugin may register (the registry refuses whitespace only)
TASK = "file:/data/a|b\nc.jsonl"


def columns(line: str) -> int:
    return len(re.findall(r"(?<!\\)\|", line)) - 1  # separators not escaped


def test_a_cell_escapes_what_would_break_its_row_and_keeps_pobenchs_own_signs():
    assert table_cell(ALGO) == "my\\|cpo&lt;b>x&lt;/b>"
    assert table_cell(TASK) == "file:/data/a\\|b\\nc.jsonl"
    assert table_cell("dpo 15% (a) > kto 9% (b), p <0.001") == "dpo 15% (a) > kto 9% (b), p <0.001"


def test_every_leaderboard_table_keeps_its_columns_with_such_names(reference_records):
    renamed = [
        dataclasses.replace(r, algo=ALGO if r.algo == "cpo" else r.algo, task=TASK)
        for r in reference_records
        if r.seed < 4
    ]
    text = to_markdown(build_boards(renamed))
    assert "\\|cpo&lt;b>x&lt;/b>" in text and "<b>" not in text and "file:/data/a\\|b\\nc.jsonl" in text
    tables, current = [], []
    for line in text.splitlines():
        if line.startswith("|"):
            current.append(line)
        elif current:
            tables.append(current)
            current = []
    assert len(tables) >= 5  # verdict, headline, proxy, paired, every configuration
    for table in tables:
        assert len({columns(line) for line in table}) == 1, table[0]
    assert sum(ALGO.replace("|", "\\|").replace("<", "&lt;") in line for t in tables for line in t) >= 4


def test_the_claims_table_escapes_a_plugins_names(reference_records):
    found, _ = evaluate(reference_records)
    claim, finding = found[0]
    plugin = type("Plugin", (type(claim),), {"name": "mine|<i>", "method": "my|algo"})()
    table = [line for line in markdown([(plugin, finding)], {}).splitlines() if line.startswith("|")]
    assert table[2].startswith("| mine\\|&lt;i> | my\\|algo |") and len({columns(line) for line in table}) == 1
