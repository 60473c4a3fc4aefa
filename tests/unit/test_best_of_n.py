"""Best-of-n's nested selection on hand-made scores: which of a slot's draws each cell keeps."""

import pytest
from pobench.algorithms.best_of_n import POOL, BestOfN, kept_indices, pool_size, subset
from pobench.core.generation import Samples

# two slots of four draws (POOL = 4, k = 2 slots of one prompt): slot 0 owns draws 0-3, slot 1 draws 4-7
SCORES = [0.1, 0.9, 5.0, 5.0, 0.7, 0.2, 0.0, 9.0]


@pytest.mark.parametrize(("n", "kept"), [(1, [0, 4]), (2, [1, 4]), (3, [2, 4]), (4, [2, 7])])
def test_each_slot_keeps_the_best_of_its_first_n_draws(n, kept):
    """Ties go to the earlier draw (draws 2 and 3 of slot 0), as max() did before the pool."""
    assert kept_indices(SCORES, pool=4, n=n) == kept


def test_a_larger_n_never_keeps_a_lower_score():
    kept = {n: [SCORES[i] for i in kept_indices(SCORES, pool=4, n=n)] for n in (1, 2, 3, 4)}
    for smaller, larger in [(1, 2), (2, 3), (3, 4)]:
        assert all(b >= a for a, b in zip(kept[smaller], kept[larger], strict=True))


@pytest.mark.parametrize(("scores", "n"), [(SCORES, 5), (SCORES, 0), (SCORES[:6], 2)])
def test_an_n_beyond_the_pool_or_a_partial_slot_is_refused(scores, n):
    with pytest.raises(ValueError):
        kept_indices(scores, pool=4, n=n)


def test_the_pool_is_the_frontier_grids_largest_n_or_the_cells_own():
    assert POOL == max(int(n) for n in BestOfN.frontier_grid)
    assert [pool_size(n) for n in (1, 2, POOL, POOL + 1, 3 * POOL)] == [POOL, POOL, POOL, POOL + 1, 3 * POOL]


def test_subset_keeps_every_field_of_the_chosen_samples_in_order():
    drawn = Samples([[1], [1], [2]], [[5], [6, 7], [8]], [True, False, True], ["a", "b", "c"])
    assert subset(drawn, [2, 0]) == Samples([[2], [1]], [[8], [5]], [True, True], ["c", "a"])
