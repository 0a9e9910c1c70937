"""The attribution bench reads the same rows on every backend and whenever it runs. At full scale
SQLite and PostgreSQL once disagreed by one non-converting path (118,372 against 118,371): the
bench drew every time back from the wall clock when each backend's child started, minutes apart,
against the same midnight boundary, so rows near the range's start fell on either side of it.
The rows now count back from a fixed anchor."""

import argparse
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from bench import attribution as bench
from campaigns import attribution

pytestmark = pytest.mark.django_db

ARGS = {"touches": 600, "orders": 80, "customers": 60, "campaigns": 3, "days": 10, "window": 5}


def paths_built(monkeypatch, *, clock, anchor=bench.ANCHOR):
    """The bench's rows built with the wall clock at ``clock``, then read back as paths
    (by channel and time: ids differ between two builds), and rolled back."""
    monkeypatch.setattr(timezone, "now", lambda: clock)
    args = argparse.Namespace(**ARGS, anchor=anchor)
    point = transaction.savepoint_create()
    try:
        bench.build(args)
        conversions, lost = attribution.conversions_read(bench.params_of(args))
        return (sorted((c.at, c.revenue, tuple((t.at, t.channel) for t in c.touches)) for c in conversions),
                sorted(tuple((t.at, t.channel) for t in path) for path in lost))
    finally:
        transaction.savepoint_rollback(point)


def test_the_bench_reads_the_same_paths_whenever_it_runs(monkeypatch):
    now = timezone.now()
    first = paths_built(monkeypatch, clock=now)
    later = paths_built(monkeypatch, clock=now + timedelta(hours=11, minutes=7))  # the second backend's child
    assert first == later
    assert len(first[0]) == ARGS["orders"] and first[1]


def test_rows_drawn_back_from_another_instant_give_other_paths_near_the_boundary(monkeypatch):
    """What the bench did before: anchored at each run's own start. The same draws 11 hours later
    against the same day boundary change the paths (this is the divergence the test above rules out)."""
    now = timezone.now()
    anchor = bench.anchor_of(argparse.Namespace(anchor=bench.ANCHOR))
    first = paths_built(monkeypatch, clock=now)
    shifted = paths_built(monkeypatch, clock=now, anchor=(anchor + timedelta(hours=11, minutes=7)).isoformat())
    assert first != shifted
