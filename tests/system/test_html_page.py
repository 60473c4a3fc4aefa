"""The leaderboard page in a real headless browser: it opens from disk, shows its tables and plots, sorts.

Needs Chromium (Debian's package ``chromium``). CI installs it and sets POBENCH_REQUIRE_BROWSER=1,
so there a missing browser fails instead of skipping.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from urllib.parse import quote

import pytest
from pobench.reports.publish import write_outputs

from tests.helpers import hand_made_records

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [  # headless as root on a machine without network (see /work/.library env notes)
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--virtual-time-budget=5000",
]


def render(url: str, profile) -> str:
    if CHROMIUM is None:
        if os.environ.get("POBENCH_REQUIRE_BROWSER") == "1":
            pytest.fail("POBENCH_REQUIRE_BROWSER=1 but no chromium on PATH (apt-get install chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    done = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--dump-dom", url],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def column(dom: str, table: int, index: int) -> list[str]:
    """Cells of column ``index`` of the ``table``-th detail table (class board)."""
    body = re.findall(r'<table class="board">.*?<tbody>(.*?)</tbody>', dom, re.S)[table]
    return [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)[index] for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body)]


def test_page_opens_from_disk_with_tables_plots_and_sorting(tmp_path):
    written = write_outputs(tmp_path, hand_made_records())
    page = written["leaderboard.html"]
    text = page.read_text()
    assert "http://" not in text and "https://" not in text and "<script src" not in text  # self-contained

    dom = render(page.as_uri(), tmp_path / "profile")
    assert 'data-ready="yes"' in dom  # the page's script ran to the end
    assert dom.count('<table class="board"') == 2  # one table per comparability key
    assert dom.count('<table class="headline"') == 2  # each with its reward-at-matched-KL table above it
    images = re.findall(r"<img [^>]*>", dom)
    assert len(images) == 4 and all('data-rendered="yes"' in img for img in images)  # frontier + bars, decoded
    assert [a.split(" ")[0] for a in column(dom, 0, 1)] == ["dpo", "sft", "cpo", "ipo", "kto"]  # ranked, flagged last

    # sorting runs in the browser: KL ascending puts sft (0.00) first and the row without KL last
    dom = render(page.as_uri() + "#sort=" + quote("KL (95% CI):asc"), tmp_path / "profile")
    assert [a.split(" ")[0] for a in column(dom, 0, 1)] == ["sft", "ipo", "dpo", "cpo", "kto"]
    assert 'aria-sort="ascending"' in dom
