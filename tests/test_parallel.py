"""The one process pool: results in order, through as many fresh pools as recycling needs."""

from __future__ import annotations

import os

from handoutgen.parallel import ordered_map


def test_results_keep_their_order_across_recycled_pools():
    items = list(range(-40, 0))
    # waves of 2 × 3 items: seven fresh pools, none may hang or reorder
    results = list(ordered_map(abs, items, jobs=2, initializer=os.getpid, initargs=(), recycle_after=3))
    assert results == [abs(n) for n in items]


def test_one_job_runs_here():
    assert list(ordered_map(abs, [-1, -2], jobs=1, initializer=os.getpid, initargs=())) == [1, 2]
