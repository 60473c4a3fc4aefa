"""file:PATH — your own preference data as a task: ``--task file:prefs.jsonl[@module:function]``.

A JSONL, CSV or Parquet file of pairs (prompt, chosen, rejected) or of unpaired rows (prompt,
completion, label); text files in UTF-8, with or without a byte-order mark. Every row is validated
when the task is named, before any work: text that is not UTF-8, a missing column, an empty,
non-text or overlong value, a bad label, or a pair whose two sides are equal is reported with its
line number, and nothing is trained. A row that repeats an earlier one exactly (the same text in
every column used, the same label) is dropped, the first kept, with one warning on stderr naming
the count and the first lines; the record's data artifact counts them (``duplicate_rows_dropped``),
and the task's fingerprint is of the rows used, so duplicates alone never change it. The pairs are
the preference data as given (no sampling, no labeler); SFT trains on the chosen (or desirable)
completions. About 10% of the distinct prompts (by a hash of the prompt, at most 128) are held out
for evaluation, with their rows; the rest train.

The optional ``@module:function`` is the gold reward, ``function(prompts, completions) -> floats``.
Without it, evaluation reports KL, length and throughput, and gold reward and win rate are NaN.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import sys
from pathlib import Path

from pobench.core.hashing import content_hash
from pobench.tasks.preference_rows import DataFileError, PreferenceRowsTask

PREFIX = "file:"
PAIRED = ("prompt", "chosen", "rejected")
UNPAIRED = ("prompt", "completion", "label")
FORMATS = (".jsonl", ".csv", ".parquet")
MAX_LISTED = 20  # problems listed in one error; the rest are counted
MAX_WARNED = 5  # line numbers of dropped duplicate rows named in the warning
# Longest text accepted in one field. Training sees at most max_length tokens of prompt and completion (default 64),
# so a longer text would be cut anyway; one of millions of characters would only make tokenizing take minutes.
MAX_TEXT_CHARS = 100_000
ENCODING_HELP = "save the file as UTF-8 (accepted: UTF-8, with or without a byte-order mark)"


def decode_lines(path: Path) -> list[str]:
    """The file's lines as text: UTF-8, a leading byte-order mark dropped; a byte that is not UTF-8 is an error
    naming its line and column."""
    raw = path.read_bytes()
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    lines = []
    for number, line in enumerate(raw.split(b"\n"), start=1):
        try:
            lines.append(line.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise DataFileError(
                f"{path}:{number}: not UTF-8 text (byte 0x{line[exc.start]:02X} at column {exc.start + 1}; "
                f"Latin-1 or Windows-1252 perhaps); {ENCODING_HELP}"
            ) from None
    return lines


def read_rows(path: Path) -> list[tuple[int, dict]]:
    """(line number, row) for every row: JSONL lines, CSV lines (header is line 1), Parquet rows (from 1)."""
    if not path.is_file():
        raise DataFileError(f"--task file:{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        rows = []
        for number, line in enumerate(decode_lines(path), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataFileError(f"{path}:{number}: not valid JSON ({exc.msg})") from None
            if not isinstance(row, dict):
                raise DataFileError(f"{path}:{number}: expected a JSON object, got {type(row).__name__}")
            rows.append((number, row))
        return rows
    if suffix == ".csv":
        reader = csv.DictReader(io.StringIO("\n".join(decode_lines(path)), newline=""))
        return [(reader.line_num, dict(row)) for row in reader]
    if suffix == ".parquet":
        import pandas as pd

        return [(i, row) for i, row in enumerate(pd.read_parquet(path).to_dict("records"), start=1)]
    raise DataFileError(f"--task file:{path}: unknown format {suffix or '(none)'!r} (accepted: {', '.join(FORMATS)})")


def parse_label(value) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0"):
        return value.strip().lower() in ("true", "1")
    return None


def screen_rows(path: Path, rows: list[tuple[int, dict]]) -> tuple[str, list[dict], list[tuple[int, str, bool]]]:
    """("paired" | "unpaired", clean rows, problems): the clean rows keep the first of each exact duplicate; each
    problem is (line number, message, whether it is only a repeat of an earlier row), in file order."""
    kind, columns = _kind_of(path, rows)
    problems, clean, seen = [], [], {}
    for number, row in rows:
        where = f"{path}:{number}"
        missing = [c for c in columns if c not in row or row[c] is None]
        if missing:
            problems.append((number, f"{where}: missing {', '.join(missing)}", False))
            continue
        texts = [c for c in columns if c != "label"]
        wrong = [c for c in texts if not isinstance(row[c], str)]
        if wrong:
            message = f"{where}: {wrong[0]} must be text, got {type(row[wrong[0]]).__name__} {row[wrong[0]]!r}"
            problems.append((number, message, False))
            continue
        empty = [c for c in texts if not row[c].strip()]
        if empty:
            problems.append((number, f"{where}: empty {', '.join(empty)}", False))
            continue
        long = [c for c in texts if len(row[c]) > MAX_TEXT_CHARS]
        if long:
            message = (
                f"{where}: {long[0]} is {len(row[long[0]]):,} characters, over the {MAX_TEXT_CHARS:,} accepted "
                "(training reads at most max_length tokens of it); shorten it"
            )
            problems.append((number, message, False))
            continue
        item = {c: row[c] for c in texts}
        if kind == "unpaired":
            label = parse_label(row["label"])
            if label is None:
                problems.append((number, f"{where}: label must be true/false or 1/0, got {row['label']!r}", False))
                continue
            item["label"] = label
        elif item["chosen"] == item["rejected"]:
            problems.append((number, f"{where}: chosen and rejected are the same text", False))
            continue
        key = tuple(item[c] for c in columns)  # the label as parsed: 1 and true are the same label
        if key in seen:
            problems.append((number, f"{where}: duplicate of line {seen[key]}", True))
            continue
        seen[key] = number
        clean.append(item)
    return kind, clean, problems


def refuse(path: Path, problems: list[str]) -> None:
    """A DataFileError listing ``problems`` (the first MAX_LISTED, then a count), if there are any."""
    if problems:
        listed = "\n  ".join(problems[:MAX_LISTED])
        more = f"\n  ... and {len(problems) - MAX_LISTED} more" if len(problems) > MAX_LISTED else ""
        raise DataFileError(f"{path}: {len(problems)} bad row(s); nothing was trained:\n  {listed}{more}")


def usable_rows(path: Path, rows: list[tuple[int, dict]]) -> tuple[str, list[dict], list[int]]:
    """("paired" | "unpaired", clean rows, line numbers of the rows dropped as exact duplicates of an earlier row),
    or a DataFileError naming each bad row by line number. A file's rows: the first of each duplicate is kept."""
    kind, clean, problems = screen_rows(path, rows)
    refuse(path, [message for _, message, repeat in problems if not repeat])
    return kind, clean, [number for number, _, repeat in problems if repeat]


