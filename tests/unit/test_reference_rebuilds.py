"""The committed reference leaderboard is what its records give: rebuilt from results/reference/records, the
markdown, CSV and headline CSV are byte-identical to the committed files (a change to the reports rebuilds them)."""

from __future__ import annotations

import pytest
from pobench.core.record import read_records
from pobench.reports.leaderboard import build_boards, headline_csv, to_csv, to_markdown

from tests.helpers import ROOT

REFERENCE = ROOT / "results" / "reference"


@pytest.fixture(scope="module")
def boards():
    return build_boards(read_records(REFERENCE))


@pytest.mark.parametrize(("name", "render"), [("leaderboard.md", to_markdown), ("leaderboard.csv", to_csv),
                                              ("headline.csv", headline_csv)])  # fmt: skip
def test_the_committed_reference_rebuilds_byte_identical(boards, name, render):
    assert render(boards) == (REFERENCE / name).read_text(), f"rebuild {REFERENCE / name}: pobench leaderboard"
