"""The claims table: every registered claim whose scenario a results folder holds, measured and given its verdict,
as Markdown (``pobench leaderboard --out DIR --format claims``)."""

from __future__ import annotations

from pobench.claims import CLAIMS
from pobench.claims.board import Evidence, ScenarioMissing
from pobench.claims.claim import Claim, Finding
from pobench.core.record import RunRecord
from pobench.reports.verdict import table_cell

START, END = "<!-- pobench:claims:start -->", "<!-- pobench:claims:end -->"


def evaluate(records: list[RunRecord]) -> tuple[list[tuple[Claim, Finding]], dict[str, str]]:
    """(claim, finding) for every claim the records hold the scenario of, in name order; and claim name → why
    the others were not measured here."""
    found, skipped = [], {}
    evidence = Evidence(records)
    for name in CLAIMS.names():
        claim = CLAIMS.get(name)()
        try:
            found.append((claim, claim.measure(evidence)))
        except ScenarioMissing as exc:
            skipped[name] = str(exc)
    return found, skipped


def markdown(found: list[tuple[Claim, Finding]], skipped: dict[str, str]) -> str:
    """A summary table (claim, method, verdict), then per claim its source, scenario, measurement, what it can
    resolve and the literature's figure; the claims not measured here, with why."""
    if not found:
        return "No claim's scenario is in these records.\n" + "".join(f"- {n}: {why}\n" for n, why in skipped.items())
    rows = [f"| {c.name} | {c.method} | {table_cell(c.sentence)} | **{f.verdict}** |" for c, f in found]
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