def dropped_warning(name: str, lines: list[int]) -> str:
    """The one warning line for the duplicate rows dropped from ``name`` (the first MAX_WARNED line numbers)."""
    shown = ", ".join(str(n) for n in lines[:MAX_WARNED]) + (", ..." if len(lines) > MAX_WARNED else "")
    if len(lines) == 1:
        return f"pobench: warning: {name}: dropped 1 duplicate row (at line {shown}; it repeats an earlier row)"
    return (
        f"pobench: warning: {name}: dropped {len(lines)} duplicate rows (first at lines {shown}; "
        "each repeats an earlier row)"
    )


def _kind_of(path: Path, rows: list[tuple[int, dict]]) -> tuple[str, tuple[str, ...]]:
    """The file's kind and columns, read off its first row; a DataFileError if it has no rows or lacks a column."""
    if not rows:
        raise DataFileError(f"{path}: no rows (an empty prompt set); expected columns {', '.join(PAIRED)} or "
                            f"{', '.join(UNPAIRED)}")  # fmt: skip
    first = set(rows[0][1])
    kind, columns = ("paired", PAIRED) if set(PAIRED) <= first else ("unpaired", UNPAIRED)
    if not set(columns) <= first:
        missing = (
            [c for c in PAIRED if c not in first]
            if "chosen" in first or "rejected" in first
            else [c for c in UNPAIRED if c not in first]
        )
        raise DataFileError(
            f"{path}: missing column(s) {', '.join(missing)} (found: {', '.join(sorted(first))}; accepted: "
            f"{', '.join(PAIRED)} for pairs, or {', '.join(UNPAIRED)} for unpaired rows)"
        )
    return kind, columns


class FileTask(PreferenceRowsTask):
    """A task made from a preference file; built by ``pobench.tasks.make_task("file:PATH[@module:function]")``.
    Exact duplicate rows are dropped (the first is kept), with one warning on stderr; ``duplicates_dropped``
    holds their line numbers, and the record's data artifact their count (``data_stats``)."""

    def __init__(self, spec: str) -> None:
        text, _, gold = spec.partition("@")
        self.path = Path(text)
        kind, rows, self.duplicates_dropped = usable_rows(self.path, read_rows(self.path))
        self.setup(PREFIX + spec, str(self.path), kind, rows, gold or None)
        self.rows_sha256 = content_hash(rows, length=64)  # once: the harness asks for the fingerprint per artifact
        if self.duplicates_dropped:
            print(dropped_warning(f"{PREFIX}{self.path}", self.duplicates_dropped), file=sys.stderr)

    def fingerprint_inputs(self) -> dict:
        """The rows used, in order (after duplicates are dropped), not the file's bytes: two files with the same rows
        (one with duplicates, or another format) have the same fingerprint."""
        return {"rows_sha256": self.rows_sha256, "gold": self.gold_spec}

    def data_stats(self) -> dict:
        return {"duplicate_rows_dropped": len(self.duplicates_dropped)}
