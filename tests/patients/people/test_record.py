"""The patient's record in one place (issue 17, requirement 5): a phone number with a tap-to-call
link, the diagnosis and every intake answer with the notes, session logs a week at a time, and
nothing of it for the patient."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from patients.activity.services import ExerciseDone, record_session
from patients.models import Patient
from patients.models.people import tel_href, validate_phone
from patients.people.services import update_contact
from patients.privacy.services import anonymise_patient, export_csv_zip, patient_export
from patients.schedule import local_today
from programmes.forms import intake_answers
from tests import factories
from tests.factories import NOW, api_client_for, web_client_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock(frozen_clock: Any) -> None:
    """At NOW, week 3 of the cast's programmes."""


# --- The phone number ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phone", "href"),
    [
        ("+44 7700 900123", "tel:+447700900123"),
        ("07700 900123", "tel:07700900123"),
        ("(202) 555-0143", "tel:2025550143"),
        ("1234567", "tel:1234567"),
    ],
)
def test_a_phone_number_as_people_write_it_is_accepted_and_dialled_as_digits(
    phone: str, href: str
) -> None:
    validate_phone(phone)
    assert tel_href(phone) == href


@pytest.mark.parametrize(
    "phone",
    ["123456", "+44 7700 900123 ext 4", "call me", "+44 7700 900 123 456 78", "++447700900123"],
)
def test_a_phone_number_that_is_not_one_is_refused(phone: str) -> None:
    with pytest.raises(ValidationError):
        validate_phone(phone)


def test_the_patient_page_links_the_phone_to_call_and_the_email_to_write(
    patient: Any, programme: Any
) -> None:
    patient.phone = "+44 7700 900123"
    patient.save()
    page = web_client_for(patient.therapist.user).get(reverse("patient_detail", args=[patient.pk]))
    html = page.content.decode()
    assert '<a href="tel:+447700900123">+44 7700 900123</a>' in html
    assert f'href="mailto:{patient.user.email}"' in html


def test_the_therapist_corrects_the_phone_and_email_on_the_patient_page(patient: Any) -> None:
    client = web_client_for(patient.therapist.user)
    url = reverse("patient_contact", args=[patient.pk])

    response = client.post(url, {"phone": "07700 900456", "email": "new@example.com"})

    assert response.status_code == 302
    patient.refresh_from_db()
    assert (patient.phone, patient.user.email) == ("07700 900456", "new@example.com")


def test_bad_contact_details_are_shown_beside_the_fields_and_nothing_is_saved(
    patient: Any,
) -> None:
    client = web_client_for(patient.therapist.user)
    response = client.post(
        reverse("patient_contact", args=[patient.pk]), {"phone": "call me", "email": "nope"}
    )
    assert response.status_code == 400
    form = response.context["contact_form"]
    assert set(form.errors) == {"phone", "email"}  # both at once
    assert '<details id="contact" open>' in response.content.decode()
    patient.refresh_from_db()
    assert patient.phone == ""


def test_only_the_patients_own_therapist_changes_the_contact_details(
    patient: Any, colleague: Any
) -> None:
    response = web_client_for(colleague.user).post(
        reverse("patient_contact", args=[patient.pk]), {"phone": "07700 900456", "email": ""}
    )
    assert response.status_code == 404
    with pytest.raises(Exception, match="Only the patient's therapist"):
        update_contact(patient=patient, by=colleague.user, phone="07700 900456", email="")
    patient.refresh_from_db()
    assert patient.phone == ""


def test_a_new_patient_can_be_given_a_phone_number_on_the_web(therapist: Any) -> None:
    response = web_client_for(therapist.user).post(
        reverse("patient_create"),
        {
            "first_name": "Tom",
            "last_name": "Okafor",
            "username": "tom.okafor",
            "email": "",
            "phone": "+44 7700 900999",
            "time_zone": "Europe/London",
            "setup": "password",
            "password": "a-strong-passphrase-26",
        },
    )
    assert response.status_code == 302
    assert Patient.objects.get(user__username="tom.okafor").phone == "+44 7700 900999"


def test_the_api_takes_and_returns_the_phone_and_refuses_a_bad_one(therapist: Any) -> None:
    client = api_client_for(therapist.user)
    created = client.post("/api/v1/caseload/", {"username": "sam.heel", "phone": "+1 202 555 0143"})
    assert created.status_code == 201
    assert created.json()["phone"] == "+1 202 555 0143"
    detail = client.get(f"/api/v1/patients/{created.json()['id']}/").json()
    assert detail["phone"] == "+1 202 555 0143"

    bad = client.post("/api/v1/caseload/", {"username": "sam.two", "phone": "call me"})
    assert bad.status_code == 400
    assert "phone" in bad.json()["fields"]


def test_the_export_holds_the_phone_and_anonymising_wipes_it(patient: Any) -> None:
    patient.phone = "+44 7700 900123"
    patient.save()
    data = patient_export(patient, now=NOW)
    assert data["patient"]["phone"] == "+44 7700 900123"
    assert b"+44 7700 900123" in _unzipped(export_csv_zip(data))

    staff = factories.UserFactory(is_staff=True)
    anonymise_patient(patient=patient, by=staff, reason="Request ref 17", now=NOW)

    patient.refresh_from_db()
    assert patient.phone == ""
    assert patient_export(patient, now=NOW)["patient"]["phone"] == ""


