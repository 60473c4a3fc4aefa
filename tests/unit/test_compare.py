"""`pobench compare` (bench/reports/compare.py): two runs' paired conclusions side by side, and how they
relate."""

from __future__ import annotations

import pytest
from pobench.cli import main
from pobench.core.atomic import write_json_atomic
from pobench.core.inference import PairedComparison
from pobench.reports.compare import Conclusion, conclusions, tally, verdict
from pobench.reports.headline import build_headline

from tests.helpers import knob_record


@pytest.mark.parametrize(
    ("a", "b", "kind"),
    [(">", ">", "holds"), ("<", "<", "holds"), (">", "<", "reverses"), (">", "=", "A only"),
     ("=", "<", "B only"), ("=", "=", "neither")],
)  # fmt: skip
def test_a_conclusion_is_named_by_what_each_run_separates(a, b, kind):
    assert Conclusion(1.0, "x", "y", a, b, 0.1, -0.1).kind == kind


def test_means_agree_in_sign_describes_without_testing():
    assert Conclusion(1.0, "x", "y", "=", "=", 0.1, 0.02).same_sign
    assert not Conclusion(1.0, "x", "y", ">", "=", 0.1, -0.02).same_sign


def test_a_verdict_is_read_from_either_side_of_the_comparison():
    # dpo − ipo = +0.2 over 4 seeds, Holm p 0.01: dpo above ipo, ipo below dpo; at p 0.2 neither is separated
    c = PairedComparison("dpo", "ipo", 4, 0.2, 0.01, 0.18, 0.22, 0.01, 0.01, 4, 0, 0)
    assert verdict(c, "dpo") == (">", 0.2) and verdict(c, "ipo") == ("<", -0.2)
    loose = PairedComparison("dpo", "ipo", 4, 0.2, 0.3, -0.2, 0.6, 0.2, 0.2, 3, 1, 0)
    assert verdict(loose, "ipo") == ("=", -0.2)


NOISE = (0.03, -0.02, 0.025, -0.03)  # sums to +0.005: cpo's mean sits just above what it copies


def rewards(model: str) -> dict[str, list[float]]:
    """Four seeds' readings. On both models dpo is well above ipo. On A cpo copies ipo (plus noise) and kto is far
    below; on B cpo copies dpo and kto is far above."""
    dpo = [0.5 + 0.01 * s for s in range(4)]
    ipo = [0.3 + 0.012 * s for s in range(4)]
    cpo = [x + n for x, n in zip(ipo if model == "A" else dpo, NOISE)]
    kto = [(0.1 if model == "A" else 0.8) + 0.01 * s for s in range(4)]
    return {"dpo": dpo, "ipo": ipo, "cpo": cpo, "kto": kto}


def records_of(model: str):
    """Each algorithm and seed: two grid points at KL 0.5 and 2 with the same gold reward, so the reading at 1 is
    that reward."""
    return [
        knob_record(algo, seed, {"eval/reward": r, "eval/kl": kl, "eval/length": 5.0, "eval/truncation_rate": 0.0}, kl)
        for algo, values in rewards(model).items()
        for seed, r in enumerate(values)
        for kl in (0.5, 2.0)
    ]


def test_the_conclusions_of_two_runs_hold_reverse_or_belong_to_one():
    found = {(c.x, c.y): c for c in conclusions(*(build_headline(records_of(m), (1.0,)) for m in "AB"))}
    assert set(found) == {
        ("dpo", "cpo"),
        ("dpo", "ipo"),
        ("dpo", "kto"),
        ("cpo", "ipo"),
        ("cpo", "kto"),
        ("ipo", "kto"),
    }  # fmt: skip; x before y in run A's order, best first
    assert found["dpo", "ipo"].kind == "holds" and found["dpo", "ipo"].mean_a == pytest.approx(0.2 - 0.002 * 1.5)
    assert found["dpo", "kto"].kind == "reverses" and found["ipo", "kto"].kind == "reverses"
    assert found["dpo", "cpo"].kind == "A only"  # on B, cpo is dpo plus noise
    assert found["cpo", "ipo"].kind == "B only"  # on A, cpo is ipo plus noise
    assert found["cpo", "ipo"].same_sign and not found["dpo", "cpo"].same_sign  # the noise sums to +0.005
    counts = tally(list(found.values()))
    assert counts == {"holds": 1, "reverses": 3, "A only": 1, "B only": 1, "neither": 0, "pairs": 6, "same sign": 2}


def test_compare_prints_both_headlines_every_conclusion_and_the_pairs_that_reverse(tmp_path, capsys):
    folders = []
    for model in "AB":
        for i, r in enumerate(records_of(model)):
            write_json_atomic(tmp_path / model / "records" / f"r{i}.json", r.to_json())
        folders.append(str(tmp_path / model))
    assert main(["compare", *folders]) == 1  # kto reverses: both runs separate it from dpo and ipo, opposite ways
    out = capsys.readouterr().out
    flat = " ".join(out.split())  # the tables' padding squeezed out
    assert f"| results folder | {folders[0]} | {folders[1]} |" in flat
    assert "| dpo − kto | > (+0.400) | < (-0.300) | reverses | no |" in flat
    assert (
        "6 pairs read by both: holds 1, reverses 3, A only 1, B only 1, neither 0; the means agree in sign on 2" in out
    )
    assert "DISAGREE KL 1: dpo − kto is > in run A (+0.400), < in run B (-0.300)" in out
    assert out.rstrip().endswith("3 pair(s) reverse: the runs disagree")


def test_a_run_of_one_seed_tests_no_pair_and_says_why():
    from pobench.reports.compare import conclusions_markdown

    one_seed = [r for r in records_of("B") if r.seed == 0]
    found = conclusions(build_headline(records_of("A"), (1.0,)), build_headline(one_seed, (1.0,)))
    assert found == []  # every algorithm is read on run B's one seed, but a paired test needs two
    assert conclusions_markdown(found, 1.0).startswith("No pair has a paired test in both runs at KL 1")
