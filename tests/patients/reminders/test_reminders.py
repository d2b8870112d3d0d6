"""Reminders at the right local time, once, and only while something is still to do."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from patients.activity.services import ExerciseDone, record_check_in, record_session
from patients.models import Flag, Notification, Reminder
from patients.reminders.rules import ReminderFacts, in_quiet_hours, reminders_for
from patients.reminders.services import (
    PAUSED_KINDS,
    deliver_reminder,
    schedule_due_reminders,
    send_nudges,
)
from patients.schedule import questionnaire_due, questionnaire_due_on, training_weekdays
from programmes.models import ProgrammeItem
from tests import factories
from tests.patients.recording import report_red_flag

# (zone, a date with a daylight-saving change there)
DST_CHANGES = [
    ("America/New_York", date(2026, 11, 1)),  # falls back
    ("Europe/London", date(2026, 10, 25)),  # falls back
    ("Europe/London", date(2027, 3, 28)),  # springs forward
    ("Australia/Sydney", date(2026, 10, 4)),  # springs forward
    ("Asia/Kolkata", date(2026, 11, 1)),  # no DST at all
]


def _facts(**changes: Any) -> ReminderFacts:
    base = ReminderFacts(
        zone=ZoneInfo("Europe/London"),
        started_on=date(2026, 11, 2),
        session_times=(time(8), time(18)),
        sessions_per_day=2,
        training_days_per_week=7,
        ice_heat=(),
        quiet_start=time(21),
        quiet_end=time(7),
        daily_cap=6,
    )
    return dataclasses.replace(base, **changes)


def test_twice_daily_protocols_get_morning_and_evening_sessions() -> None:
    planned = reminders_for(_facts(), date(2026, 11, 5))
    assert [(p.slot, p.local_time) for p in planned] == [
        ("check_in", time(8)),
        ("session:1", time(8)),
        ("session:2", time(18)),
    ]


def test_three_days_a_week_spreads_the_sessions() -> None:
    assert training_weekdays(3) == {0, 2, 5}  # Monday, Wednesday, Saturday
    assert training_weekdays(7) == set(range(7))
    monday, tuesday = date(2026, 11, 2), date(2026, 11, 3)
    facts = _facts(sessions_per_day=1, training_days_per_week=3)
    assert "session:1" in {p.slot for p in reminders_for(facts, monday)}
    assert "session:1" not in {p.slot for p in reminders_for(facts, tuesday)}


@pytest.mark.parametrize(
    ("answered_on_day", "reminded_on_days"),
    [
        (None, [0, 7, 14]),  # never answered: due from the start, then weekly while overdue
        (3, [10]),  # answered on day 3: due a week later, as Today says
        (0, [7, 14]),
    ],
)
def test_the_questionnaire_is_reminded_when_today_says_it_is_due(
    answered_on_day: int | None, reminded_on_days: list[int]
) -> None:
    """Issue 13: one definition of "questionnaire due" (patients/schedule.py) for Today and
    the reminders: a week after the last response (the day-0 rhythm was a second one)."""
    start = date(2026, 11, 2)
    answered = None if answered_on_day is None else start + timedelta(days=answered_on_day)
    facts = _facts(last_questionnaire_on=answered)
    reminded = [
        d
        for d in range(15)
        if "questionnaire" in {p.slot for p in reminders_for(facts, start + timedelta(days=d))}
    ]
    assert reminded == reminded_on_days
    for day in range(15):
        today = start + timedelta(days=day)
        if answered is None or today >= answered:
            assert questionnaire_due(last_on=answered, today=today) == (
                today >= questionnaire_due_on(last_on=answered, started_on=start)
            )


def test_quiet_hours_and_the_daily_cap() -> None:
    assert in_quiet_hours(time(22), time(21), time(7))
    assert in_quiet_hours(time(6, 59), time(21), time(7))
    assert not in_quiet_hours(time(7), time(21), time(7))
    late = _facts(session_times=(time(8), time(22)))
    assert "session:2" not in {p.slot for p in reminders_for(late, date(2026, 11, 5))}
    ice = ("ice", (time(8), time(11), time(14), time(17), time(20)), 0, 3)
    capped = reminders_for(_facts(ice_heat=(ice,), daily_cap=4), date(2026, 11, 3))
    assert len(capped) == 4
    assert [p.local_time for p in capped] == sorted(p.local_time for p in capped)


def test_ice_slots_only_inside_their_days() -> None:
    ice = ("ice", (time(11), time(14)), 0, 3)
    facts = _facts(ice_heat=(ice,))
    assert {"ice:1", "ice:2"} <= {p.slot for p in reminders_for(facts, date(2026, 11, 5))}
    assert not {p.slot for p in reminders_for(facts, date(2026, 11, 6))} & {"ice:1"}


@pytest.mark.parametrize(("zone", "change_day"), DST_CHANGES)
def test_8am_stays_8am_local_across_a_clock_change(zone: str, change_day: date) -> None:
    facts = _facts(zone=ZoneInfo(zone), started_on=change_day - timedelta(days=3))
    for day in (change_day - timedelta(days=1), change_day, change_day + timedelta(days=1)):
        (session,) = [p for p in reminders_for(facts, day) if p.slot == "session:1"]
        local = session.due_at.astimezone(ZoneInfo(zone))
        assert (local.date(), local.time()) == (day, time(8))


@pytest.mark.django_db
@pytest.mark.parametrize(("zone", "change_day"), DST_CHANGES)
def test_the_sweep_over_48_hours_reminds_once_per_local_day(zone: str, change_day: date) -> None:
    patient = factories.PatientFactory(time_zone=zone)
    factories.prescribe(patient, started_on=change_day - timedelta(days=3))
    start = datetime.combine(change_day - timedelta(days=1), time(0), tzinfo=UTC)
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(48 * 4):  # every 15 minutes for 48 hours
            schedule_due_reminders(now=timezone.now())
            schedule_due_reminders(now=timezone.now())  # run twice: nothing doubles
            clock.shift(timedelta(minutes=15))
    sessions = Reminder.objects.filter(patient=patient, slot="session:1").order_by("due_at")
    days = [r.local_date for r in sessions]
    assert len(days) == len(set(days))
    for reminder in sessions:
        local = reminder.due_at.astimezone(ZoneInfo(zone))
        assert (local.date(), local.time()) == (reminder.local_date, time(8))
    assert change_day in days


AT_0805 = datetime(2026, 11, 5, 8, 5, tzinfo=UTC)  # 08:05 in London (GMT)


def test_a_due_reminder_is_delivered_exactly_once(programme: Any) -> None:
    ids = schedule_due_reminders(now=AT_0805)
    assert len(ids) == 3  # heat at 07:30, check-in and session 1 at 08:00
    planned = Reminder.objects.count()  # the local days ahead are planned too (issue 14)
    assert sorted(schedule_due_reminders(now=AT_0805)) == sorted(ids)  # same rows, no new ones
    assert Reminder.objects.count() == planned
    assert Reminder.objects.filter(local_date=AT_0805.date(), due_at__lte=AT_0805).count() == 3
    session = Reminder.objects.get(slot="session:1", local_date=AT_0805.date())
    assert deliver_reminder(reminder_id=str(session.pk), now=AT_0805) is True
    assert deliver_reminder(reminder_id=str(session.pk), now=AT_0805) is False
    user = programme.patient.user
    assert Notification.objects.filter(user=user, kind="reminder:session").count() == 1
    assert len(mail.outbox) == 1


def test_nothing_is_sent_for_what_is_already_done(programme: Any) -> None:
    patient = programme.patient
    record_check_in(
        patient=patient,
        client_uuid=uuid.uuid4(),
        local_date=AT_0805.date(),
        morning_pain_nrs=2,
        stiffness_minutes=5,
        red_flags=[],
        logged_at=AT_0805,
        now=timezone.now(),
    )
    for reminder_id in schedule_due_reminders(now=AT_0805):
        deliver_reminder(reminder_id=reminder_id, now=AT_0805)
    check_in = Reminder.objects.get(slot="check_in", local_date=AT_0805.date())
    assert check_in.status == "skipped"
    assert not Notification.objects.filter(kind="reminder:check_in").exists()


def test_email_can_be_switched_off(programme: Any) -> None:
    patient = programme.patient
    patient.email_reminders = False
    patient.save()
    for reminder_id in schedule_due_reminders(now=AT_0805):
        deliver_reminder(reminder_id=reminder_id, now=AT_0805)
    assert mail.outbox == []
    assert Notification.objects.filter(user=patient.user).count() >= 1


def test_one_nudge_if_the_session_is_still_not_logged(programme: Any, settings: Any) -> None:
    settings.REHAB_NUDGE_AFTER_MINUTES = 120
    for reminder_id in schedule_due_reminders(now=AT_0805):
        deliver_reminder(reminder_id=reminder_id, now=AT_0805)
    assert send_nudges(now=AT_0805 + timedelta(minutes=60)) == 0
    assert send_nudges(now=AT_0805 + timedelta(minutes=121)) == 1
    assert send_nudges(now=AT_0805 + timedelta(minutes=150)) == 0
    assert Notification.objects.filter(kind="reminder:nudge").count() == 1


def test_no_nudge_once_the_session_is_logged(programme: Any) -> None:
    for reminder_id in schedule_due_reminders(now=AT_0805):
        deliver_reminder(reminder_id=reminder_id, now=AT_0805)
    item = ProgrammeItem.objects.filter(phase__revision=programme.current_revision).first()
    assert item is not None
    record_session(
        patient=programme.patient,
        client_uuid=uuid.uuid4(),
        local_date=AT_0805.date(),
        slot=1,
        logged_at=AT_0805,
        exercises=[ExerciseDone(item.key, sets_done=3)],
        now=timezone.now(),
    )
    assert send_nudges(now=AT_0805 + timedelta(hours=3)) == 0


def test_reminders_missed_during_a_long_outage_are_not_sent_late(programme: Any) -> None:
    assert schedule_due_reminders(now=AT_0805 + timedelta(hours=4)) == []
    # The day is planned (issue 14) but nothing of it was handed out, sent or skipped.
    assert not Reminder.objects.exclude(status="pending").exists()
    # Within the catch-up window the same reminders are still sent.
    assert len(schedule_due_reminders(now=AT_0805 + timedelta(hours=2))) == 3


def test_an_ice_or_heat_reminder_states_the_prescribed_limit(programme: Any) -> None:
    for reminder_id in schedule_due_reminders(now=AT_0805):
        deliver_reminder(reminder_id=reminder_id, now=AT_0805)
    heat = Notification.objects.get(kind="reminder:heat")
    limit = programme.current_revision.ice_heat_slots.get(modality="heat").max_minutes
    assert f"up to {limit} minutes" in heat.body


def test_a_paused_programme_gets_no_session_or_ice_heat_reminders(programme: Any) -> None:
    """F3: while a red flag is unresolved only the check-in is reminded (reported yesterday,
    so today's check-in is still to do)."""
    report_red_flag(programme.patient, AT_0805 - timedelta(days=1))
    for reminder_id in schedule_due_reminders(now=AT_0805):
        deliver_reminder(reminder_id=reminder_id, now=AT_0805)
    sent = set(
        Notification.objects.filter(kind__startswith="reminder:").values_list("kind", flat=True)
    )
    assert sent == {"reminder:check_in"}  # the check-in goes on, nothing else
    assert not Reminder.objects.filter(kind__in=["session", "heat", "ice"], status="sent").exists()


def test_a_reminder_planned_before_the_pause_is_not_delivered(programme: Any) -> None:
    """F3: a pending session reminder made before the red flag is removed with the pause
    (issue 14), so its message, already queued, sends nothing."""
    schedule_due_reminders(now=AT_0805)
    session = Reminder.objects.get(slot="session:1", local_date=AT_0805.date())
    report_red_flag(programme.patient, AT_0805)
    assert deliver_reminder(reminder_id=str(session.pk), now=AT_0805) is False
    assert not Reminder.objects.filter(pk=session.pk).exists()
    assert not Reminder.objects.filter(kind__in=sorted(PAUSED_KINDS), status="pending").exists()
    assert not Notification.objects.filter(kind="reminder:session").exists()


def test_a_pause_the_planner_did_not_see_is_still_checked_at_send_time(programme: Any) -> None:
    """F3: a red flag raised later by the sweep (not through record_check_in) pauses too:
    the planned session reminder is skipped when its turn comes, not sent."""
    schedule_due_reminders(now=AT_0805)
    session = Reminder.objects.get(slot="session:1", local_date=AT_0805.date())
    Flag.objects.create(
        patient=programme.patient,
        programme=programme,
        kind=Flag.Kind.RED_FLAG,
        rule="red_flag:sudden_pop",
        episode=AT_0805.date().isoformat(),
        severity=Flag.Severity.URGENT,
        message="Sudden pop",
    )
    assert deliver_reminder(reminder_id=str(session.pk), now=AT_0805) is False
    session.refresh_from_db()
    assert session.status == "skipped"
    assert not Notification.objects.filter(kind="reminder:session").exists()


def test_ending_a_programme_stops_its_pending_reminders(programme: Any) -> None:
    """Issue 13: a discharged patient is not reminded of a programme that has ended, whether
    the reminder was already planned or the sweep runs again the same morning."""
    from patients.prescribing.services import end_programme

    planned = schedule_due_reminders(now=AT_0805)
    assert planned
    end_programme(
        programme=programme, by=programme.patient.therapist.user, now=AT_0805, reason="Discharged"
    )
    for reminder_id in planned:
        assert deliver_reminder(reminder_id=reminder_id, now=AT_0805) is False
    assert schedule_due_reminders(now=AT_0805 + timedelta(minutes=5)) == []
    assert not Notification.objects.filter(kind__startswith="reminder:").exists()
    assert set(Reminder.objects.values_list("status", flat=True)) == {"skipped"}


def test_no_heat_reminder_while_the_latest_check_in_reports_swelling(programme: Any) -> None:
    """Requirement 7 / F22: heat only while there is no swelling (SEED-002)."""
    record_check_in(
        patient=programme.patient,
        client_uuid=uuid.uuid4(),
        local_date=AT_0805.date() - timedelta(days=1),
        morning_pain_nrs=2,
        stiffness_minutes=5,
        red_flags=[],
        swelling=True,
        logged_at=AT_0805,
        now=AT_0805,
    )
    for reminder_id in schedule_due_reminders(now=AT_0805):
        deliver_reminder(reminder_id=reminder_id, now=AT_0805)
    assert not Notification.objects.filter(kind="reminder:heat").exists()
    assert Notification.objects.filter(kind="reminder:session").exists()


def test_the_acute_ice_window_counts_from_the_injury_not_the_start() -> None:
    """F22: ice for the first days after the injury [R28]: with the injury two days before
    the programme started, days 0-3 of the window end on the start's second day."""
    ice = ("ice", (time(11),), 0, 3)
    facts = _facts(ice_heat=(ice,), injured_on=date(2026, 10, 31))  # started 2 Nov
    assert "ice:1" in {p.slot for p in reminders_for(facts, date(2026, 11, 3))}
    assert "ice:1" not in {p.slot for p in reminders_for(facts, date(2026, 11, 4))}
    assert reminders_for(facts, date(2026, 11, 1)) == []  # never before the programme starts
