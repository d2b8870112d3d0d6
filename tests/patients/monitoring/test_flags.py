"""Turning what patients log into flags exactly once, and what a therapist does with a flag."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail

from patients.models import Flag, Notification
from patients.monitoring.services import (
    accept_progression,
    acknowledge_flag,
    evaluate_patient,
    notify_flag,
    resolve_flag,
)
from patients.monitoring.tasks import (
    flag_digest_sweep,
    flag_digest_task,
    monitoring_chunk_task,
    monitoring_sweep,
    red_flag_sweep,
)
from rehab.exceptions import DomainError
from tests import factories
from tests.factories import NOW
from tests.patients.recording import check_in_on, log_pain

pytestmark = pytest.mark.django_db


def test_a_red_flag_check_in_raises_the_flag_at_once_and_emails_after_commit(
    programme: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        check_in_on(programme.patient, NOW.date(), flags=["sudden_pop"])
        # In the same transaction: the therapist's flag exists before the patient sees advice.
        assert Flag.objects.filter(patient=programme.patient, kind=Flag.Kind.RED_FLAG).exists()
    assert len(callbacks) == 1  # the e-mail task is enqueued only after commit
    with django_capture_on_commit_callbacks() as callbacks:
        check_in_on(programme.patient, NOW.date() - timedelta(days=1))
    assert callbacks == []  # no red flag, nothing to send


def _red_flag(flags: list[Flag]) -> Flag:
    (flag,) = [f for f in flags if f.kind == "red_flag"]
    return flag


def test_a_red_flag_raises_one_urgent_flag_however_often_evaluated(programme: Any) -> None:
    check_in_on(programme.patient, NOW.date(), flags=["sudden_pop"])
    for _ in range(3):
        evaluate_patient(patient=programme.patient, now=NOW)
    flag = Flag.objects.get(rule="red_flag:sudden_pop")
    assert flag.severity == Flag.Severity.URGENT
    assert flag.episode == NOW.date().isoformat()
    assert flag.sources


def test_an_urgent_flag_emails_the_therapist_exactly_once(programme: Any) -> None:
    check_in_on(programme.patient, NOW.date(), flags=["redness_warmth_fever"])
    flag = _red_flag(evaluate_patient(patient=programme.patient, now=NOW))
    assert notify_flag(flag=flag, now=NOW) is True
    assert notify_flag(flag=flag, now=NOW) is False
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [programme.patient.therapist.user.email]
    assert "red flag" in mail.outbox[0].subject
    therapist_user = programme.patient.therapist.user
    assert Notification.objects.filter(user=therapist_user, kind="red_flag").count() == 1


@pytest.mark.parametrize(
    ("slug", "prefix"),
    [
        ("redness_warmth_fever", "Same day: "),
        ("skin_changes_after_ice_heat", "Within days: "),
        ("numbness_tingling", "Routine: "),
    ],
)
def test_the_therapists_red_flag_email_follows_the_flags_urgency(
    programme: Any, slug: str, prefix: str
) -> None:
    """F13: the subject says how soon, from the catalogue's urgency, not "Urgent" for all."""
    check_in_on(programme.patient, NOW.date(), flags=[slug])
    flag = Flag.objects.get(patient=programme.patient, rule=f"red_flag:{slug}")
    notify_flag(flag=flag, now=NOW)
    assert mail.outbox[0].subject.startswith(prefix)
    notification = Notification.objects.get(kind="red_flag")
    assert notification.title == mail.outbox[0].subject


def test_a_sender_that_died_mid_send_is_retried_after_the_claim_times_out(programme: Any) -> None:
    check_in_on(programme.patient, NOW.date(), flags=["sudden_pop"])
    flag = _red_flag(evaluate_patient(patient=programme.patient, now=NOW))
    Flag.objects.filter(pk=flag.pk).update(notify_claimed_at=NOW)  # claimed, never sent
    assert notify_flag(flag=flag, now=NOW + timedelta(minutes=1)) is False
    assert notify_flag(flag=flag, now=NOW + timedelta(minutes=6)) is True
    assert len(mail.outbox) == 1


def test_the_red_flag_sweep_catches_up_when_the_broker_was_down(programme: Any) -> None:
    # The check-in was stored but its task never ran (e.g. Redis down): the sweep finds it.
    check_in_on(programme.patient, NOW.date(), flags=["cannot_bear_weight"])
    red_flag_sweep()
    red_flag_sweep()  # run twice: still one flag, one e-mail
    assert Flag.objects.filter(rule="red_flag:cannot_bear_weight").count() == 1
    assert len(mail.outbox) == 1


