"""Every `pobench` command the README, the docs and the results' notes show parses with today's command line (a
renamed flag or command in the docs fails here, not for the reader)."""

from __future__ import annotations

import re
import shlex

import pytest
from pobench.cli import Parser, UsageError, build_parser, words_in

from tests.helpers import ROOT

DOCS = [ROOT / "README.md", ROOT / "bench" / "ARCHITECTURE.md", *sorted((ROOT / "docs").glob("*.md")),
        *sorted((ROOT / "results").glob("**/README.md"))]  # fmt: skip


def commands(text: str) -> list[str]:
    """`pobench ...` in inline code, and lines of code blocks that start with it (or with ``$ pobench``); a
    synopsis (``[--flag]``), an elided one (``...``) or a name in the text (`pobench run`, `pobench run --set`) is
    not a command line."""
    found = [
        c for c in re.findall(r"`(pobench [^`]+)`", text) if len(c.split()) > 2 and not c.split()[-1].startswith("--")
    ]
    for block in re.findall(r"```[a-z]*\n(.*?)```", text, flags=re.S):
        found += [line.lstrip("$ ") for line in block.splitlines() if re.match(r"(\$ )?pobench ", line)]
    return [c.split("  #")[0].strip().rstrip("\\").strip() for c in found if "[" not in c and "..." not in c]


CASES = [(path.relative_to(ROOT).as_posix(), c) for path in DOCS for c in commands(path.read_text())]


def test_the_docs_show_commands():
    assert len(CASES) > 40


@pytest.mark.parametrize(("where", "command"), CASES)
def test_a_command_in_the_docs_parses(where, command, monkeypatch):
    words = shlex.split(command)[1:]
    words = [w for w in words if not w.startswith("|")]
    monkeypatch.setattr(Parser, "exit", lambda self, status=0, message=None: None)  # --help, --version
    try:
        build_parser(words_in(words)).parse_args(words)
    except UsageError as exc:
        pytest.fail(f"{where}: `{command}`: {exc}")
