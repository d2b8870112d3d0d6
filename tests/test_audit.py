"""The audit trail: every create, update and delete of a clinical record — bulk ones too —
and every therapist view of a patient's record, with actor, time, object, action and
address; entries hold no identifying text and can be neither changed nor deleted."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from patients.activity.services import ExerciseDone, record_session
from patients.models import Flag, Patient, SessionLog
from programmes.models import ProgrammeItem
from rehab.apps import CLINIC_ADMINS
from rehab.audit import AuditedQuerySet
from tests import factories
from tests.factories import api_client_for
from tests.integration.conftest import needs_postgresql

# At NOW the cast's programme is in its third week, so "today" is a day it can be logged.
pytestmark = pytest.mark.usefixtures("frozen_clock")

ACTION = LogEntry.Action


def entries_for(obj: Any, action: int | None = None) -> list[LogEntry]:
    found = LogEntry.objects.get_for_object(obj).order_by("timestamp", "id")
    return list(found if action is None else found.filter(action=action))


def log(patient: Any, programme: Any, **overrides: Any) -> Any:
    values: dict[str, Any] = {
        "patient": patient,
        "client_uuid": uuid.uuid4(),
        "local_date": timezone.localdate(),
        "slot": 1,
        "logged_at": timezone.now(),
        "now": timezone.now(),
        "exercises": [
            ExerciseDone(item_key=factories.current_items(programme)[0].key, sets_done=3)
        ],
        "pain_after_nrs": 3,
    }
    return record_session(**(values | overrides)).obj


def test_every_audited_model_is_registered_and_its_bulk_writes_are_audited() -> None:
    for label in settings.AUDITED_MODELS:
        model = apps.get_model(label)
        assert auditlog.contains(model), label
        # The default manager (and so every related manager) builds AuditedQuerySets.
        assert isinstance(model._default_manager.all(), AuditedQuerySet), label


def test_create_update_and_delete_are_each_logged_once(patient: Any, programme: Any) -> None:
    session = log(patient, programme)
    assert [e.action for e in entries_for(session)] == [ACTION.CREATE]

    session.pain_after_nrs = 5
    session.save()
    update = entries_for(session, ACTION.UPDATE)
    assert len(update) == 1
    assert update[0].changes["pain_after_nrs"] == ["3", "5"]

    entry_ids = list(session.exercises.values_list("pk", flat=True))
    session_pk = session.pk
    session.delete()  # cascades to its exercise entries: each is logged
    deleted = LogEntry.objects.filter(action=ACTION.DELETE)
    assert deleted.filter(object_pk=str(session_pk)).count() == 1
    assert deleted.filter(object_pk__in=[str(pk) for pk in entry_ids]).count() == len(entry_ids)


def test_a_bulk_update_logs_one_entry_per_row_with_the_change(patient: Any) -> None:
    flags = [
        Flag.objects.create(
            patient=patient, rule=f"rule{n}", episode="2026-W47", kind="step_back", severity=2
        )
        for n in range(3)
    ]
    updated = Flag.objects.filter(patient=patient).update(status="acknowledged")

    assert updated == 3
    for flag in flags:
        (entry,) = entries_for(flag, ACTION.UPDATE)
        assert entry.changes == {"status": ["open", "acknowledged"]}


def test_bulk_create_logs_only_the_rows_it_inserted(patient: Any) -> None:
    existing = Flag.objects.create(
        patient=patient, rule="same", episode="e1", kind="step_back", severity=2
    )
    clash = Flag(patient=patient, rule="same", episode="e1", kind="step_back", severity=2)
    fresh = Flag(patient=patient, rule="other", episode="e1", kind="step_back", severity=2)

    created = Flag.objects.bulk_create([clash, fresh], ignore_conflicts=True)

    assert created == [fresh]
    assert [e.action for e in entries_for(fresh)] == [ACTION.CREATE]
    assert entries_for(clash) == []  # not inserted, not logged
    assert len(entries_for(existing)) == 1  # its own creation only


def test_bulk_update_logs_the_old_and_new_values(patient: Any) -> None:
    flag = Flag.objects.create(
        patient=patient, rule="r", episode="e", kind="step_back", severity=2, message="old"
    )
    flag.message = "new"
    Flag.objects.bulk_update([flag], ["message"])

    (entry,) = entries_for(flag, ACTION.UPDATE)
    assert entry.changes == {"message": ["old", "new"]}


def test_prescribing_logs_the_programme_and_everything_written_in_bulk(patient: Any) -> None:
    programme = factories.prescribe(patient)
    revision = programme.current_revision
    items = ProgrammeItem.objects.filter(phase__revision=revision)

    assert entries_for(programme, ACTION.CREATE)
    assert items.exists()
    for item in items:
        assert len(entries_for(item, ACTION.CREATE)) == 1


def test_entries_hold_ids_and_redacted_text_never_a_name(patient: Any, programme: Any) -> None:
    session = log(
        patient,
        programme,
        exercises=[],
        skipped=True,
        skip_reason=f"{patient.user.first_name} had a wedding",
        pain_after_nrs=None,
    )
    entry = entries_for(session)[0]
    (patient_created,) = entries_for(patient, ACTION.CREATE)

    assert entry.object_repr == f"sessionlog {session.pk}"
    assert entry.changes["skip_reason"] == ["", "[redacted]"]
    assert patient_created.changes["date_of_birth"][1] == "[redacted]"
    everything = str(list(LogEntry.objects.values()))
    for private in (patient.user.first_name, patient.user.last_name, patient.user.email):
        assert private not in everything


def test_an_api_write_is_attributed_to_the_token_user_with_address_and_request_id(
    patient: Any, programme: Any
) -> None:
    client = api_client_for(patient.user)
    body = {
        "client_uuid": str(uuid.uuid4()),
        "local_date": timezone.now().astimezone(patient.zone).date().isoformat(),
        "slot": 1,
        "pain_after_nrs": 2,
        "exercises": [{"item_key": str(factories.current_items(programme)[0].key), "sets_done": 3}],
        "logged_at": timezone.now().isoformat(),
    }
    response = client.post("/api/v1/sessions/", body, format="json", REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 201, response.json()

    session = SessionLog.objects.get(pk=response.json()["id"])
    (entry,) = entries_for(session)
    assert entry.actor == patient.user
    assert entry.actor_email is None
    assert entry.remote_addr == "203.0.113.9"
    assert entry.cid == response["X-Request-ID"]
    assert abs(entry.timestamp - timezone.now()) < timedelta(minutes=1)


def test_a_forged_forwarded_for_header_is_not_taken_as_the_address(
    patient: Any, programme: Any
) -> None:
    client = Client()
    factories.sign_in(client, patient.therapist.user)
    client.get(
        reverse("patient_detail", args=[patient.pk]),
        REMOTE_ADDR="198.51.100.4",
        HTTP_X_FORWARDED_FOR="10.9.9.9",
    )
    (entry,) = entries_for(patient, ACTION.ACCESS)
    assert entry.remote_addr == "198.51.100.4"


def test_a_therapist_viewing_a_patient_is_logged_on_the_web_and_the_api(
    patient: Any, programme: Any
) -> None:
    therapist_user = patient.therapist.user
    web = Client()
    factories.sign_in(web, therapist_user)
    assert web.get(reverse("patient_detail", args=[patient.pk])).status_code == 200
    assert web.get(reverse("programme_adjust", args=[programme.pk])).status_code == 200
    api = api_client_for(therapist_user)
    assert api.get(f"/api/v1/patients/{patient.pk}/").status_code == 200
    assert api.get(f"/api/v1/programmes/{programme.pk}/").status_code == 200

    patient_views = entries_for(patient, ACTION.ACCESS)
    programme_views = entries_for(programme, ACTION.ACCESS)
    assert len(patient_views) == 2
    assert len(programme_views) == 2
    assert {e.actor for e in patient_views + programme_views} == {therapist_user}
    assert {e.additional_data["access"] for e in patient_views} == {"view"}


def test_a_patient_reading_their_own_programme_is_not_an_audit_event(
    patient: Any, programme: Any
) -> None:
    api = api_client_for(patient.user)
    assert api.get(f"/api/v1/programmes/{programme.pk}/").status_code == 200
    assert entries_for(programme, ACTION.ACCESS) == []


def test_another_therapist_is_refused_and_nothing_is_logged_as_viewed(
    patient: Any, programme: Any, colleague: Any
) -> None:
    web = Client()
    factories.sign_in(web, colleague.user)
    assert web.get(reverse("patient_detail", args=[patient.pk])).status_code == 404
    assert entries_for(patient, ACTION.ACCESS) == []


# --- Append-only --------------------------------------------------------------------------


@pytest.fixture
def entry(patient: Any) -> LogEntry:
    return entries_for(patient)[0]


def test_an_entry_cannot_be_changed_or_deleted_through_the_orm(entry: LogEntry) -> None:
    entry.object_repr = "tampered"
    with pytest.raises(PermissionError), transaction.atomic():
        entry.save()
    with pytest.raises(PermissionError), transaction.atomic():
        entry.delete()
    with pytest.raises(PermissionError), transaction.atomic():
        LogEntry.objects.filter(pk=entry.pk).delete()
    assert LogEntry.objects.get(pk=entry.pk).object_repr != "tampered"


def test_the_database_refuses_to_rewrite_an_entry(entry: LogEntry) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        LogEntry.objects.filter(pk=entry.pk).update(object_repr="tampered")
    refused = pytest.raises(DatabaseError, match="append-only")
    with refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE auditlog_logentry SET changes = NULL WHERE id = %s", [entry.pk])
    assert LogEntry.objects.get(pk=entry.pk).object_repr != "tampered"


def test_postgresql_refuses_to_delete_an_entry_even_in_sql(entry: LogEntry) -> None:
    needs_postgresql()  # SQLite keeps DELETE for the test runner's flush
    refused = pytest.raises(DatabaseError, match="append-only")
    with refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM auditlog_logentry WHERE id = %s", [entry.pk])
    assert LogEntry.objects.filter(pk=entry.pk).exists()


def _staff(*, clinic_admin: bool, superuser: bool = False) -> Any:
    user = factories.UserFactory(is_staff=True, is_superuser=superuser)
    if clinic_admin:
        user.groups.add(Group.objects.get(name=CLINIC_ADMINS))
    return user


def test_clinic_admins_read_the_trail_in_the_admin_but_cannot_change_it(entry: LogEntry) -> None:
    client = Client()
    factories.sign_in(client, _staff(clinic_admin=True))
    changelist = reverse("admin:auditlog_logentry_changelist")
    page = client.get(changelist)
    assert page.status_code == 200
    assert entry.object_pk in page.content.decode()
    detail = reverse("admin:auditlog_logentry_change", args=[entry.pk])
    assert client.get(detail).status_code == 200  # read-only view
    assert client.post(detail, {"object_repr": "x"}).status_code == 403
    assert client.get(reverse("admin:auditlog_logentry_add")).status_code == 403


def test_not_even_a_superuser_can_add_or_delete_entries(entry: LogEntry) -> None:
    client = Client()
    factories.sign_in(client, _staff(clinic_admin=False, superuser=True))
    delete = reverse("admin:auditlog_logentry_delete", args=[entry.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    bulk = client.post(
        reverse("admin:auditlog_logentry_changelist"),
        {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"},
    )
    assert bulk.status_code in (200, 302)
    assert LogEntry.objects.filter(pk=entry.pk).exists()


def test_staff_outside_the_clinic_admins_group_cannot_read_the_trail(entry: LogEntry) -> None:
    client = Client()
    factories.sign_in(client, _staff(clinic_admin=False))
    assert client.get(reverse("admin:auditlog_logentry_changelist")).status_code == 403


def test_opening_a_patient_in_the_admin_is_logged(patient: Any) -> None:
    client = Client()
    factories.sign_in(client, _staff(clinic_admin=False, superuser=True))
    page = client.get(reverse("admin:patients_patient_change", args=[patient.pk]))
    assert page.status_code == 200
    (view,) = entries_for(patient, ACTION.ACCESS)
    assert view.additional_data == {"access": "admin view"}


def test_tasks_and_commands_write_entries_as_the_system(patient: Any) -> None:
    Patient.objects.filter(pk=patient.pk).update(date_of_birth=date(1990, 1, 1))
    (entry,) = entries_for(patient, ACTION.UPDATE)
    assert entry.actor is None
    assert entry.remote_addr is None
    assert entry.changes == {"date_of_birth": ["[redacted]", "[redacted]"]}
