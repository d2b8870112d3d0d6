"""A patient's data: downloaded whole (JSON, CSV), or removed on request while the anonymous
clinical history stays."""

from __future__ import annotations

import csv
import io
import json
import uuid
import zipfile
from datetime import timedelta
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken
from rest_framework.test import APIClient

from patients.activity.services import ExerciseDone, record_check_in, record_session
from patients.models import (
    CheckIn,
    Device,
    Flag,
    Notification,
    PushSubscription,
    QuestionnaireResponse,
    SessionLog,
)
from patients.monitoring.services import resolve_flag
from patients.notifications.devices import register_device
from patients.privacy.serializers import ExportOutput
from patients.privacy.services import REMOVED, anonymise_patient, export_csv_zip, patient_export
from patients.questionnaires.services import record_questionnaire
from programmes.models import ProgrammeItem, ProgrammeRevision
from programmes.services import MovePhase, adjust_programme
from rehab.exceptions import DomainError
from tests import factories
from tests.factories import api_client_for

LEFS = {f"a{n}": 3 for n in range(1, 21)}
NOW = timezone.now


def today_of(patient: Any) -> Any:
    return timezone.now().astimezone(patient.zone).date()


def a_history(patient: Any, sessions: int = 2) -> Any:
    """A programme with a revision, logs (one skipped), a red-flag check-in, a score, a flag."""
    today = today_of(patient)
    programme = factories.prescribe(patient, started_on=today - timedelta(days=sessions + 2))
    adjust_programme(
        programme=programme,
        changed_by=patient.therapist.user,
        change=MovePhase(to_phase=2),
        reason=f"{patient.user.first_name} says the calf feels strong",
    )
    programme.refresh_from_db()
    item = ProgrammeItem.objects.filter(phase__revision=programme.current_revision).first()
    for day in range(sessions):
        record_session(
            patient=patient,
            client_uuid=uuid.uuid4(),
            local_date=today - timedelta(days=day),
            slot=1,
            logged_at=timezone.now(),
            exercises=[ExerciseDone(item_key=item.key, sets_done=3, load="=HYPERLINK(x)")],
            pain_after_nrs=3,
            now=timezone.now(),
        )
    record_session(
        patient=patient,
        client_uuid=uuid.uuid4(),
        local_date=today,
        slot=2,
        logged_at=timezone.now(),
        exercises=[],
        skipped=True,
        skip_reason=f"Visiting {patient.user.last_name} family",
        now=timezone.now(),
    )
    record_check_in(
        patient=patient,
        client_uuid=uuid.uuid4(),
        local_date=today,
        morning_pain_nrs=4,
        stiffness_minutes=10,
        red_flags=["redness_warmth_fever"],
        logged_at=timezone.now(),
        now=timezone.now(),
    )
    record_questionnaire(
        patient=patient,
        client_uuid=uuid.uuid4(),
        questionnaire="lefs",
        local_date=today,
        answers=LEFS,
        logged_at=timezone.now(),
        now=timezone.now(),
    )
    flag = Flag.objects.get(patient=patient, kind="red_flag")
    resolve_flag(flag=flag, by=patient.therapist.user, note="Phoned, GP seen", now=timezone.now())
    return programme


# --- Export -------------------------------------------------------------------------------


def test_the_export_holds_every_kind_of_record_and_nobody_elses(
    patient: Any, colleague: Any
) -> None:
    programme = a_history(patient)
    other = factories.PatientFactory(therapist=colleague)
    a_history(other)

    data = patient_export(patient, now=timezone.now())

    assert data["patient"]["username"] == patient.user.username
    assert data["patient"]["date_of_birth"] == "1985-03-02"
    assert [p["id"] for p in data["programmes"]] == [str(programme.pk)]
    assert [r["number"] for r in data["programmes"][0]["revisions"]] == [1, 2]
    assert data["programmes"][0]["revisions"][0]["phases"][0]["items"]
    assert len(data["session_logs"]) == 3
    assert data["session_logs"][0]["exercises"][0]["sets_done"] == 3
    assert data["check_ins"][0]["red_flags"] == ["redness_warmth_fever"]
    assert data["questionnaire_responses"][0]["score"] == 60
    assert {f["kind"] for f in data["flags"]} >= {"red_flag"}
    mine = {str(s.pk) for s in SessionLog.objects.filter(patient=patient)}
    assert {s["id"] for s in data["session_logs"]} == mine
    json.dumps(data)  # JSON-ready as it is


