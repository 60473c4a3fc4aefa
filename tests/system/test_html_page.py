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
from pobench.reports.publish import html_page, write_outputs

from tests.helpers import hand_made_records, record

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


def need_chromium() -> str:
    if CHROMIUM is None:
        if os.environ.get("POBENCH_REQUIRE_BROWSER") == "1":
            pytest.fail("POBENCH_REQUIRE_BROWSER=1 but no chromium on PATH (apt-get install chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return CHROMIUM


def render(url: str, profile, *flags: str) -> str:
    done = subprocess.run(
        [need_chromium(), *FLAGS, *flags, f"--user-data-dir={profile}", "--dump-dom", url],
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
    assert len(images) == 4 and all('data-rendered="yes"' in img for img in images)  # frontier + headline, decoded
    assert [a.split(" ")[0] for a in column(dom, 0, 1)] == ["dpo", "sft", "cpo", "ipo", "kto"]  # ranked, flagged last
    # older records (no proxy, no compute): the proxy and Gao tables stand with dashes, the two new plots are left out
    assert dom.count('<table class="proxy"') == 2 and dom.count('<table class="gao"') == 2
    assert "proxy_vs_kl-" not in text and "reward_vs_compute-" not in text

    # sorting runs in the browser: KL ascending puts sft (0.00) first and the row without KL last
    dom = render(page.as_uri() + "#sort=" + quote("KL (95% CI):asc"), tmp_path / "profile")
    assert [a.split(" ")[0] for a in column(dom, 0, 1)] == ["sft", "ipo", "dpo", "cpo", "kto"]
    assert 'aria-sort="ascending"' in dom


def records_with_proxies():
    """The hand-made records plus a ppo on two seeds that reaches KL 1, every ok cell with the newer metrics: the
    calibrated proxy (gold + 0.05), the training compute (1e12·(1 + KL)), dpo's implicit accuracy."""
    ppo = [record("ppo", s, r, kl, hparams={"kl_coef": c}) for s in (0, 1) for r, kl, c in ((0.2, 0.4, 0.1),
           (0.35, 2.5, 0.02))]  # fmt: skip
    records = hand_made_records() + ppo
    for r in records:
        if r.status == "ok":
            m = r.metrics
            m.update({"eval/proxy_reward": m["eval/reward"] + 0.05, "perf/train_flops": 1e12 * (1 + m["eval/kl"])})
            if r.algo == "dpo":
                m["eval/implicit_accuracy"] = 0.7
    return records


def test_page_shows_the_proxy_and_compute_tables_and_plots(tmp_path):
    written = write_outputs(tmp_path, records_with_proxies())
    page = written["leaderboard.html"]
    dom = render(page.as_uri(), tmp_path / "profile")
    assert 'data-ready="yes"' in dom
    assert dom.count('<table class="proxy"') == 2 and dom.count('<table class="gao"') == 2
    assert "Proxy and cost at matched KL</h3>" in dom and "<h3>Gao et al. (2023) fits: a reading aid</h3>" in dom
    images = re.findall(r"<img [^>]*>", dom)
    names = sorted(re.search(r'alt="([^"]+)"', img).group(1).split("-")[0] for img in images)
    # K1: frontier, headline, gold against proxy, reward against compute (ppo is read at KL 1 on both seeds);
    # K2: one dpo cell below every budget: no reading, no compute plot
    assert names == ["frontier", "frontier", "headline", "headline", "proxy_vs_kl", "proxy_vs_kl", "reward_vs_compute"]
    assert all('data-rendered="yes"' in img for img in images)
    proxy = re.findall(r'<table class="proxy">.*?<tbody>(.*?)</tbody>', dom, re.S)[0]
    ppo = next(row for row in re.findall(r"<tr>(.*?)</tr>", proxy, re.S) if row.startswith("<td>ppo</td>"))
    # at KL 1 both seeds read between (0.4, 1.4e12) and (2.5, 3.5e12), t = log 2.5/log 6.25 = 0.5: √(1.4·3.5)e12
    assert "<td>+0.325 (+0.325, +0.325)</td><td>+0.050 (+0.050, +0.050)</td><td>2.2e12</td>" in ppo
    # the detail table's new columns, sorted in the browser: train FLOPs descending, the row without one last
    dom = render(page.as_uri() + "#sort=" + quote("train FLOPs:desc"), tmp_path / "profile")
    assert [a.split(" ")[0] for a in column(dom, 0, 1)] == ["cpo", "ppo", "dpo", "ipo", "ppo", "sft", "kto"]
    header = re.findall(r'<table class="board"><thead><tr>(.*?)</tr>', dom, re.S)[0]
    assert all(f'data-col="{c}"' in header for c in ("proxy reward", "implicit acc.", "train FLOPs"))


def test_the_verdict_and_the_frontier_are_on_the_first_screen(reference_boards, tmp_path):
    """At 1280×800 the committed reference's page shows its verdict and its frontier figure without scrolling (the
    page writes where they end on <body>), and a screenshot of that window is taken."""
    from pobench.core.record import read_records

    from tests.helpers import ROOT

    page = tmp_path / "leaderboard.html"
    records = read_records(ROOT / "results" / "reference")
    page.write_text(html_page(reference_boards, records))
    window = "--window-size=1280,800"
    dom = render(page.as_uri(), tmp_path / "profile", window)
    body = re.search(r"<body([^>]*)>", dom).group(1)
    place = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', body))
    width, height = (int(v) for v in place["viewport"].split("x"))
    assert width == 1280 and 600 <= height <= 800, place  # the window's inner size (the headless frame takes some)
    assert 0 < int(place["verdict-bottom"]) <= height, place
    assert 0 < int(place["figure-bottom"]) <= height, place
    assert re.search(r'<img class="main"[^>]*data-rendered="yes"', dom)  # the frontier, decoded
    assert "best-of-n reaches 70% of the optimal gain" in dom  # the sentence, on the page

    shot = tmp_path / "first-screen.png"
    done = subprocess.run(
        [need_chromium(), *FLAGS, window, "--hide-scrollbars", f"--user-data-dir={tmp_path / 'profile'}",
         f"--screenshot={shot}", page.as_uri()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    header = shot.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    assert (int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")) == (1280, 800)


def test_every_table_sorts(tmp_path):
    """Not only the detail table: the headline's max KL column, by its number (the reference rows' too)."""
    written = write_outputs(tmp_path, hand_made_records())
    dom = render(written["leaderboard.html"].as_uri() + "#sort=" + quote("max KL:asc"),
                 tmp_path / "profile")  # fmt: skip
    head, body = re.findall(r'<table class="headline"><thead>(.*?)</thead><tbody>(.*?)</tbody>', dom, re.S)[0]
    at = [re.sub(r"<[^>]+>", "", h) for h in re.findall(r"<th[^>]*>(.*?)</th>", head, re.S)].index("max KL")
    rows = [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body)]
    readings = [float(r[at]) for r in rows if r[at] not in ("", "-")]
    assert readings == sorted(readings) and len(readings) >= 4 and readings != sorted(readings, reverse=True)
    assert 'aria-sort="ascending"' in re.findall(r'<table class="headline">.*?</thead>', dom, re.S)[0]
