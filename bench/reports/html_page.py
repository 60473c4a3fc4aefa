"""The leaderboard as one self-contained HTML page: sortable tables and the plots inlined, no server needed.

Sorting: click a column header (again to reverse). ``#sort=COLUMN:asc|desc`` in the address sorts
every table on load, which also lets a test check the sorting in a real browser.
"""

from __future__ import annotations

import base64
import html
import math

from pobench.reports import headline, proxy
from pobench.reports.leaderboard import DISPLAY_COLUMNS, LEGEND, Board, display_rows

# display column → the raw column its cells sort by (numbers sort as numbers)
SORT_KEYS = {
    "rank": "rank",
    "gold reward (95% CI)": "reward_mean",
    "KL (95% CI)": "kl_mean",
    "length": "length_mean",
    "truncated": "truncation_mean",
    "win rate": "win_rate_mean",
    "train tok/s": "train_tokens_per_s_mean",
    "train s": "train_s_mean",
    "proxy reward": "proxy_reward_mean",
    "implicit acc.": "implicit_accuracy_mean",
    "train FLOPs": "train_flops_mean",
    "seeds": "seeds",
}

STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { padding: 4px 10px; border-bottom: 1px solid #ddd; text-align: right; white-space: nowrap; }
th { cursor: pointer; background: #f4f4f4; user-select: none; }
th[aria-sort=ascending]::after { content: " ▲"; } th[aria-sort=descending]::after { content: " ▼"; }
td:nth-child(2), th:nth-child(2), td:last-child { text-align: left; }
table.headline td:first-child, table.headline th:first-child, table.paired td:first-child { text-align: left; }
table.proxy td:first-child, table.proxy th:first-child, table.gao td:first-child, table.gao th:first-child,
table.gao td:nth-child(2) { text-align: left; }
table.headline th, table.paired th, table.proxy th, table.gao th { cursor: default; }
tr.frontier td:nth-child(2) { font-weight: 600; }
img { max-width: 100%; display: block; margin: 0.5em 0; }
.meta, .legend { color: #555; font-size: 12px; }
"""

SCRIPT = """
function sortTable(table, col, dir) {
  const body = table.tBodies[0];
  const rows = Array.from(body.rows);
  const value = (row) => {
    const cell = row.cells[col];
    const v = cell.dataset.v;
    return v === undefined ? cell.textContent : (v === "" ? NaN : parseFloat(v));
  };
  rows.sort((a, b) => {
    const x = value(a), y = value(b);
    if (typeof x === "number" || typeof y === "number") {
      if (isNaN(x)) return 1; if (isNaN(y)) return -1;   // empty cells last either way
      return dir === "asc" ? x - y : y - x;
    }
    return dir === "asc" ? x.localeCompare(y) : y.localeCompare(x);
  });
  rows.forEach((r) => body.appendChild(r));
  Array.from(table.tHead.rows[0].cells).forEach((th, i) =>
    th.setAttribute("aria-sort", i === col ? (dir === "asc" ? "ascending" : "descending") : "none"));
}
document.querySelectorAll("table.board").forEach((table) => {
  Array.from(table.tHead.rows[0].cells).forEach((th, i) => th.addEventListener("click", () =>
    sortTable(table, i, th.getAttribute("aria-sort") === "ascending" ? "desc" : "asc")));
});
window.addEventListener("load", () => {
  const m = /sort=([^:&]+):(asc|desc)/.exec(decodeURIComponent(location.hash));
  if (m) document.querySelectorAll("table.board").forEach((table) => {
    const col = Array.from(table.tHead.rows[0].cells).findIndex((th) => th.dataset.col === m[1]);
    if (col >= 0) sortTable(table, col, m[2]);
  });
  document.querySelectorAll("img").forEach((img) => { img.dataset.rendered = img.naturalWidth > 0 ? "yes" : "no"; });
  document.body.dataset.ready = "yes";
});
"""


def _number(value) -> str:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return ""
    return "" if math.isnan(value) else repr(value)


def board_html(board: Board, plots: dict[str, bytes]) -> str:
    head = "".join(f'<th data-col="{html.escape(c)}" aria-sort="none">{html.escape(c)}</th>' for c in DISPLAY_COLUMNS)
    body = []
    for (_, raw), shown in zip(board.rows.iterrows(), display_rows(board.rows)):
        cells = []
        for column in DISPLAY_COLUMNS:
            sort = f' data-v="{_number(raw[SORT_KEYS[column]])}"' if column in SORT_KEYS else ""
            cells.append(f"<td{sort}>{html.escape(shown[column])}</td>")
        body.append(f'<tr class="{"frontier" if raw["frontier"] else ""}">{"".join(cells)}</tr>')
    images = "".join(
        f'<img alt="{html.escape(name)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'
        for name, png in plots.items()
    )
    return (
        f"<section><h2>{html.escape(board.title)}</h2>{headline_html(board)}"
        f'<h3>Every configuration</h3><table class="board"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>{images}</section>"
    )


def headline_html(board: Board) -> str:
    """The matched-KL table (reward at each KL budget, ranks, share of the optimal gain) and its legend, then per
    budget the paired comparisons behind the ranks and the power line."""
    if board.headline is None or not len(board.headline.rows):
        return ""
    h = board.headline
    cols = headline.columns(h.budgets)
    rows = [[row.get(c, "") for c in cols] for row in headline.display_rows(h)]
    parts = [f"<h3>Reward at matched KL</h3>{_table(cols, rows, 'headline')}"]
    parts.append(f'<p class="legend">{html.escape(headline.legend(h))}</p>')
    parts.append(proxy_html(h))
    for k in h.budgets:
        if h.comparisons.get(k):
            table = _table(headline.PAIRED_COLUMNS, headline.paired_rows(h.comparisons[k]), "paired")
            power = html.escape(headline.power_text(h.power[k], k))
            parts.append(f'<h4>Paired comparisons at KL {k:g}</h4>{table}<p class="legend">{power}</p>')
    if any(h.comparisons.values()):
        parts.append(f'<p class="legend">{html.escape(headline.PAIRED_LEGEND)}</p>')
    return "".join(parts)


def proxy_html(h: headline.Headline) -> str:
    """The proxy, gap and compute at matched KL, then the Gao et al. fits (a reading aid), each with its legend."""
    table = _table(proxy.proxy_table_columns(h.budgets), proxy.proxy_rows(h.rows, h.budgets), "proxy")
    fits = _table(proxy.GAO_COLUMNS, proxy.gao_rows(h.rows), "gao")
    return (
        f'<h3>Proxy and cost at matched KL</h3>{table}<p class="legend">{html.escape(proxy.PROXY_LEGEND)}</p>'
        f'<h3>Gao et al. (2023) fits: a reading aid</h3>{fits}<p class="legend">{html.escape(proxy.GAO_LEGEND)}</p>'
    )


def _table(cols, rows, cls: str) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in row) + "</tr>" for row in rows)
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def page(boards: list[Board], plots: dict[str, dict[str, bytes]], meta: str) -> str:
    """``plots``: board key → file name → PNG bytes."""
    sections = "".join(board_html(b, plots.get(b.key, {})) for b in boards) or "<p>No records.</p>"
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>pobench leaderboard</title>'
        f"<style>{STYLE}</style></head><body><h1>pobench leaderboard</h1>"
        f'<p class="meta">{html.escape(meta)}</p>{sections}<p class="legend">{html.escape(LEGEND)}</p>'
        f"<script>{SCRIPT}</script></body></html>\n"
    )