def test_the_export_has_the_shape_the_api_schema_gives_it(patient: Any) -> None:
    """The JSON export is built by hand; its schema (ExportOutput) must name every field it
    holds, and nothing it does not, so a generated client reads it whole."""
    a_history(patient)
    data = json.loads(json.dumps(patient_export(patient, now=timezone.now())))
    assert all(data[name] for name in ("programmes", "session_logs", "check_ins", "flags"))
    assert json.loads(json.dumps(ExportOutput(data).data)) == data


def test_the_export_costs_the_same_queries_for_a_short_or_long_history(therapist: Any) -> None:
    short, long = (factories.PatientFactory(therapist=therapist) for _ in range(2))
    a_history(short, sessions=1)
    a_history(long, sessions=12)
    counts = []
    for patient in (short, long):
        with CaptureQueriesContext(connection) as context:
            patient_export(patient, now=timezone.now())
        counts.append(len(context))
    assert counts[0] == counts[1]


def test_the_csv_zip_has_a_file_per_table_and_defuses_spreadsheet_formulas(
    patient: Any,
) -> None:
    a_history(patient)
    archive = zipfile.ZipFile(
        io.BytesIO(export_csv_zip(patient_export(patient, now=timezone.now())))
    )
    names = set(archive.namelist())
    assert {"patient.csv", "session_logs.csv", "exercise_entries.csv", "check_ins.csv"} <= names
    assert {"questionnaire_responses.csv", "flags.csv", "programme_revisions.csv"} <= names

    rows = list(csv.DictReader(io.StringIO(archive.read("exercise_entries.csv").decode())))
    assert len(rows) == 2
    assert rows[0]["load"] == "'=HYPERLINK(x)"  # never a live formula
    revisions = list(csv.DictReader(io.StringIO(archive.read("programme_revisions.csv").decode())))
    assert [r["number"] for r in revisions] == ["1", "2"]


def test_an_empty_history_still_exports_a_header_in_every_file(patient: Any) -> None:
    archive = zipfile.ZipFile(
        io.BytesIO(export_csv_zip(patient_export(patient, now=timezone.now())))
    )
    for name in archive.namelist():
        if name.endswith(".csv"):
            assert archive.read(name).decode().splitlines()[0]


def _exports_logged(patient: Any) -> list[str]:
    return [
        e.additional_data["access"]
        for e in LogEntry.objects.get_for_object(patient).filter(action=LogEntry.Action.ACCESS)
    ]


def test_a_patient_downloads_their_own_data_on_the_web(patient: Any) -> None:
    a_history(patient)
    client = Client()
    client.force_login(patient.user)

    page = client.get(reverse("my_data"))
    assert page.status_code == 200
    assert reverse("my_data_json") in page.content.decode()
    as_json = client.get(reverse("my_data_json"))
    as_zip = client.get(reverse("my_data_zip"))

    assert as_json["Content-Type"] == "application/json"
    assert "attachment" in as_json["Content-Disposition"]
    assert json.loads(as_json.content)["patient"]["id"] == str(patient.pk)
    assert as_zip["Content-Type"] == "application/zip"
    assert zipfile.ZipFile(io.BytesIO(as_zip.content)).testzip() is None
    assert sorted(_exports_logged(patient)) == ["export:json", "export:zip"]


def test_a_therapist_exports_their_own_patient_only(patient: Any, colleague: Any) -> None:
    a_history(patient)
    mine = Client()
    factories.sign_in(mine, patient.therapist.user)
    theirs = Client()
    factories.sign_in(theirs, colleague.user)

    assert mine.get(reverse("patient_export_json", args=[patient.pk])).status_code == 200
    assert theirs.get(reverse("patient_export_json", args=[patient.pk])).status_code == 404
    assert theirs.get(reverse("patient_export_zip", args=[patient.pk])).status_code == 404
    (entry,) = LogEntry.objects.get_for_object(patient).filter(action=LogEntry.Action.ACCESS)
    assert entry.actor == patient.therapist.user
    assert entry.additional_data == {"access": "export:json"}


