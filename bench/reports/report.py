"""Plain-text tables of records: what `pobench run` and `pobench show` print."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields

from pobench.algorithms import ALGORITHMS
from pobench.core.record import RunRecord
from pobench.reports.cells import table_cell

COLUMNS = (
    "algo",
    "seed",
    "gold reward ± se",
    "KL (seq)",
    "KL/token",
    "length",
    "trunc",
    "win rate",
    "train tok/s",
    "gen tok/s",
    "train s",
    "eval s",
    "status",
)


def algo_label(r: RunRecord) -> str:
    """The algorithm name plus any hyperparameter that differs from its default: "ipo beta=0.5"."""

    if r.algo not in ALGORITHMS:  # a plugin that is not installed here
        return r.algo
    defaults = {f.name: f.default for f in fields(ALGORITHMS.get(r.algo).hparams)}
    changed = [
        f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
        for k, v in r.hparams.items()
        if k in defaults and v != defaults[k]
    ]
    return " ".join([r.algo, *changed])


def record_row(r: RunRecord) -> list[str]:
    m = r.metrics
    if r.status != "ok" or not m:
        return [algo_label(r), str(r.seed)] + ["-"] * (len(COLUMNS) - 3) + [f"{r.status}: {(r.error or '')[:60]}"]
    tok_s = m.get("perf/train_tokens_per_s", 0.0)
    return [
        algo_label(r),
        str(r.seed),
        f"{m['eval/reward']:+.3f} ± {m['eval/reward_se']:.3f}",
        ("≤" if m.get("eval/kl_is_bound") else "") + f"{m['eval/kl']:.2f}",
        f"{m['eval/kl_per_token']:.3f}",
        f"{m['eval/length']:.1f}",
        f"{m['eval/truncation_rate']:.0%}",
        f"{m['eval/win_rate']:.3f}",
        f"{tok_s:,.0f}" if tok_s else "-",
        f"{m['perf/gen_tokens_per_s']:,.0f}",
        f"{m['perf/train_time_s']:.1f}",
        f"{m['perf/eval_time_s']:.1f}",
        "ok",
    ]


def format_table(rows: Sequence[Sequence[str]], header: Sequence[str] = COLUMNS) -> str:
    """A markdown table (readable in a terminal, pasteable into the README); every cell through ``table_cell``."""
    header, rows = [table_cell(h) for h in header], [[table_cell(c) for c in row] for row in rows]
    widths = [max(len(x) for x in col) for col in zip(header, *rows)]
    line = lambda cells: "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"  # noqa: E731
    return "\n".join([line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, rows)])


def records_table(records: Sequence[RunRecord]) -> str:
    return format_table([record_row(r) for r in records])


def settings_lines(flat: dict, sources: dict[str, str], only_given: bool = False) -> list[str]:
    """One line per setting: its value and where the value came from (``CellSpec.sources``, a record's
    ``settings_source``); ``only_given``: only those not at their default."""
    keys = [k for k in sources if not (only_given and sources[k] == "default")]
    if not keys:
        return ["  every setting at its default"]
    width = max(len(k) for k in keys)
    values = {k: repr(flat.get(k)) for k in keys}
    value_width = max(len(v) for v in values.values())
    return [f"  {k:<{width}}  {values[k]:<{value_width}}  {sources[k]}" for k in keys]