def test_the_monitoring_sweep_twice_raises_each_flag_once(
    programme: Any, frozen_clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each chunk the sweep queues runs here and now (two real workers: tests/integration).
    chunks: list[tuple[str, str]] = []

    def run_chunk(first_id: str, last_id: str) -> None:
        chunks.append((first_id, last_id))
        monitoring_chunk_task.apply(args=(first_id, last_id))

    monkeypatch.setattr(monitoring_chunk_task, "delay", run_chunk)
    patient = programme.patient
    item = factories.current_items(programme)[0]
    for day in range(3):
        log_pain(patient, item, NOW.date() - timedelta(days=day), slot=1, pain=8)
    monitoring_sweep()
    monitoring_sweep()
    assert len(chunks) == 2  # one chunk (one active programme) per sweep
    assert Flag.objects.filter(rule="pain_during_above_max").count() == 1
    flag = Flag.objects.get(rule="pain_during_above_max")
    assert flag.kind == "step_back"
    assert "8/10" in flag.message


def test_new_evidence_updates_an_open_flag(programme: Any) -> None:
    patient = programme.patient
    item = factories.current_items(programme)[0]
    today = NOW.date()
    log_pain(patient, item, today, slot=1, pain=6)
    evaluate_patient(patient=patient, now=NOW)
    log_pain(patient, item, today, slot=2, pain=8)
    evaluate_patient(patient=patient, now=NOW)
    flag = Flag.objects.get(rule="pain_during_above_max")
    assert flag.evidence["days"] == {today.isoformat(): 8}


@pytest.fixture
def red_flag(programme: Any) -> Flag:
    """An open red flag on the therapist's patient, as a check-in raises it."""
    check_in_on(programme.patient, NOW.date(), flags=["sudden_pop"])
    return _red_flag(evaluate_patient(patient=programme.patient, now=NOW))


def test_a_colleague_cannot_acknowledge_another_therapists_flag(
    red_flag: Flag, colleague: Any
) -> None:
    with pytest.raises(DomainError):
        acknowledge_flag(flag=red_flag, by=colleague.user, now=NOW)
    red_flag.refresh_from_db()
    assert red_flag.status == "open"


def test_the_patients_therapist_acknowledges_a_flag(red_flag: Flag, therapist: Any) -> None:
    acknowledge_flag(flag=red_flag, by=therapist.user, now=NOW)
    red_flag.refresh_from_db()
    assert (red_flag.status, red_flag.acknowledged_at) == ("acknowledged", NOW)


def test_resolving_a_flag_needs_a_note(red_flag: Flag, therapist: Any) -> None:
    acknowledge_flag(flag=red_flag, by=therapist.user, now=NOW)
    with pytest.raises(DomainError) as error:
        resolve_flag(flag=red_flag, by=therapist.user, note=" ", now=NOW)
    assert "note" in error.value.fields
    red_flag.refresh_from_db()
    assert red_flag.status == "acknowledged"


def test_a_resolved_flag_keeps_its_note_and_is_not_reopened_by_evaluating_again(
    red_flag: Flag, therapist: Any
) -> None:
    acknowledge_flag(flag=red_flag, by=therapist.user, now=NOW)
    resolve_flag(flag=red_flag, by=therapist.user, note="Seen in clinic; no rupture.", now=NOW)
    red_flag.refresh_from_db()
    assert (red_flag.status, red_flag.resolution_note) == (
        "resolved",
        "Seen in clinic; no rupture.",
    )
    # Evaluating again does not reopen or duplicate the resolved episode.
    evaluate_patient(patient=red_flag.patient, now=NOW)
    assert Flag.objects.get(pk=red_flag.pk).status == "resolved"
    assert Flag.objects.filter(rule="red_flag:sudden_pop").count() == 1


def test_accepting_ready_to_progress_creates_a_revision(programme: Any) -> None:
    flag = Flag.objects.create(
        patient=programme.patient,
        programme=programme,
        rule="ready_to_progress",
        episode="2026-W47",
        kind="ready_to_progress",
        severity=1,
        message="Ready.",
        sources=["R5b"],
    )
    revision = accept_progression(flag=flag, by=programme.patient.therapist.user, now=NOW)
    assert (revision.number, revision.kind, revision.current_phase) == (2, "phase_changed", 2)
    assert Flag.objects.get(pk=flag.pk).status == "resolved"


def test_the_daily_digest_lists_new_flags_once(
    programme: Any, colleague: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    queued: list[str] = []  # one digest task per therapist, run here and now

    def run(therapist_id: str) -> None:
        queued.append(therapist_id)
        flag_digest_task.apply(args=(therapist_id,))

    monkeypatch.setattr(flag_digest_task, "delay", run)
    check_in_on(programme.patient, NOW.date(), flags=["sudden_pop"])
    evaluate_patient(patient=programme.patient, now=NOW)
    mail.outbox.clear()
    flag_digest_sweep()
    flag_digest_sweep()  # run twice: one digest
    assert sorted(queued) == sorted(2 * [str(programme.patient.therapist.pk), str(colleague.pk)])
    therapist = programme.patient.therapist.user
    digests = [m for m in mail.outbox if m.to == [therapist.email]]
    assert len(digests) == 1
    assert "[Red flag]" in digests[0].body
    assert "(SEED-001, R54)" in digests[0].body  # the flag's sources
    assert "new flag" in digests[0].subject
    assert not [m for m in mail.outbox if m.to == [colleague.user.email]]  # nothing new there
