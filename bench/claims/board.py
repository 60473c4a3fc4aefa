"""What a claim reads: the records of its scenario's task and model in a results folder, and their headline, built
once per folder however many claims read it (``Evidence``)."""

from __future__ import annotations

from dataclasses import fields

from pobench.algorithms import ALGORITHMS
from pobench.claims.claim import Scenario
from pobench.core.record import RunRecord
from pobench.core.registry import RegistryError
from pobench.reports.headline import Headline
from pobench.reports.leaderboard import build_boards


class ScenarioMissing(ValueError):
    """The records hold no board, or not every algorithm, of the scenario."""


def setting_of(record: RunRecord, key: str, wanted):
    """The record's value of a setting: its spec's; for one of its algorithm's own settings that the spec lacks (a
    record made before the setting existed), the setting's default (its value then); ``wanted`` where the setting is
    not its algorithm's at all (another algorithm's cell, which the filter does not concern)."""
    if key in record.spec:
        return record.spec[key]
    try:
        own = {f.name: f.default for f in fields(ALGORITHMS.get(record.algo).hparams)}
    except RegistryError:  # an algorithm this pobench does not have: nothing to say about its settings
        return wanted
    return own.get(key, wanted)


class Evidence:
    """A results folder's records, as the claims read them."""

    def __init__(self, records: list[RunRecord]) -> None:
        self.records = records
        self._headlines: dict[tuple, Headline] = {}

    def records_of(self, scenario: Scenario) -> list[RunRecord]:
        """The records of the scenario's task and model made with its settings (a cell without such a setting, e.g.
        another algorithm's, is read); ScenarioMissing unless every algorithm of it has one."""
        mine = [
            r
            for r in self.records
            if (r.task, r.model) == (scenario.task, scenario.model)
            and all(setting_of(r, k, v) == v for k, v in scenario.settings)
        ]
        missing = sorted(set(scenario.algos) - {r.algo for r in mine})
        if missing:
            given = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in scenario.settings)
            settings = f" with {given}" if given else ""
            raise ScenarioMissing(f"no {', '.join(missing)} cells of {scenario.task} × {scenario.model}{settings} "
                                  f"here (the claim reads {scenario.results})")  # fmt: skip
        return mine

    def headline(self, scenario: Scenario) -> Headline:
        """The headline of the scenario's board: the comparability key with the most records of its task and
        model."""
        mine = self.records_of(scenario)
        key = (scenario.task, scenario.model, scenario.settings)
        if key not in self._headlines:
            boards = [b for b in build_boards(mine) if b.headline is not None]
            if not boards:
                raise ScenarioMissing(f"no headline of {scenario.task} × {scenario.model} here (no budgets)")
            self._headlines[key] = max(boards, key=lambda b: len(b.records)).headline
        headline = self._headlines[key]
        missing = sorted(set(scenario.algos) - set(headline.rows["algo"]))
        if missing:
            raise ScenarioMissing(f"no {', '.join(missing)} cells beside the others' in one comparability key")
        return headline
