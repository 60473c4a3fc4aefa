"""Write a results folder's leaderboard files: markdown, CSV, the HTML page and the PNG plots.

Every file is written atomically, so a crash while publishing leaves the previous version whole.
"""

from __future__ import annotations

import time
from pathlib import Path

from pobench.core.atomic import write_bytes_atomic, write_text_atomic
from pobench.core.record import RunRecord
from pobench.reports.html_page import page
from pobench.reports.leaderboard import GROUP_BY, Board, build_boards, headline_csv, to_csv, to_markdown
from pobench.reports.plots import plot_files
from pobench.reports.readings import readings_csv


def board_plots(boards: list[Board]) -> dict[str, dict[str, bytes]]:
    return {b.key: plot_files(b) for b in boards if (b.rows["seeds"] > 0).any()}


def describe(records: list[RunRecord]) -> tuple[str, str]:
    """Two lines: how many records, when, on what hardware; and with which library versions."""
    machines = sorted(
        {f"{r.environment.get('device_name', '?')} ({r.environment.get('cpu_count', '?')} CPUs)" for r in records}
    )
    versions = records[0].environment.get("packages", {}) if records else {}
    libs = ", ".join(f"{k} {v}" for k, v in sorted(versions.items()))
    return f"{len(records)} records; built {time.strftime('%Y-%m-%d %H:%M')}; on {'; '.join(machines)}", libs


def write_plots(out_dir: Path, plots: dict[str, dict[str, bytes]]) -> dict[str, Path]:
    """``out_dir/plots/NAME.png`` for every plot of every board; returns the paths, by name."""
    written = {}
    for files in plots.values():
        for name, png in files.items():
            write_bytes_atomic(Path(out_dir) / "plots" / name, png)
            written[name] = Path(out_dir) / "plots" / name
    return written


def html_page(boards: list[Board], records: list[RunRecord], plots: dict[str, dict[str, bytes]] | None = None) -> str:
    return page(boards, board_plots(boards) if plots is None else plots, *describe(records))


def write_outputs(
    out_dir: Path, records: list[RunRecord], by: tuple[str, ...] = GROUP_BY, boards: list[Board] | None = None
) -> dict[str, Path]:
    """leaderboard.{md,csv,html}, headline.csv (reward at matched KL), readings.csv (each seed's readings) and
    plots/*.png under ``out_dir``; returns what was written, by name. ``boards``: the records' boards, where the
    caller has built them already."""
    out_dir = Path(out_dir)
    boards = build_boards(records, by) if boards is None else boards
    plots = board_plots(boards)
    written = {}
    contents = {
        "leaderboard.md": to_markdown(boards),
        "leaderboard.csv": to_csv(boards),
        "headline.csv": headline_csv(boards),
        "readings.csv": readings_csv(boards),  # every per-seed reading, long form (rliable, pandas, pingouin)
        "leaderboard.html": html_page(boards, records, plots),
    }
    for name, text in contents.items():
        write_text_atomic(out_dir / name, text)
        written[name] = out_dir / name
    return {**written, **write_plots(out_dir, plots)}
