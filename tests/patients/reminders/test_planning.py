"""Reminders planned ahead (issue 14): the per-minute job costs what is due, not who exists;
planning is idempotent; ending, pausing or changing a programme replaces its unsent reminders."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from patients import tasks
from patients.models import Flag, Notification, Reminder, ReminderPlan
from patients.monitoring.services import resolve_flag
from patients.prescribing.services import end_programme
from patients.reminders import tasks as reminder_tasks
from patients.reminders.services import (
    PAUSED_KINDS,
    deliver_reminder,
    due_reminder_ids,
    plan_reminders,
    update_reminder_preferences,
)
from programmes.services import MovePhase, adjust_programme
from tests import factories
from tests.patients.recording import report_red_flag

pytestmark = pytest.mark.django_db

AT_0805 = datetime(2026, 11, 5, 8, 5, tzinfo=UTC)  # 08:05 in London (GMT)
TODAY = AT_0805.date()
TOMORROW = TODAY + timedelta(days=1)


def _patients(count: int) -> None:
    for _ in range(count):
        factories.prescribe(factories.PatientFactory(), started_on=date(2026, 11, 2))


def _sweep_queries(monkeypatch: pytest.MonkeyPatch, now: datetime) -> tuple[int, int]:
    """(queries, batch tasks started) for one run of the per-minute job at `now`, with
    batches of two reminders."""
    started: list[None] = []
    monkeypatch.setattr(reminder_tasks, "BATCH", 2)
    monkeypatch.setattr(tasks.deliver_reminders_task, "delay", lambda: started.append(None))
    with time_machine.travel(now, tick=False), CaptureQueriesContext(connection) as captured:
        tasks.reminder_sweep.apply().get()
    return len(captured), len(started)


@pytest.mark.parametrize("count", [1, 30])
def test_the_per_minute_job_issues_the_same_queries_for_1_or_30_patients(
    count: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    _patients(count)
    plan_reminders(now=AT_0805 - timedelta(hours=8))
    queries, started = _sweep_queries(monkeypatch, AT_0805)
    # heat at 07:30, check-in and session 1 at 08:00, each: one batch task per two
    assert started == -(-3 * count // 2)
    assert queries == 3  # due reminders and owed e-mails (one indexed count each), nudges


def test_the_due_query_is_one_query_and_reads_only_what_is_due(programme: Any) -> None:
    plan_reminders(now=AT_0805 - timedelta(hours=8))
    assert Reminder.objects.filter(due_at__gt=AT_0805).exists()  # the day ahead is planned
    with CaptureQueriesContext(connection) as captured:
        due = due_reminder_ids(now=AT_0805)
    assert len(captured) == 1
    assert sorted(due) == sorted(
        str(pk)
        for pk in Reminder.objects.filter(local_date=TODAY, due_at__lte=AT_0805).values_list(
            "pk", flat=True
        )
    )
    assert len(due) == 3


def test_planning_twice_creates_nothing_new(programme: Any) -> None:
    assert plan_reminders(now=AT_0805) == 1
    rows = sorted(Reminder.objects.values_list("pk", "local_date", "slot", "due_at"))
    assert {r[1] for r in rows} == {TODAY - timedelta(days=1), TODAY, TOMORROW}
    assert plan_reminders(now=AT_0805) == 0
    assert plan_reminders(now=AT_0805 + timedelta(hours=10)) == 0  # still the same local day
    assert sorted(Reminder.objects.values_list("pk", "local_date", "slot", "due_at")) == rows


def test_when_the_local_day_rolls_over_only_the_next_day_is_added(programme: Any) -> None:
    plan_reminders(now=AT_0805)
    before = set(Reminder.objects.values_list("pk", flat=True))
    after_midnight = datetime.combine(TOMORROW, time(0, 1), tzinfo=UTC)
    assert plan_reminders(now=after_midnight) == 1
    added = Reminder.objects.exclude(pk__in=before)
    assert {r.local_date for r in added} == {TOMORROW + timedelta(days=1)}
    assert before <= set(Reminder.objects.values_list("pk", flat=True))  # none replaced
    plan = ReminderPlan.objects.get(patient=programme.patient)
    assert plan.planned_through == TOMORROW + timedelta(days=1)


def test_a_revision_change_made_in_programmes_is_replanned_by_the_planner(
    programme: Any,
) -> None:
    """programmes/ cannot call patients/: the planner notices the new current revision."""
    plan_reminders(now=AT_0805)
    tomorrow_before = set(Reminder.objects.filter(local_date=TOMORROW).values_list("pk", flat=True))
    revision = adjust_programme(
        programme=programme,
        changed_by=programme.patient.therapist.user,
        change=MovePhase(to_phase=2),
        reason="Ready for phase 2",
    )
    assert plan_reminders(now=AT_0805) == 1
    assert ReminderPlan.objects.get(patient=programme.patient).revision_id == revision.pk
    tomorrow_after = set(Reminder.objects.filter(local_date=TOMORROW).values_list("pk", flat=True))
    assert tomorrow_after
    assert not tomorrow_after & tomorrow_before  # replaced, not added to
    assert plan_reminders(now=AT_0805) == 0


def test_ending_a_programme_removes_its_unsent_reminders(programme: Any) -> None:
    plan_reminders(now=AT_0805)
    end_programme(
        programme=programme, by=programme.patient.therapist.user, now=AT_0805, reason="Done"
    )
    assert not Reminder.objects.filter(status="pending").exists()
    assert not Reminder.objects.filter(due_at__gt=AT_0805).exists()  # what was ahead is gone
    assert not ReminderPlan.objects.exists()
    assert plan_reminders(now=AT_0805 + timedelta(days=1)) == 0
    assert due_reminder_ids(now=AT_0805 + timedelta(minutes=5)) == []


def test_changing_the_session_times_replaces_the_unsent_reminders(programme: Any) -> None:
    patient = programme.patient
    plan_reminders(now=AT_0805)
    sent = Reminder.objects.get(local_date=TODAY, slot="session:1")
    Reminder.objects.filter(pk=sent.pk).update(status="sent", sent_at=AT_0805)
    update_reminder_preferences(patient=patient, session_times=["09:30", "17:00"], now=AT_0805)
    session_1 = Reminder.objects.get(local_date=TOMORROW, slot="session:1")
    session_2 = Reminder.objects.get(local_date=TOMORROW, slot="session:2")
    assert session_1.due_at == datetime.combine(TOMORROW, time(9, 30), tzinfo=UTC)
    assert session_2.due_at == datetime.combine(TOMORROW, time(17), tzinfo=UTC)
    assert Reminder.objects.get(local_date=TODAY, slot="session:2").due_at == datetime.combine(
        TODAY, time(17), tzinfo=UTC
    )
    # What was sent stays sent: one session-1 reminder today, not a second at 09:30.
    assert Reminder.objects.get(local_date=TODAY, slot="session:1").pk == sent.pk


def test_a_red_flag_removes_the_paused_reminders_and_resolving_it_brings_them_back(
    programme: Any,
) -> None:
    patient = programme.patient
    plan_reminders(now=AT_0805)
    report_red_flag(patient, AT_0805)
    pending = Reminder.objects.filter(patient=patient, status="pending")
    assert not pending.filter(kind__in=sorted(PAUSED_KINDS)).exists()
    assert pending.filter(kind="check_in", local_date=TOMORROW).exists()  # the check-in goes on
    flag = Flag.objects.get(patient=patient, kind=Flag.Kind.RED_FLAG)
    resolve_flag(flag=flag, by=patient.therapist.user, note="Seen in clinic", now=AT_0805)
    assert pending.filter(kind="session", local_date=TOMORROW).exists()


def test_a_reminder_planned_before_the_programme_ended_is_skipped_not_sent(
    programme: Any,
) -> None:
    """The race: the planner read the programme as active, then it ended before the rows
    were written. Sending checks the programme again."""
    plan_reminders(now=AT_0805 - timedelta(hours=8))
    due = due_reminder_ids(now=AT_0805)
    assert due
    # Ended behind the planner's back (no re-plan): as if it committed mid-plan.
    type(programme).objects.filter(pk=programme.pk).update(status="ended")
    for reminder_id in due:
        assert deliver_reminder(reminder_id=reminder_id, now=AT_0805) is False
    assert set(Reminder.objects.filter(pk__in=due).values_list("status", flat=True)) == {"skipped"}
    assert not Notification.objects.filter(kind__startswith="reminder:").exists()


def _adjust_on_the_web(programme: Any) -> int:
    client = factories.web_client_for(programme.patient.therapist.user)
    return client.post(
        reverse("programme_adjust", args=[programme.pk]),
        {"action": "phase", "phase-to_phase": "2", "phase-reason": "Ready."},
    ).status_code


def _adjust_through_the_api(programme: Any) -> int:
    client = factories.api_client_for(programme.patient.therapist.user)
    return client.post(
        f"/api/v1/programmes/{programme.pk}/adjustments/",
        {"change": "move_phase", "to_phase": 2, "reason": "Ready."},
        format="json",
    ).status_code


@pytest.mark.parametrize(
    ("adjust", "status"), [(_adjust_on_the_web, 302), (_adjust_through_the_api, 201)]
)
def test_an_adjustment_replans_at_once(programme: Any, adjust: Any, status: int) -> None:
    """Web and API both go through revise_programme: the new revision's reminders now, not
    at the planner's next run."""
    plan_reminders(now=AT_0805 - timedelta(hours=8))
    planned_from = ReminderPlan.objects.get(patient=programme.patient).revision_id
    with time_machine.travel(AT_0805, tick=False):
        assert adjust(programme) == status
    programme.refresh_from_db()
    assert programme.current_revision_id != planned_from
    assert ReminderPlan.objects.get(patient=programme.patient).revision_id == (
        programme.current_revision_id
    )
