"""How the TRL-backed adapters feed TRL: the order of KTO's rows."""

from __future__ import annotations

from pobench.kit.trl_support import _interleave_pairs


def test_kto_rows_are_ordered_so_neighbours_never_share_a_prompt():
    """TRL pairs each row with its neighbour's completion for KTO's KL estimate. From pairs 0..3
    (c = chosen, r = rejected): [c0, r1, c2, r3, r0, c1, r2, c3]: labels alternate, prompts never repeat."""
    rows = [{"prompt": f"p{i}", "label": label} for i in range(4) for label in (True, False)]
    got = _interleave_pairs(rows)
    assert [(r["prompt"], r["label"]) for r in got] == [
        ("p0", True),
        ("p1", False),
        ("p2", True),
        ("p3", False),
        ("p0", False),
        ("p1", True),
        ("p2", False),
        ("p3", True),
    ]
    assert all(a["prompt"] != b["prompt"] for a, b in zip(got, got[1:]))
