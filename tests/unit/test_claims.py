"""Claims (bench/claims/): each verdict rule on hand-made numbers, every verdict reachable; the measurements on
numbers worked by hand; the registry's checks; the claims table from hand-made records."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from pobench.claims import CLAIMS, Claim, Scenario, rules
from pobench.claims.measures import late_growth, matched_kl, per_seed_mean, ratio, value_at_kl
from pobench.claims.report import evaluate, markdown
from pobench.core.inference import PairedComparison
from pobench.core.registry import RegistryError
from pobench.reports.headline import build_headline

from tests.helpers import record

ROOT = Path(__file__).resolve().parents[2]

S, C, N = rules.SUPPORTED, rules.CONTRADICTED, rules.NOT_RESOLVED


def comparison(mean: float, p_holm: float, n: int = 10) -> PairedComparison:
    return PairedComparison("a", "b", n, mean, 0.1, mean - 0.05, mean + 0.05, p_holm, p_holm, 0, 0, 0, *(math.nan,) * 3)


@pytest.mark.parametrize(
    ("parts", "verdict"),
    [
        ({1: comparison(0.1, 0.01), 4: comparison(0.2, 0.001)}, S),  # separated the claimed way everywhere
        ({1: comparison(0.1, 0.01), 4: comparison(-0.2, 0.001)}, C),  # one budget the other way
        ({1: comparison(0.1, 0.01), 4: comparison(0.02, 0.40)}, N),  # one budget not separated
        ({1: comparison(0.1, 0.01), 4: None}, S),  # a budget without a comparison does not count
        ({1: None}, N),  # nothing read
        ({1: comparison(0.1, 0.049)}, S),
        ({1: comparison(0.1, 0.05)}, N),  # p must be below alpha
    ],
)
def test_better(parts, verdict):
    assert rules.better(parts) == verdict


@pytest.mark.parametrize(
    ("low", "high", "verdict"),
    [(-0.02, 0.01, S), (-0.08, -0.04, C), (-0.05, 0.01, N), (math.nan, 0.0, N), (-0.03, 0.0, N)],
)
def test_at_least_with_a_margin_of_003(low, high, verdict):
    assert rules.at_least(low, high, 0.03) == verdict


@pytest.mark.parametrize(
    ("low", "high", "verdict"), [(0.7, 0.8, S), (1.0, 1.2, C), (0.9, 1.1, N), (math.nan, math.nan, N), (0.9, 1.0, N)]
)
def test_below_one(low, high, verdict):
    assert rules.below(low, high, 1.0) == verdict


def test_every():
    assert rules.every([S, S]) == S and rules.every([S, N]) == N and rules.every([S, N, C]) == C
    assert rules.every([]) == N


def test_late_growth_is_log_kl_end_over_kl_halfway():
    trajectory = [{"step": 10, "kl": 0.1}, {"step": 50, "kl": 0.5}, {"step": 100, "kl": 2.0}]
    assert late_growth(trajectory) == pytest.approx(math.log(2.0 / 0.5))  # step 50 is halfway to 100
    assert math.isnan(late_growth([{"step": 10, "kl": 0.1}]))
    assert math.isnan(late_growth([{"step": 10, "kl": 0.0}, {"step": 20, "kl": 1.0}]))  # KL 0 has no log


def test_ratio_is_the_geometric_mean_of_per_seed_ratios():
    r, low, high, n = ratio({0: 2.0, 1: 8.0, 2: 5.0}, {0: 4.0, 1: 4.0})  # seed 2 has no partner
    assert n == 2 and r == pytest.approx(1.0)  # √(0.5 · 2) = 1
    # logs ±log 2: mean 0, sd √2·log 2, t_{1,0.975} = 12.706, half-width 12.706·log 2
    assert (low, high) == pytest.approx((math.exp(-12.7062 * math.log(2)), math.exp(12.7062 * math.log(2))), rel=1e-3)


def test_per_seed_mean_counts_the_statuses_asked():
    records = [record("cpo", 0, 0.1, 1.0), record("cpo", 0, 0.1, 1.0), record("cpo", 1, 0.1, 1.0, status="degenerate")]
    for r, flops in zip(records, (1.0, 3.0, 5.0)):
        r.metrics["perf/train_flops"] = flops
    assert per_seed_mean(records, "cpo", "perf/train_flops") == {0: 2.0}
    assert per_seed_mean(records, "cpo", "perf/train_flops", ("ok", "degenerate")) == {0: 2.0, 1: 5.0}


def three_seeds():
    """dpo above ppo by 0.1 (± 0.01) on three seeds, both crossing KL 1; sft at 0."""
    out = []
    for s, noise in enumerate((0.0, 0.01, -0.01)):
        out += [record("sft", s, 0.0, 0.0), record("dpo", s, 0.5 + noise, 1.5), record("dpo", s, 0.2, 0.5)]
        out += [record("ppo", s, 0.4, 1.5), record("ppo", s, 0.1 + noise, 0.5)]
    return out


def test_matched_kl_compares_on_the_shared_seeds_with_holm_over_budgets():
    found = matched_kl(build_headline(three_seeds(), (1.0, 4.0)), "dpo", "ppo")
    assert found[4.0] is None  # neither reaches KL 4
    c = found[1.0]
    # at KL 1, interpolated in log KL between (0.5, r0.5) and (1.5, r1.5): t = log 2 / log 3
    t = math.log(2) / math.log(3)
    dpo = [0.2 + t * (0.5 + e - 0.2) for e in (0.0, 0.01, -0.01)]
    ppo = [0.1 + e + t * (0.4 - 0.1 - e) for e in (0.0, 0.01, -0.01)]
    assert c.n == 3 and c.mean == pytest.approx(sum(dpo) / 3 - sum(ppo) / 3)
    assert c.p_holm == c.p  # one budget compared: nothing to correct
    assert rules.better(found) == S


def test_the_claims_table_measures_what_the_records_hold():
    found, skipped = evaluate(three_seeds())
    names = [c.name for c, _ in found]
    assert names == ["dpo-beats-ppo"]  # the others need algorithms these records lack
    assert "ipo" in skipped["ipo-needs-no-early-stopping"]
    text = markdown(found, skipped)
    assert "| dpo-beats-ppo | dpo |" in text and "**supported**" in text and "Not measured here:" in text


def test_every_registered_claim_declares_what_it_is():
    assert len(CLAIMS.names()) >= 5
    for name in CLAIMS.names():
        claim = CLAIMS.get(name)
        assert claim.name == name and claim.method and claim.sentence and claim.source and claim.literature
        assert claim.scenario.algos and claim.scenario.command.startswith("pobench sweep ")


def test_a_claim_without_its_sentence_is_refused():
    class Bare(Claim):
        method = "dpo"
        source = "somewhere"
        scenario = Scenario("results/x", "sentiment", "tiny", ("dpo",), "--seeds 0")

    with pytest.raises(RegistryError, match="sentence not given"):
        CLAIMS.add("bare", Bare)


def test_a_quantity_is_read_at_kl_along_the_grid_never_beyond_it():
    cells = [(4.0, 20.0), (1.0, 10.0), (0.25, 8.0)]  # (KL, length), in any order
    assert value_at_kl(cells, 2.0) == pytest.approx(15.0)  # halfway from KL 1 to 4 in log KL
    assert value_at_kl(cells, 1.0) == pytest.approx(10.0)
    assert math.isnan(value_at_kl(cells, 8.0)) and math.isnan(value_at_kl(cells, 0.1))  # outside the grid
    assert value_at_kl([(1.0, 3.0)], 1.0) == 3.0 and math.isnan(value_at_kl([], 1.0))


def test_a_scenario_reads_only_the_cells_made_with_its_settings():
    """DPO's claim reads DPO at the validation recipe, not the DPO cells IPO's claim made beside it."""
    from pobench.claims.board import Evidence, ScenarioMissing

    recipe, long = record("dpo", 0, 0.5, 1.0), record("dpo", 0, 0.6, 1.2)
    recipe.spec = {**recipe.spec, "labeler_temperature": 0.1, "epochs": 1}
    long.spec = {**long.spec, "labeler_temperature": 0.01, "epochs": 8}
    scenario = Scenario("results/x", recipe.task, recipe.model, ("dpo",), "make bench",
                        settings=(("labeler_temperature", 0.1), ("epochs", 1)))  # fmt: skip
    assert Evidence([recipe, long]).records_of(scenario) == [recipe]
    with pytest.raises(ScenarioMissing, match="with labeler_temperature=0.1, epochs=1 here"):
        Evidence([long]).records_of(scenario)


@pytest.mark.parametrize("name", CLAIMS.names())
def test_a_claims_command_makes_the_cells_committed_for_it(name, capsys):
    """``pobench sweep --claim NAME`` (its scenario's sweep) names cells the committed results folder holds: the
    grid's spec hashes are among the records' (extra cells, placed after the grid, come on top)."""
    from pobench.cli import main

    scenario = CLAIMS.get(name).scenario
    assert main(["sweep", "--claim", name, "--explain"]) == 0
    hashes = re.findall(r"\(spec hash ([0-9a-f]{10})", capsys.readouterr().out)
    committed = {p.stem.rsplit("-", 1)[1] for p in (ROOT / scenario.results / "records").glob("*.json")}
    assert hashes and set(hashes) <= committed, sorted(set(hashes) - committed)[:5]


def test_flags_beside_a_claim_override_its_scenario(capsys):
    from pobench.cli import main

    args = ["sweep", "--claim", "ipo-needs-no-early-stopping", "--seeds", "1", "--set", "eval_prompts=8", "--explain"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "seed 1" in out and "seed 0" not in out and "2 cells" in out
    assert "eval_prompts         8      sweep grid" in out and "epochs               8" in out


def test_an_unknown_claim_is_named_with_the_registered_ones(capsys):
    from pobench.cli import main

    assert main(["sweep", "--claim", "nope"]) == 2
    err = capsys.readouterr().err
    assert "unknown claim 'nope' (registered: dpo-beats-ppo," in err and "Traceback" not in err


def test_orpo_read_at_no_budget_is_compared_at_its_best_against_dpo_within_the_smallest():
    """ORPO from the base ends 20 to 30 nats from the SFT model, so no budget reads it; its best cell (any KL) is
    then compared with DPO's reading at 0.25 nats. Far below: DPO dominates it (contradicted); above: that part is
    supported, the claim as a whole not resolved (the matched-KL parts are not)."""
    import dataclasses

    from pobench.claims.board import Evidence

    def cells(orpo_gold: float):
        out = []
        for s, e in enumerate((0.0, 0.01, -0.01)):
            out += [record("sft", s, 0.0, 0.0), record("dpo", s, 0.3 + e, 0.1), record("dpo", s, 0.4 + e, 0.5)]
            out += [record("orpo", s, orpo_gold + e, 20.0), record("orpo", s, orpo_gold - 0.1, 30.0)]
        started = {"start": "base"}  # ORPO's cells of the scenario; another start would not be read
        return [
            dataclasses.replace(r, model="smollm2-135m", spec={**r.spec, **(started if r.algo == "orpo" else {})})
            for r in out
        ]

    claim = CLAIMS.get("orpo-folds-sft-in")()
    far = claim.measure(Evidence(cells(-0.5)))
    assert far.verdict == rules.CONTRADICTED and far.parts["best orpo vs dpo at KL 0.25"] == rules.CONTRADICTED
    assert "orpo's best cell at any KL − dpo at KL 0.25: -0.8" in far.measurement
    assert far.parts["compute"] == rules.NOT_RESOLVED and "SFT's FLOPs not recorded" in far.measurement
    near = claim.measure(Evidence(cells(0.6)))
    assert near.parts["best orpo vs dpo at KL 0.25"] == S and near.verdict == rules.NOT_RESOLVED


def test_a_cell_made_before_a_setting_existed_has_its_default_not_any_value():
    """The reference's KTO cells predate `labels`: they were trained on the view of pairs (its default), so the
    claims on completions labelled alone do not read them; DPO's cells, which have no such setting, are read."""
    from pobench.claims.board import Evidence, ScenarioMissing

    records = three_seeds() + [record("kto", s, 0.3, 1.5) for s in range(3)]
    alone = CLAIMS.get("kto-alone-matches-dpo")().scenario
    with pytest.raises(ScenarioMissing, match="no kto cells of sentiment × tiny with labels=alone"):
        Evidence(records).records_of(alone)
    pairs = CLAIMS.get("kto-matches-dpo")().scenario
    assert {r.algo for r in Evidence(records).records_of(pairs)} == {"sft", "dpo", "ppo", "kto"}
