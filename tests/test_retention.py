"""Reminders and notifications are kept for REHAB_MESSAGE_RETENTION_DAYS, then deleted by the
hourly retention job, found by a range of their time-ordered keys (`uuid7`); rows written
with random keys before those (version 4) are never deleted early (issue 14: about 380,000
of each a day at 100,000 patients, kept for ever before)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from patients.models import Flag, Notification, Reminder
from patients.notifications.services import prune_notifications
from patients.reminders.services import plan_reminders, prune_reminders
from patients.reminders.tasks import retention_sweep
from rehab.api import IDEMPOTENCY_KEY_TTL, prune_idempotency_keys
from rehab.models import IdempotencyKey, uuid7, uuid7_floor
from rehab.retention import delete_made_before
from tests import factories

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 7, 9, 41, tzinfo=UTC)
KEPT = timedelta(days=90)  # the default REHAB_MESSAGE_RETENTION_DAYS


def _reminder(patient: Any, made: datetime, slot: str, **fields: Any) -> Reminder:
    with time_machine.travel(made, tick=False):
        return Reminder.objects.create(
            patient=patient,
            local_date=made.date(),
            slot=slot,
            kind=Reminder.Kind.SESSION,
            due_at=made,
            **fields,
        )


def _notification(user: Any, made: datetime, **fields: Any) -> Notification:
    with time_machine.travel(made, tick=False):
        return Notification.objects.create(
            user=user, kind=Notification.Kind.REMINDER_SESSION, title="Time", **fields
        )


def test_a_time_ordered_key_is_a_version_7_uuid_that_sorts_by_when_it_was_made() -> None:
    made = []
    for ms in (0, 1, 2, 1_000, 86_400_000):
        with time_machine.travel(NOW + timedelta(milliseconds=ms), tick=False):
            made.append(uuid7())
    assert {(key.version, key.variant) for key in made} == {(7, uuid.RFC_4122)}
    assert made == sorted(made)
    assert uuid7_floor(NOW) <= made[0] < uuid7_floor(NOW + timedelta(milliseconds=1)) <= made[1]
    assert len({uuid7() for _ in range(1_000)}) == 1_000  # 74 random bits within a millisecond


def test_new_reminders_and_notifications_get_time_ordered_keys_the_database_sorts_by_age() -> None:
    patient = factories.PatientFactory()
    factories.prescribe(patient, started_on=date(2026, 12, 1))
    plan_reminders(now=NOW)
    assert {r.pk.version for r in Reminder.objects.all()} == {7}
    days = [NOW - timedelta(days=d) for d in (3, 2, 1)]
    notes = [_notification(patient.user, day) for day in days]
    assert {n.pk.version for n in notes} == {7}
    # The database orders the keys as Python does (PostgreSQL's uuid, SQLite's hex text).
    in_key_order = Notification.objects.filter(pk__in=[n.pk for n in notes]).order_by("pk")
    assert [n.created_at for n in in_key_order] == days


def test_only_what_was_made_before_the_retention_period_is_deleted() -> None:
    patient = factories.PatientFactory()
    old = _reminder(patient, NOW - KEPT - timedelta(hours=1), "08:00", status="sent")
    old_pending = _reminder(patient, NOW - KEPT - timedelta(days=3), "09:00")
    young = _reminder(patient, NOW - KEPT + timedelta(hours=1), "10:00", status="sent")
    # Random (version 4) keys, from before keys were time-ordered: one that sorts below every
    # old time-ordered key but was made yesterday is kept; an old one that sorts above
    # today's keys is deleted; so is an old one among the old keys.
    legacy_young = _reminder(patient, NOW - timedelta(days=1), "11:00", id=uuid.UUID(int=1))
    legacy_old_high = _reminder(patient, NOW - KEPT * 2, "12:00", id=uuid.UUID(int=2**128 - 1))
    legacy_old_low = _reminder(patient, NOW - KEPT * 2, "13:00", id=uuid.UUID(int=2))

    pruned = prune_reminders(now=NOW)

    assert pruned.deleted == 4
    assert pruned.finished
    assert set(Reminder.objects.values_list("pk", flat=True)) == {young.pk, legacy_young.pk}
    assert not Reminder.objects.filter(
        pk__in=[old.pk, old_pending.pk, legacy_old_high.pk, legacy_old_low.pk]
    ).exists()
    assert prune_reminders(now=NOW).deleted == 0  # nothing twice


def test_the_retention_period_is_a_setting(settings: Any) -> None:
    patient = factories.PatientFactory()
    _notification(patient.user, NOW - timedelta(days=10))
    assert prune_notifications(now=NOW).deleted == 0
    settings.REHAB_MESSAGE_RETENTION_DAYS = 7
    assert prune_notifications(now=NOW).deleted == 1


def test_a_notification_about_a_flag_still_open_is_kept_however_old() -> None:
    therapist = factories.TherapistFactory()
    patient = factories.PatientFactory(therapist=therapist)
    long_ago = NOW - KEPT * 2
    flags = {
        status: Flag.objects.create(
            patient=patient,
            rule=f"red_flag:{status}",
            episode="e",
            kind=Flag.Kind.RED_FLAG,
            severity=3,
            status=status,
        )
        for status in Flag.Status.values
    }
    notes = {
        status: _notification(therapist.user, long_ago, flag=flag) for status, flag in flags.items()
    }
    unread = _notification(patient.user, long_ago)  # read or not, a reminder goes

    assert prune_notifications(now=NOW).deleted == 2
    kept = set(Notification.objects.values_list("pk", flat=True))
    assert kept == {notes[Flag.Status.OPEN].pk, notes[Flag.Status.ACKNOWLEDGED].pk}
    assert unread.pk not in kept


def test_a_run_deletes_a_chunk_per_statement_and_stops_when_its_budget_is_spent() -> None:
    patient = factories.PatientFactory()
    made = NOW - KEPT - timedelta(days=1)
    for n in range(5):
        _reminder(patient, made + timedelta(minutes=n), f"0{n}:00")
    young = _reminder(patient, NOW, "23:00")
    before = NOW - KEPT

    spent = delete_made_before(Reminder.objects.all(), before=before, now=NOW, budget=timedelta(0))
    assert (spent.deleted, spent.finished) == (0, False)
    assert Reminder.objects.count() == 6

    with CaptureQueriesContext(connection) as ran:
        pruned = delete_made_before(Reminder.objects.all(), before=before, now=NOW, chunk=2)
    assert (pruned.deleted, pruned.finished) == (5, True)
    assert list(Reminder.objects.values_list("pk", flat=True)) == [young.pk]
    statements = [q["sql"].split()[0] for q in ran if "patients_reminder" in q["sql"]]
    # Old keys: three chunks (2, 2, 1), each read and deleted in one statement each, without
    # reading the rows again to delete them; then one read of the random keys above today's.
    assert statements == ["SELECT", "DELETE"] * 3 + ["SELECT"]


def test_a_chunk_whose_rows_are_all_spared_is_passed_over_not_read_again() -> None:
    """A page of notifications all about flags still open is kept, and the run goes on past
    it (reading it again would be a run that never ends)."""
    patient = factories.PatientFactory()
    made = NOW - KEPT - timedelta(days=1)
    rows = [_reminder(patient, made + timedelta(minutes=n), f"0{n}:00") for n in range(5)]
    spared = {r.pk for r in rows[:4]}  # the first two chunks of two, whole

    pruned = delete_made_before(
        Reminder.objects.all(),
        before=NOW - KEPT,
        now=NOW,
        chunk=2,
        spare=lambda rows: spared & {row[0] for row in rows},
        budget=timedelta(seconds=5),  # a run that loops stops here, unfinished
    )

    assert (pruned.deleted, pruned.finished) == (1, True)
    assert set(Reminder.objects.values_list("pk", flat=True)) == spared


def test_a_row_made_at_the_cut_off_is_kept() -> None:
    patient = factories.PatientFactory()
    at = _reminder(patient, NOW - KEPT, "08:00")
    just_before = _reminder(patient, NOW - KEPT - timedelta(microseconds=1), "09:00")
    assert prune_reminders(now=NOW).deleted == 1
    assert list(Reminder.objects.values_list("pk", flat=True)) == [at.pk]
    assert not Reminder.objects.filter(pk=just_before.pk).exists()


def test_random_keys_are_walked_on_from_where_the_last_run_stopped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Rows with random keys from before keys were time-ordered, most sorting above every
    time-ordered key: the young ones are read once per pass, not in every hourly run, and
    no statement reads more than a chunk of keys."""
    from rehab import retention

    patient = factories.PatientFactory()
    legacy = [uuid.UUID(int=2**127 + n) for n in range(6)]
    for n, key in enumerate(legacy):  # the first two young, the others old
        made = NOW - timedelta(days=1) if n < 2 else NOW - KEPT * 2
        _reminder(patient, made, f"{n:02d}:00", id=key)
    ticks = iter(range(100))
    monkeypatch.setattr(retention, "monotonic", lambda: next(ticks))
    place = f"retention:{Reminder._meta.db_table}:random-keys-after"
    cache.delete(place)

    # A clock of one second a check: the budget runs out after the first chunk of random keys.
    first = delete_made_before(
        Reminder.objects.all(), before=NOW - KEPT, now=NOW, chunk=2, budget=timedelta(seconds=2.5)
    )
    assert (first.deleted, first.finished) == (0, False)
    assert cache.get(place) == legacy[1]

    with CaptureQueriesContext(connection) as ran:
        second = delete_made_before(Reminder.objects.all(), before=NOW - KEPT, now=NOW, chunk=2)
    assert (second.deleted, second.finished) == (4, True)
    assert set(Reminder.objects.values_list("pk", flat=True)) == set(legacy[:2])
    reads = [q["sql"] for q in ran if q["sql"].startswith("SELECT")]
    assert len(reads) == 1 + 3  # the old time-ordered keys (none); the random ones from legacy[1]
    assert all("LIMIT 2" in sql for sql in reads)
    assert cache.get(place) is None  # walked to the end: the next pass starts again


