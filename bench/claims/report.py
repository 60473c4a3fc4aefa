"""The claims table: every registered claim whose scenario a results folder holds, measured and given its verdict,
as Markdown (``pobench leaderboard --out DIR --format claims``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pobench.claims import CLAIMS
from pobench.claims.board import Evidence, ScenarioMissing
from pobench.claims.claim import Claim, Finding
from pobench.core.record import RunRecord
from pobench.reports.cells import table_cell

START, END = "<!-- pobench:claims:start -->", "<!-- pobench:claims:end -->"
Found = list[tuple[Claim, Finding]]  # each claim measured, with its finding


def evaluate(records: list[RunRecord], folder: Path | None = None) -> tuple[Found, dict[str, str]]:
    """(claim, finding) for every claim the records hold the scenario of, in name order; and claim name → why
    the others were not measured here (with ``folder``, the records' results folder: only the claims that read a
    folder of its name, the rest never being expected there)."""
    found, skipped = [], {}
    evidence = Evidence(records)
    for name in CLAIMS.names():
        claim = CLAIMS.get(name)()
        try:
            found.append((claim, claim.measure(evidence)))
        except ScenarioMissing as exc:
            if folder is None or Path(claim.scenario.results).name == folder.name:
                skipped[name] = str(exc)
    return found, skipped


def evaluate_tree(root: Path, read: Callable[[Path], list[RunRecord]]) -> tuple[Found, dict[str, str]]:
    """Every registered claim measured in its own results folder under ``root`` (``root/<name of
    scenario.results>``), each folder read once with ``read``; claim name → why the others were not measured."""
    found, skipped, evidence = [], {}, {}
    for name in CLAIMS.names():
        claim = CLAIMS.get(name)()
        folder = root / Path(claim.scenario.results).name
        if not (folder / "records").is_dir():
            skipped[name] = f"no records in {folder} (its cells: `{claim.scenario.command}`)"
            continue
        if folder not in evidence:
            evidence[folder] = Evidence(read(folder))
        try:
            found.append((claim, claim.measure(evidence[folder])))
        except ScenarioMissing as exc:
            skipped[name] = str(exc)
    return found, skipped


def summary(found: Found, skipped: dict[str, str]) -> str:
    """One row per claim: what it says, its verdict, and the folder whose notes hold its measurement."""
    rows = [
        f"| {table_cell(c.name)} | {table_cell(c.method)} | {table_cell(c.sentence)} | **{f.verdict}** | "
        f"[{Path(c.scenario.results).name}]({Path(c.scenario.results).name}/README.md) |"
        for c, f in found
    ]
    parts = ["| claim | method | what it says | verdict | measured in |", "|---|---|---|---|---|", *rows, ""]
    if skipped:
        parts += ["Not measured:", "", *(f"- {n}: {why}" for n, why in skipped.items()), ""]
    return "\n".join(parts)


def markdown(found: Found, skipped: dict[str, str]) -> str:
    """A summary table (claim, method, verdict), then per claim its source, scenario, measurement, what it can
    resolve and the literature's figure; the claims not measured here, with why."""
    if not found:
        return "No claim's scenario is in these records.\n" + "".join(f"- {n}: {why}\n" for n, why in skipped.items())
    rows = [
        f"| {table_cell(c.name)} | {table_cell(c.method)} | {table_cell(c.sentence)} | **{f.verdict}** |"
        for c, f in found
    ]
    parts = ["| claim | method | what it says | verdict |", "|---|---|---|---|", *rows, ""]
    for c, f in found:
        s = c.scenario
        per_part = "; ".join(f"{k}: {v}" for k, v in f.parts.items())
        parts += [
            f"**{c.name}** ({c.method}): {c.sentence} **{f.verdict}**",
            "",
            f"- Source: {c.source}.",
            f"- Scenario: {s.task} × {s.model}, {', '.join(s.algos)}; `{s.command}`"
            + (f". Falls short of the claim's own: {s.note}." if s.note else "."),
            f"- Measurement: {f.measurement}.",
            *([f"- Verdict per part: {per_part}."] if per_part else []),
            f"- Resolves: {f.resolves}.",
            f"- The paper: {c.literature}.",
            "",
        ]
    if skipped:
        parts += ["Not measured here:", "", *(f"- {n}: {why}" for n, why in skipped.items()), ""]
    return "\n".join(parts)
