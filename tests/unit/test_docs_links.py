"""Every relative link and image in the README, the docs and the results' notes leads somewhere: the file or
folder exists, and an `#anchor` names a heading of the Markdown file it points into. The README stays a front
door: short, with the reference's verdict near the top, and the license and citation named."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pobench.reports import verdict as verdict_module

ROOT = Path(__file__).resolve().parents[2]  # no tests.helpers: it imports torch, and this test needs none
README = ROOT / "README.md"
DOCS = [README, ROOT / "bench" / "ARCHITECTURE.md", *sorted((ROOT / "docs").glob("*.md")),
        *sorted((ROOT / "results").glob("**/README.md"))]  # fmt: skip

FENCE = re.compile(r"^[ \t]*(```|~~~).*?^[ \t]*\1[ \t]*$", flags=re.M | re.S)
INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$", flags=re.M)


def prose(text: str) -> str:
    """The text a reader sees as Markdown: fenced blocks and inline code hold no links or headings."""
    return INLINE_CODE.sub("", FENCE.sub("", text))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, characters other than letters, digits, spaces, hyphens and
    underscores dropped, spaces made hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link in a heading keeps only its text
    text = re.sub(r"<[^>]+>", "", text).lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """The anchors of a Markdown file's headings; a repeated heading gets -1, -2, ... as on GitHub."""
    seen: dict[str, int] = {}
    found = set()
    for heading in HEADING.findall(FENCE.sub("", path.read_text())):
        base = slug(heading.replace("`", ""))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def links(path: Path) -> list[str]:
    return [t for t in LINK.findall(prose(path.read_text())) if not re.match(r"(https?:|mailto:)", t)]


CASES = [(path.relative_to(ROOT).as_posix(), target) for path in DOCS for target in links(path)]


def test_the_docs_have_links_to_check():
    assert len(CASES) > 10
    assert {where for where, _ in CASES} >= {"README.md", "docs/README.md"}


def test_slugs_follow_github():
    assert slug("The adapter contract (bench/contracts/adapter.py)") == "the-adapter-contract-benchcontractsadapterpy"
    assert slug("Resolving power: where the noise comes from") == "resolving-power-where-the-noise-comes-from"
    assert slug("Sampling is the model's own distribution") == "sampling-is-the-models-own-distribution"
    assert slug("What carries over from tiny") == "what-carries-over-from-tiny"


@pytest.mark.parametrize(("where", "target"), CASES)
def test_a_relative_link_resolves(where, target):
    source = ROOT / where
    name, _, anchor = target.partition("#")
    path = (source.parent / name).resolve() if name else source
    assert path.exists(), f"{where}: [..]({target}): {name} does not exist"
    assert path == ROOT or ROOT in path.parents, f"{where}: [..]({target}) points outside the repository"
    if anchor and path.suffix == ".md":
        assert anchor in anchors(path), f"{where}: [..]({target}): no heading of {path.name} has the anchor #{anchor}"


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_doc_points_outside_the_repository(path):
    text = path.read_text()
    assert "../shared" not in text, f"{path.relative_to(ROOT)} refers to ../shared, which is not in the repository"
    assert not re.search(r"\]\((/|[A-Za-z]:\\|file:)", text), f"{path.relative_to(ROOT)} links an absolute path"


def test_the_readme_is_a_front_door():
    lines = README.read_text().splitlines()
    assert len(lines) <= 300, f"README.md has {len(lines)} lines; move detail into docs/"
    top = lines[:80]
    assert "<!-- pobench:verdict:start -->" in top and "<!-- pobench:verdict:end -->" in top
    assert top.index("<!-- pobench:verdict:start -->") < top.index("<!-- pobench:verdict:end -->")
    figure = "](results/reference/plots/frontier-sentiment-tiny-cab4bebb.png)"
    assert any(figure in line for line in top), "the reference's figure follows its verdict near the top"


def test_the_readme_names_the_license_and_the_citation():
    text = README.read_text()
    assert "(LICENSE)" in text and "(CITATION.cff)" in text
    assert (ROOT / "LICENSE").is_file() and (ROOT / "CITATION.cff").is_file()
    assert "Apache License" in (ROOT / "LICENSE").read_text()


def test_the_readme_shows_the_verdict_the_leaderboard_generates(reference_boards):
    """The README's block between the markers is `pobench leaderboard --out results/reference --format verdict`
    (`make readme-verdict` writes it there when the reference changes)."""
    readme = (ROOT / "README.md").read_text()
    assert verdict_module.between_markers(readme) == verdict_module.board_markdown(reference_boards).strip()
    assert readme[: readme.index(verdict_module.END)].count("\n") < 80  # on the first screen of the README


def test_the_results_notes_show_the_claims_the_records_give(reference_records):
    """Each results folder's claims block is what `pobench leaderboard --out results/NAME --format claims` prints
    (its --into writes it there), and results/README.md's is every claim read in its own folder (`pobench
    leaderboard --out results --format claims`)."""
    from pobench.claims.report import END, START, evaluate, evaluate_tree, markdown, summary
    from pobench.core.record import read_records

    noted = [p.parent for p in sorted((ROOT / "results").glob("*/README.md")) if START in p.read_text()]
    assert {f.name for f in noted} >= {"reference", "validate-tabular", "concise-smollm2", "ipo-epochs", "kto-alone"}
    for folder in noted:
        records = reference_records if folder.name == "reference" else read_records(folder)
        block = verdict_module.between_markers((folder / "README.md").read_text(), (START, END))
        assert block == markdown(*evaluate(records, folder)).strip(), folder.name
    overview = verdict_module.between_markers((ROOT / "results" / "README.md").read_text(), (START, END))
    assert overview == summary(*evaluate_tree(ROOT / "results", read_records)).strip()