def test_expired_idempotency_keys_are_deleted_and_honoured_ones_kept() -> None:
    user = factories.UserFactory()
    for key, age in (("old", IDEMPOTENCY_KEY_TTL + timedelta(minutes=1)), ("new", timedelta(0))):
        IdempotencyKey.objects.create(
            user=user, key=key, method="POST", path="/", request_hash="h", created_at=NOW - age
        )
    assert prune_idempotency_keys(now=NOW).deleted == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]


def test_the_hourly_job_deletes_old_reminders_notifications_and_keys() -> None:
    assert settings.CELERY_BEAT_SCHEDULE["retention-sweep"]["task"] == retention_sweep.name
    patient = factories.PatientFactory()
    long_ago = NOW - KEPT - timedelta(days=1)
    _reminder(patient, long_ago, "08:00", status="sent")
    _notification(patient.user, long_ago)
    IdempotencyKey.objects.create(
        user=patient.user, key="k", method="POST", path="/", request_hash="h", created_at=long_ago
    )
    kept = _notification(patient.user, NOW - timedelta(days=1))

    with time_machine.travel(NOW, tick=False):
        retention_sweep.apply().get()

    assert not Reminder.objects.exists()
    assert list(Notification.objects.values_list("pk", flat=True)) == [kept.pk]
    assert not IdempotencyKey.objects.exists()