def test_the_audit_trail_never_holds_the_phone_number(patient: Any) -> None:
    from auditlog.models import LogEntry

    update_contact(patient=patient, by=patient.therapist.user, phone="+44 7700 900123", email="")
    entries = LogEntry.objects.filter(object_pk=str(patient.pk))
    assert any("phone" in (entry.changes or {}) for entry in entries)
    assert "7700" not in str(list(LogEntry.objects.values()))


def _unzipped(blob: bytes) -> bytes:
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        return b"".join(archive.read(name) for name in archive.namelist())


# --- Diagnosis and intake -----------------------------------------------------------------


def test_every_intake_answer_is_in_the_words_of_the_form() -> None:
    intake = {
        "condition": "achilles_midportion",
        "side": "right",
        "onset": "chronic",
        "irritability": "moderate",
        "activity": "jumping_sport",
        "age": 46,
        "swelling": "unknown",
        "recent_injury": "no",
        "comorbidities": ["diabetes"],
        "red_flags": [],
        "able_to_bear_weight": True,
        "protocol": None,
        "thompson": None,
    }
    answers = dict(intake_answers(intake))
    assert answers["Diagnosis"] == "Achilles tendinopathy, mid-portion"
    assert answers["Activity"] == "Jumping sport"
    assert answers["Swelling"] == "Not known"
    assert answers["Medical history and medicines"] == "Diabetes"
    assert answers["Cannot bear weight"] == "No"
    assert answers["Protocol"] == "Default for the diagnosis"
    assert answers["Thompson (calf-squeeze) test"] == "Not recorded"
    assert answers["Red flags present"] == "None"
    assert answers["Age (years)"] == "46"
    # Every question of the intake form, never a slug as a question.
    assert len(answers) == 20
    assert not any("_" in question for question in answers)


def test_the_patient_page_shows_the_diagnosis_intake_and_notes(patient: Any) -> None:
    programme = factories.prescribe(patient)
    programme.diagnosis.notes = "Keen to return to parkrun <b>soon</b>"
    programme.diagnosis.save()
    page = web_client_for(patient.therapist.user).get(reverse("patient_detail", args=[patient.pk]))
    html = page.content.decode()
    assert 'id="intake"' in html
    assert "Diagnosis and intake" in html
    assert "Keen to return to parkrun &lt;b&gt;soon&lt;/b&gt;" in html
    assert "<dt>Swelling</dt><dd>No</dd>" in html
    assert "achilles_midportion" not in html


def test_a_patient_never_sees_the_intake_card_or_its_notes(patient: Any) -> None:
    programme = factories.prescribe(patient)
    programme.diagnosis.notes = "Clinician only: query fluoroquinolone history"
    programme.diagnosis.save()
    client = web_client_for(patient.user)
    assert client.get(reverse("patient_detail", args=[patient.pk])).status_code == 404
    for name in ("today", "progress", "my_data", "check_in", "questionnaires"):
        page = client.get(reverse(name))
        assert page.status_code == 200, name
        assert "Clinician only" not in page.content.decode(), name
        assert "Diagnosis and intake" not in page.content.decode(), name
        assert "/references/" not in page.content.decode(), name  # clinicians' sources


# --- Session logs, a week at a time --------------------------------------------------------


def _log(patient: Any, days_ago: int) -> None:
    day = local_today(patient, timezone.now()) - timedelta(days=days_ago)
    item = factories.current_items(patient.programmes.get())[0]
    record_session(
        patient=patient,
        client_uuid=uuid.uuid4(),
        local_date=day,
        slot=1,
        logged_at=timezone.now(),
        exercises=[ExerciseDone(item_key=item.key, sets_done=3, pain_during_nrs=2)],
        pain_after_nrs=2,
        now=timezone.now(),
    )


def test_session_logs_show_the_last_seven_days_then_more_on_request(
    patient: Any, programme: Any
) -> None:
    _log(patient, days_ago=2)
    _log(patient, days_ago=10)
    client = web_client_for(patient.therapist.user)
    url = reverse("patient_detail", args=[patient.pk])

    first = client.get(url)
    assert [log.local_date for log in first.context["sessions"].logs] == [
        local_today(patient, NOW) - timedelta(days=2)
    ]
    assert 'href="?days=14#sessions"' in first.content.decode()

    more = client.get(url, {"days": "14"})
    assert len(more.context["sessions"].logs) == 2
    assert not more.context["sessions"].has_older
    assert "?days=21" not in more.content.decode()


@pytest.mark.parametrize(("days", "shown"), [("abc", 7), ("-5", 1), ("999999", 3660)])
def test_a_strange_days_value_is_clamped_or_ignored(
    patient: Any, programme: Any, days: str, shown: int
) -> None:
    client = web_client_for(patient.therapist.user)
    response = client.get(reverse("patient_detail", args=[patient.pk]), {"days": days})
    assert response.status_code == 200
    assert response.context["sessions"].days == shown
