"""How the TRL-backed adapters feed TRL: the order of KTO's rows."""

from __future__ import annotations

import pytest
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


def _context(tmp_path):
    from types import SimpleNamespace

    from pobench.core.settings import Budget

    budget = Budget(batch_size=8, epochs=2, lr_schedule="cosine", warmup_ratio=0.2, max_length=48)
    return SimpleNamespace(budget=budget, params=SimpleNamespace(learning_rate=3e-4), work_dir=tmp_path,
                           device="cpu", seed=5)  # fmt: skip


def test_every_budget_setting_reaches_the_trl_config_by_name(tmp_path):
    from pobench.kit.trl_support import trl_args
    from trl import DPOConfig, GRPOConfig

    args = trl_args(DPOConfig, _context(tmp_path), beta=0.1)
    assert (args.per_device_train_batch_size, args.num_train_epochs, args.lr_scheduler_type) == (8, 2, "cosine")
    assert (args.warmup_steps, args.max_length, args.learning_rate, args.seed) == (0.2, 48, 3e-4, 5)
    assert args.beta == 0.1 and args.report_to == [] and args.save_strategy == "no"
    # GRPO's config has no max_length: refused unless the adapter says where it goes instead

    with pytest.raises(ValueError, match="GRPOConfig has no field 'max_length' for the budget's max_length"):
        trl_args(GRPOConfig, _context(tmp_path))
    online = trl_args(GRPOConfig, _context(tmp_path), unmapped={"max_length": "max_completion_length"},
                      max_completion_length=16)  # fmt: skip
    assert online.max_completion_length == 16 and online.num_train_epochs == 2


@pytest.mark.parametrize("trainer", ["DPOTrainer", "KTOTrainer"])
def test_the_one_seam_into_trl_is_still_there(trainer):
    """pobench caches TRL's reference log-probs by overriding one private method; an upgrade that changes it fails
    here, and in a cell, with a message that says so."""
    import trl
    from pobench.kit.trl_support import check_reference_seam

    check_reference_seam(getattr(trl, trainer))

    class Changed:
        def _precompute_ref_logps(self, dataset, split):
            return dataset

    with pytest.raises(RuntimeError, match=r"Changed._precompute_ref_logps is \('self', 'dataset', 'split'\)"):
        check_reference_seam(Changed)
    with pytest.raises(RuntimeError, match="is gone, pobench overrides it"):
        check_reference_seam(object)