def test_the_api_exports_for_the_patient_and_their_therapist(patient: Any, colleague: Any) -> None:
    a_history(patient)
    me = api_client_for(patient.user)
    therapist = api_client_for(patient.therapist.user)
    stranger = api_client_for(colleague.user)

    own = me.get("/api/v1/me/export/")
    assert own.status_code == 200
    assert len(own.json()["session_logs"]) == 3
    own_zip = me.get("/api/v1/me/export/csv/", HTTP_ACCEPT="application/zip")
    assert own_zip.status_code == 200
    assert own_zip["Content-Type"] == "application/zip"
    assert therapist.get(f"/api/v1/patients/{patient.pk}/export/").status_code == 200
    assert therapist.get(f"/api/v1/patients/{patient.pk}/export/csv/").status_code == 200
    assert stranger.get(f"/api/v1/patients/{patient.pk}/export/").status_code == 404
    assert me.get(f"/api/v1/patients/{patient.pk}/export/").status_code == 404
    assert therapist.get("/api/v1/me/export/").status_code == 403
    assert APIClient().get("/api/v1/me/export/").status_code == 401
    assert sorted(_exports_logged(patient)) == sorted(
        ["export:json", "export:zip", "export:json", "export:zip"]
    )


def test_the_api_sends_the_zip_as_octet_stream_to_a_client_that_asks_only_for_that(
    patient: Any,
) -> None:
    a_history(patient)
    me = api_client_for(patient.user)

    as_file = me.get("/api/v1/me/export/csv/", HTTP_ACCEPT="application/octet-stream")
    assert as_file.status_code == 200
    assert as_file["Content-Type"] == "application/octet-stream"
    assert "session_logs.csv" in zipfile.ZipFile(io.BytesIO(as_file.content)).namelist()
    plain = me.get("/api/v1/me/export/csv/")
    assert plain["Content-Type"] == "application/zip"
    therapist = api_client_for(patient.therapist.user)
    theirs = therapist.get(
        f"/api/v1/patients/{patient.pk}/export/csv/", HTTP_ACCEPT="application/octet-stream"
    )
    assert theirs["Content-Type"] == "application/octet-stream"


# --- Anonymisation ------------------------------------------------------------------------


def counts(patient: Any) -> tuple[int, ...]:
    return tuple(
        model.objects.filter(patient=patient).count()
        for model in (SessionLog, CheckIn, QuestionnaireResponse, Flag)
    )


@pytest.fixture
def staff(db: None) -> Any:
    user = factories.UserFactory(is_staff=True)
    user.user_permissions.add(
        Permission.objects.get(codename="anonymise_patient"),
        Permission.objects.get(codename="view_patient"),
        Permission.objects.get(codename="change_patient"),
    )
    return user


def test_anonymising_removes_identity_and_free_text_and_keeps_the_history(
    patient: Any, staff: Any
) -> None:
    programme = a_history(patient)
    user = patient.user
    private = [user.first_name, user.last_name, user.username, user.email]
    AuthToken.objects.create(user)
    factories.give_authenticator(user)  # two-step sign-in on
    factories.give_recovery_codes(user)
    PushSubscription.objects.create(
        user=user, endpoint="https://fcm.googleapis.com/fcm/send/x", p256dh="k", auth="a"
    )
    register_device(patient=patient, platform="fcm", token="t" * 40, now=timezone.now())
    Notification.objects.create(
        user=patient.therapist.user, kind="red_flag", title=f"Urgent: {user.get_full_name()}"
    )
    before = counts(patient)

    anonymise_patient(patient=patient, by=staff, reason="Request ref 2026-113", now=timezone.now())

    patient.refresh_from_db()
    user.refresh_from_db()
    assert patient.anonymised_at is not None
    assert (user.first_name, user.last_name, user.email) == ("", "", "")
    assert user.username.startswith("anonymised-")
    assert not user.is_active
    assert not user.has_usable_password()
    assert patient.date_of_birth is None
    assert counts(patient) == before  # the clinical history stays
    assert SessionLog.objects.get(patient=patient, status="skipped").skip_reason == REMOVED
    assert {r.reason for r in ProgrammeRevision.objects.filter(programme=programme)} == {REMOVED}
    assert Flag.objects.get(patient=patient, kind="red_flag").resolution_note == REMOVED
    assert not AuthToken.objects.filter(user=user).exists()
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not StaticDevice.objects.filter(user=user).exists()
    assert not Notification.objects.filter(user=user).exists()
    assert not PushSubscription.objects.filter(user=user).exists()  # no more pushes to them
    assert not Device.objects.filter(patient=patient).exists()
    assert (patient.email_reminders, patient.push_reminders, patient.mobile_reminders) == (
        False,
        False,
        False,
    )

    everything = json.dumps(patient_export(patient, now=timezone.now()))
    audit = str(list(LogEntry.objects.values()))
    therapist_inbox = str(list(Notification.objects.values("title", "body")))
    for text in private:
        assert text not in everything
        assert text not in audit
        assert text not in therapist_inbox
    (entry,) = LogEntry.objects.get_for_object(patient).filter(action=LogEntry.Action.ACCESS)
    assert entry.additional_data["access"] == "anonymised"
    assert entry.additional_data["reason"] == "Request ref 2026-113"


