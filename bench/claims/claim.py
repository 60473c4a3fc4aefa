"""A claim: what a method was published to do, the scenario that can refute it, the measurement and the rule that
turns the measurement into a verdict (bench/claims/rules.py). A claim module subclasses Claim and registers it
(``@register("name")``), as an adapter or a task does; its cells are ordinary cells, and a claim reads the committed
results folder whose cells fit its scenario.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Scenario:
    """Which cells answer the claim, and the command that makes them."""

    results: str  # the results folder, relative to the repository root
    task: str
    model: str
    algos: tuple[str, ...]
    sweep: str  # the `pobench sweep` arguments that make its cells, --out aside (`pobench sweep --claim NAME`)
    note: str = ""  # where the scenario falls short of the claim's own (said beside the verdict)
    # settings the cells must have (their records' spec), so that cells made for another claim in the same task and
    # model are not read: e.g. DPO on exact × tabular at the validation recipe, not at IPO's near-deterministic labels
    settings: tuple[tuple[str, float | int | str], ...] = ()

    @property
    def command(self) -> str:
        """The command that makes its cells, spelt out."""
        return f"pobench sweep {self.sweep} --out {self.results}"


# what `make bench OUT=results/reference SEEDS=0-27` runs: the default benchmark, its cells on Ray
REFERENCE_SWEEP = "--executor ray --cpus-per-cell 1 --seeds 0-27"


@dataclass(frozen=True)
class Finding:
    """A claim's measurement and verdict."""

    verdict: str  # rules.SUPPORTED, CONTRADICTED or NOT_RESOLVED
    measurement: str  # the numbers, with their intervals
    resolves: str  # what the measurement can resolve (the detectable difference, the seeds)
    parts: dict[str, str] = field(default_factory=dict)  # a verdict per part (per budget), where it has parts


class Claim:
    """Subclass, give the class attributes and ``measure``; register with ``@register(name)``."""

    name = ""
    method = ""  # the method the claim is about
    sentence = ""  # the claim, in one sentence
    source = ""  # the paper, and where the seed notes say it
    literature = ""  # the paper's own figure, set beside the verdict
    scenario: Scenario

    def measure(self, evidence) -> Finding:
        """``evidence``: a results folder's records (pobench.claims.board.Evidence); ScenarioMissing where they lack
        the scenario."""
        raise NotImplementedError
