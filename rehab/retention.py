"""Rows kept for a while, then deleted: the rows of a `TimeOrderedModel` made before a moment,
found by walking a range of the primary key (their `uuid7` orders them by age), so a run costs
about the rows it deletes, not the table's size, and needs no index of its own. Every
statement reads at most one chunk of keys, whatever the table holds.

Rows made before the key was time-ordered have random (version 4) ids. Every row must also
have been *created* before the moment, so none is ever deleted early. Most random ids sort
above every time-ordered key made so far: that range is walked a chunk at a time, each run
going on where the last stopped (its place kept in Django's cache), so the rows still young
are read once per pass, not every hour; once they are all gone the range is empty. The few
random ids that sort among the old time-ordered keys go with them."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from time import monotonic
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q, QuerySet

from rehab.models import uuid7_floor

# Keys read per statement, and at most as many rows deleted per transaction: the table keeps
# taking writes and a run cut short keeps what it did.
CHUNK = 2_000

# No time-ordered key is made later than this after now (a worker's clock a little ahead):
# ids above it are random ones, made before the key changed.
CLOCK_MARGIN = timedelta(days=1)


@dataclass(frozen=True)
class Pruned:
    deleted: int
    finished: bool  # False: the time budget ran out first (the next run goes on)


def delete_made_before(
    rows: QuerySet[Any],
    *,
    before: datetime,
    now: datetime,
    budget: timedelta | None = None,
    reads: tuple[str, ...] = (),
    spare: Callable[[list[tuple[Any, ...]]], Collection[Any]] | None = None,
    chunk: int = CHUNK,
) -> Pruned:
    """Delete the rows of `rows` (a `TimeOrderedModel`'s) created before `before`, reading
    `chunk` keys at a time in order and deleting that stretch of keys in one statement, until
    both ranges are walked or `budget` is spent (checked between chunks). `spare`, given a
    chunk's rows as (key, *reads), says which keys to keep: a condition checked on the
    columns read with the chunk, where a filter on `rows` could have the planner read a
    whole other table for every chunk."""
    deadline = None if budget is None else monotonic() + budget.total_seconds()
    place = f"retention:{rows.model._meta.db_table}:random-keys-after"
    ranges = (
        (Q(pk__lt=uuid7_floor(before)), None),  # time-ordered keys of old rows
        (Q(pk__gte=uuid7_floor(now + CLOCK_MARGIN)), place),  # random keys above them all
    )
    deleted = 0
    for in_range, kept_at in ranges:
        after = cache.get(kept_at) if kept_at else None
        while True:
            if deadline is not None and monotonic() > deadline:
                if kept_at:
                    cache.set(kept_at, after, timeout=None)
                return Pruned(deleted, finished=False)
            keys = rows.filter(in_range).order_by("pk")
            if after is not None:
                keys = keys.filter(pk__gt=after)
            page = list(keys.values_list("pk", *reads)[:chunk])
            if page:
                # The stretch of keys read, old rows only: a key range, not a list of keys (no
                # row can join a stretch of old time-ordered keys; a young one is not deleted).
                doomed = rows.filter(pk__gte=page[0][0], pk__lte=page[-1][0], created_at__lt=before)
                kept = set(spare(page)) if spare is not None else set()
                if kept:
                    doomed = doomed.exclude(pk__in=kept)
                with transaction.atomic():
                    deleted += doomed.delete()[0]
            if len(page) < chunk:
                break
            after = page[-1][0]
        if kept_at:
            cache.delete(kept_at)  # walked to the end: the next pass starts at the beginning
    return Pruned(deleted, finished=True)