def test_an_anonymised_patient_can_no_longer_sign_in(patient: Any, staff: Any) -> None:
    anonymise_patient(patient=patient, by=staff, reason="request", now=timezone.now())
    client = APIClient()
    response = client.post(
        "/api/v1/auth/login/",
        {"username": patient.user.username, "password": factories.PASSWORD},
        format="json",
    )
    assert response.status_code == 400


@pytest.mark.parametrize(("reason", "code"), [("", "invalid"), ("  ", "invalid")])
def test_anonymising_needs_a_reason(patient: Any, staff: Any, reason: str, code: str) -> None:
    with pytest.raises(DomainError) as error:
        anonymise_patient(patient=patient, by=staff, reason=reason, now=timezone.now())
    assert error.value.code == code
    patient.refresh_from_db()
    assert patient.anonymised_at is None


def test_anonymising_twice_is_refused(patient: Any, staff: Any) -> None:
    anonymise_patient(patient=patient, by=staff, reason="request", now=timezone.now())
    with pytest.raises(DomainError) as error:
        anonymise_patient(patient=patient, by=staff, reason="again", now=timezone.now())
    assert error.value.code == "already_anonymised"


def test_an_admin_anonymises_through_a_confirmation_page(patient: Any, staff: Any) -> None:
    client = Client()
    factories.sign_in(client, staff)
    changelist = reverse("admin:patients_patient_changelist")
    selected = {"action": "anonymise", "_selected_action": [str(patient.pk)]}

    confirm = client.post(changelist, selected)
    assert confirm.status_code == 200
    assert "cannot be undone" in confirm.content.decode()
    patient.refresh_from_db()
    assert patient.anonymised_at is None  # nothing yet

    no_reason = client.post(changelist, {**selected, "confirm": "yes", "reason": ""})
    assert no_reason.status_code == 200  # the page again, with the error
    done = client.post(changelist, {**selected, "confirm": "yes", "reason": "Ref 42"})
    assert done.status_code == 302
    patient.refresh_from_db()
    assert patient.anonymised_at is not None


def test_staff_without_the_permission_are_not_offered_the_action(patient: Any) -> None:
    user = factories.UserFactory(is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_patient"))
    client = Client()
    factories.sign_in(client, user)
    client.post(
        reverse("admin:patients_patient_changelist"),
        {
            "action": "anonymise",
            "_selected_action": [str(patient.pk)],
            "confirm": "yes",
            "reason": "x",
        },
    )
    patient.refresh_from_db()
    assert patient.anonymised_at is None


def test_the_command_anonymises_and_refuses_bad_input_with_status_2(patient: Any) -> None:
    out = io.StringIO()
    call_command("anonymise_patient", str(patient.pk), reason="ref 7", stdout=out)
    assert "Anonymised" in out.getvalue()
    for bad in ("not-a-uuid", str(uuid.uuid4()), str(patient.pk)):
        with pytest.raises(CommandError) as error:
            call_command("anonymise_patient", bad, reason="ref 8")
        assert error.value.returncode == 2
