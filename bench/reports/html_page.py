"""The leaderboard as one self-contained HTML page: the verdict and the frontier figure first (inside a 1280×800
window), a table of contents, then every table (each sortable) and the other figures; no server needed.

Sorting: click a column header (again to reverse); a cell sorts by its number (its ``data-v``, else the number
its text starts with: "+0.133 (…)", "65%") and text after numbers, empty cells last. ``#sort=COLUMN:asc|desc`` in
the address sorts every table that has the column on load, which also lets a test check the sorting in a real
browser. On load the page writes where the first verdict and main figure lie (``data-verdict-bottom``,
``data-figure-bottom``, ``data-viewport``, pixels) on ``<body>``: the screenshot test reads them.
"""

from __future__ import annotations

import base64
import html
import math

from pobench.reports import headline, proxy, verdict
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
body { font: 14px/1.4 system-ui, sans-serif; margin: 0.6em auto; max-width: 1220px; color: #222; padding: 0 12px; }
h1 { font-size: 20px; margin: 0; display: inline; } h2 { font-size: 16px; margin: 0.6em 0 0.3em; }
h3 { font-size: 15px; margin: 1.2em 0 0.3em; } .meta { display: inline; margin-left: 1em; }
nav { font-size: 13px; margin: 0.3em 0; } nav a { margin-right: 0.7em; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { padding: 3px 9px; border-bottom: 1px solid #ddd; text-align: right; white-space: nowrap; }
th { cursor: pointer; background: #f4f4f4; user-select: none; }
th[aria-sort=ascending]::after { content: " ▲"; } th[aria-sort=descending]::after { content: " ▼"; }
td:nth-child(2), th:nth-child(2), td:last-child { text-align: left; }
table.headline td:first-child, table.headline th:first-child, table.paired td:first-child { text-align: left; }
table.proxy td:first-child, table.proxy th:first-child, table.gao td:first-child, table.gao th:first-child,
table.gao td:nth-child(2) { text-align: left; }
tr.frontier td:nth-child(2) { font-weight: 600; }
.verdict blockquote { margin: 0.3em 0; padding: 0.3em 0.8em; border-left: 4px solid #0072B2; background: #f5f9fc;
  font-size: 15px; }
table.verdict { font-size: 12.5px; margin: 0.3em 0; width: 100%; }
table.verdict td { text-align: left; padding: 2px 8px; } table.verdict td:first-child { text-align: right; }
table.verdict td:nth-child(2) { white-space: normal; }
table.verdict td:nth-child(3) { white-space: normal; max-width: 190px; }
.lead { display: flex; gap: 16px; align-items: flex-start; } .lead .legend { flex: 1 1 260px; margin: 0.4em 0; }
.lead img.main { flex: 0 1 auto; min-width: 0; }
.scroll { overflow-x: auto; }
img { max-width: 100%; display: block; margin: 0.5em 0; }
img.main { max-height: 330px; width: auto; margin: 0.3em 0; cursor: zoom-in; }
img.main.full { max-height: none; cursor: zoom-out; }
.meta, .legend { color: #555; font-size: 12px; }
"""

SCRIPT = """
const MINUS = /\u2212/g;
function cellValue(cell) {
  const v = cell.dataset.v;
  if (v !== undefined) return v === "" ? NaN : parseFloat(v);
  const text = cell.textContent.trim().replace(MINUS, "-");
  if (/^[+-]?(\\d|\\.\\d)/.test(text)) return parseFloat(text);
  return text === "" || text === "-" ? NaN : text;
}
function sortTable(table, col, dir) {
  const body = table.tBodies[0];
  const rows = Array.from(body.rows);
  rows.sort((a, b) => {
    const x = cellValue(a.cells[col]), y = cellValue(b.cells[col]);
    const nx = typeof x === "number", ny = typeof y === "number";
    if (nx && isNaN(x)) return (ny && isNaN(y)) ? 0 : 1;   // empty cells last either way
    if (ny && isNaN(y)) return -1;
    if (nx && ny) return dir === "asc" ? x - y : y - x;
    if (nx !== ny) return nx ? -1 : 1;   // numbers before text
    return dir === "asc" ? x.localeCompare(y) : y.localeCompare(x);
  });
  rows.forEach((r) => body.appendChild(r));
  Array.from(table.tHead.rows[0].cells).forEach((th, i) =>
    th.setAttribute("aria-sort", i === col ? (dir === "asc" ? "ascending" : "descending") : "none"));
}
const TABLES = Array.from(document.querySelectorAll("table")).filter((t) => t.tHead && t.tBodies.length);
TABLES.forEach((table) => {
  Array.from(table.tHead.rows[0].cells).forEach((th, i) => {
    th.setAttribute("aria-sort", "none");
    th.addEventListener("click", () =>
      sortTable(table, i, th.getAttribute("aria-sort") === "ascending" ? "desc" : "asc"));
  });
});
window.addEventListener("load", () => {
  const m = /sort=([^:&]+):(asc|desc)/.exec(decodeURIComponent(location.hash));
  if (m) TABLES.forEach((table) => {
    const col = Array.from(table.tHead.rows[0].cells).findIndex((th) => (th.dataset.col || th.textContent) === m[1]);
    if (col >= 0) sortTable(table, col, m[2]);
  });
  document.querySelectorAll("img").forEach((img) => { img.dataset.rendered = img.naturalWidth > 0 ? "yes" : "no"; });
  const place = (sel, name) => {
    const el = document.querySelector(sel);
    if (el) document.body.dataset[name] = String(Math.round(el.getBoundingClientRect().bottom + window.scrollY));
  };
  document.querySelectorAll("img.main").forEach((img) =>
    img.addEventListener("click", () => img.classList.toggle("full")));
  place(".verdict", "verdictBottom");
  place("img.main", "figureBottom");
  document.body.dataset.viewport = `${window.innerWidth}x${window.innerHeight}`;
  document.body.dataset.ready = "yes";
});
"""


def _number(value) -> str:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return ""
    return "" if math.isnan(value) else repr(value)


def _slug(board: Board) -> str:
    return html.escape(board.key[:8] or "nokey")


def board_html(board: Board, plots: dict[str, bytes]) -> str:
    """One board: its verdict and frontier figure, the headline's tables, every configuration, the other figures."""
    slug = _slug(board)
    head = "".join(f'<th data-col="{html.escape(c)}" aria-sort="none">{html.escape(c)}</th>' for c in DISPLAY_COLUMNS)
    body = []
    for (_, raw), shown in zip(board.rows.iterrows(), display_rows(board.rows)):
        cells = []
        for column in DISPLAY_COLUMNS:
            sort = f' data-v="{_number(raw[SORT_KEYS[column]])}"' if column in SORT_KEYS else ""
            cells.append(f"<td{sort}>{html.escape(shown[column])}</td>")
        body.append(f'<tr class="{"frontier" if raw["frontier"] else ""}">{"".join(cells)}</tr>')
    main = next((name for name in plots if name.startswith("frontier-")), None)
    others = "".join(_image(name, png) for name, png in plots.items() if name != main)
    aside = [FIGURE_CAPTION] if main else []
    if board.headline is not None and len(board.headline.rows):
        aside.append(verdict.LEGEND.replace("`", ""))
    lead = (_image(main, plots[main], "main") if main else "") + "".join(
        f'<p class="legend">{html.escape(text)}</p>' for text in aside
    )
    return (
        f'<section id="{slug}"><h2>{html.escape(board.title)}</h2>{verdict_html(board)}'
        + f'<div class="lead">{lead}</div>'
        + headline_html(board)
        + f'<h3 id="{slug}-detail">Every configuration</h3><div class="scroll"><table class="board"><thead><tr>{head}'
        f"</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
        + (f'<h3 id="{slug}-figures">Figures</h3>{others}' if others else "")
        + "</section>"
    )


FIGURE_CAPTION = (
    "The frontier, one panel per algorithm in the verdict's order: its reading at every KL (mean over seeds, where "
    "every seed is read, with a 95% band), the readings at the budgets as dots with 95% intervals, its cells faint; "
    "in every panel the optimum π*_β (black), the best-of-n baseline (dashed) and SFT (dotted). Click to enlarge."
)


def _image(name: str, png: bytes, cls: str = "") -> str:
    """An inlined PNG (the main figure, shown small above the fold, is full size once clicked)."""
    attr = f' class="{cls}" title="click: full size"' if cls else ""
    return f'<img{attr} alt="{html.escape(name)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'


def verdict_html(board: Board) -> str:
    """The verdict (bench/reports/verdict.py): the sentence, the order at each budget, the legend."""
    h = board.headline
    if h is None or not len(h.rows):
        return ""
    budgets = verdict.budgets_of(h)
    rows = [verdict.cells(b) for b in budgets]
    quote = html.escape(verdict.sentence(verdict.pick(budgets), board.task, board.model))
    return (
        f'<div class="verdict" id="{_slug(board)}-verdict"><blockquote>{quote}</blockquote>'
        f"{_table(verdict.COLUMNS, rows, 'verdict')}</div>"
    )


def headline_html(board: Board) -> str:
    """The matched-KL table (reward at each KL budget, ranks, share of the optimal gain) and its legend, then per
    budget the paired comparisons behind the ranks and the power line."""
    if board.headline is None or not len(board.headline.rows):
        return ""
    h = board.headline
    cols = headline.columns(h.budgets)
    rows = [[row.get(c, "") for c in cols] for row in headline.display_rows(h)]
    slug = _slug(board)
    parts = [f'<h3 id="{slug}-headline">Reward at matched KL</h3>{_table(cols, rows, "headline")}']
    parts.append(f'<p class="legend">{html.escape(headline.legend(h))}</p>')
    parts.append(proxy_html(h, slug))
    for i, k in enumerate(kk for kk in h.budgets if h.comparisons.get(kk)):
        table = _table(headline.PAIRED_COLUMNS, headline.paired_rows(h.comparisons[k]), "paired")
        power = html.escape(headline.power_text(h.power[k], k))
        anchor = f' id="{slug}-paired"' if i == 0 else ""
        parts.append(f'<h4{anchor}>Paired comparisons at KL {k:g}</h4>{table}<p class="legend">{power}</p>')
    if any(h.comparisons.values()):
        parts.append(f'<p class="legend">{html.escape(headline.PAIRED_LEGEND)}</p>')
    return "".join(parts)


def proxy_html(h: headline.Headline, slug: str) -> str:
    """The proxy, gap and compute at matched KL, then the Gao et al. fits (a reading aid), each with its legend."""
    table = _table(proxy.proxy_table_columns(h.budgets), proxy.proxy_rows(h.rows, h.budgets), "proxy")
    fits = _table(proxy.GAO_COLUMNS, proxy.gao_rows(h.rows), "gao")
    return (
        f'<h3 id="{slug}-proxy">Proxy and cost at matched KL</h3>{table}'
        f'<p class="legend">{html.escape(proxy.PROXY_LEGEND)}</p>'
        f'<h3>Gao et al. (2023) fits: a reading aid</h3>{fits}<p class="legend">{html.escape(proxy.GAO_LEGEND)}</p>'
    )


def _table(cols, rows, cls: str) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in row) + "</tr>" for row in rows)
    return f'<div class="scroll"><table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def contents(board: Board, plots: dict[str, bytes]) -> str:
    """One line of the table of contents: the board and links to its parts."""
    slug, h = _slug(board), board.headline
    parts = []
    if h is not None and len(h.rows):
        parts += [("verdict", "verdict"), ("headline", "reward at matched KL"), ("proxy", "proxy and cost")]
        if any(h.comparisons.values()):
            parts.append(("paired", "paired comparisons"))
    parts.append(("detail", "every configuration"))
    if len(plots) > 1:
        parts.append(("figures", "figures"))
    links = " · ".join(f'<a href="#{slug}-{anchor}">{text}</a>' for anchor, text in parts)
    return f'<div><a href="#{slug}"><b>{html.escape(f"{board.task} · {board.model}")}</b></a>: {links}</div>'


def page(boards: list[Board], plots: dict[str, dict[str, bytes]], meta: str, libraries: str = "") -> str:
    """``plots``: board key → file name → PNG bytes; ``meta``: one line under the title (records, machine);
    ``libraries``: their versions, at the foot of the page."""
    sections = "".join(board_html(b, plots.get(b.key, {})) for b in boards) or "<p>No records.</p>"
    toc = "".join(contents(b, plots.get(b.key, {})) for b in boards)
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>pobench leaderboard</title>'
        f'<style>{STYLE}</style></head><body><header><h1>pobench leaderboard</h1><p class="meta">'
        f'{html.escape(meta)}</p></header><nav>{toc}</nav>{sections}<p class="legend">{html.escape(LEGEND)}</p>'
        f"<script>{SCRIPT}</script></body></html>\n"
    )
