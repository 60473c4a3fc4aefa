"""Names inside Markdown: a plugin's algorithm name or a file task's path must not break the table it sits in."""

from __future__ import annotations

import re

TAG = re.compile(r"<(?=[A-Za-z/!?])")  # a `<` that opens an HTML tag (or a comment), which a renderer would hide


def table_cell(text: object) -> str:
    """``text`` safe in a Markdown table cell or heading: ``|`` would start a new column (→ ``\\|``), a line break
    would end the row (→ ``\\n``, shown), and ``<`` before a letter would open an HTML tag (→ ``&lt;``). pobench's own
    ``>`` and ``<`` between numbers ("a > b", "p <0.001") are left as they read."""
    text = str(text).replace("|", "\\|").replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")
    return TAG.sub("&lt;", text)
