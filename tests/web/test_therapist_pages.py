"""Therapist pages: the caseload, adding a patient, the patient page and acting on flags."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from patients.activity.services import record_check_in
from patients.models import Flag, Patient
from programmes.models import RedFlag
from tests import factories
from tests.factories import NOW, STARTED

pytestmark = pytest.mark.django_db


def red_flag(patient: Any) -> Flag:
    import uuid

    record_check_in(
        patient=patient,
        client_uuid=uuid.uuid4(),
        local_date=NOW.date(),
        morning_pain_nrs=6,
        stiffness_minutes=30,
        red_flags=["sudden_pop"],
        logged_at=NOW,
        now=NOW,
    )
    return Flag.objects.get(patient=patient, kind=Flag.Kind.RED_FLAG)


# --- Caseload -----------------------------------------------------------------------------


def test_caseload_lists_own_patients_with_condition_week_phase_and_flags(
    therapist_client: Client, programme: Any, patient: Any, stranger: Any
) -> None:
    red_flag(patient)
    page = therapist_client.get(reverse("caseload")).content.decode()
    assert str(patient) in page
    assert "Achilles tendinopathy, mid-portion (right)" in page
    assert "Week 3" in page
    assert "6/10" in page  # latest morning pain
    assert "Urgent" in page
    assert "Red flag" in page
    assert str(stranger) not in page


def test_caseload_offers_to_prescribe_for_a_patient_without_programme(
    therapist_client: Client, patient: Any
) -> None:
    page = therapist_client.get(reverse("caseload")).content.decode()
    assert f"{reverse('programme_new')}?patient={patient.pk}" in page


# --- New patient --------------------------------------------------------------------------


def _new_patient(**overrides: Any) -> dict[str, Any]:
    return {
        "first_name": "Robin",
        "last_name": "Hale",
        "username": "robin.hale",
        "email": "robin@example.org",
        "date_of_birth": "1979-04-01",
        "time_zone": "Europe/Dublin",
        "setup": "password",
        "password": "a-long-first-password",
    } | overrides


def test_a_therapist_creates_a_patient_with_a_first_password(
    therapist_client: Client, therapist: Any
) -> None:
    response = therapist_client.post(reverse("patient_create"), _new_patient())
    patient = Patient.objects.get(user__username="robin.hale")
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('programme_new')}?patient={patient.pk}"
    assert patient.therapist == therapist
    assert patient.time_zone == "Europe/Dublin"
    assert patient.user.check_password("a-long-first-password")


def test_a_therapist_creates_a_patient_with_an_invitation_link_that_sets_the_password(
    therapist_client: Client,
) -> None:
    therapist_client.post(reverse("patient_create"), _new_patient(setup="invite", password=""))
    user = get_user_model().objects.get(username="robin.hale")
    assert not user.has_usable_password()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["robin@example.org"]
    link = next(w for w in mail.outbox[0].body.split() if "/accounts/reset/" in w)
    path = link.split("testserver", 1)[1]
    anonymous = Client()
    form_page = anonymous.get(path, follow=True)
    assert b"Choose a password" in form_page.content
    anonymous.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "my-own-new-password", "new_password2": "my-own-new-password"},
    )
    user.refresh_from_db()
    assert user.check_password("my-own-new-password")


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"setup": "password", "password": ""}, "password", "Enter a first password"),
        ({"setup": "invite", "email": ""}, "email", "needs the patient&#x27;s e-mail"),
        ({"password": "123"}, "password", "too short"),
        ({"password": "robin.hale1"}, "password", "too similar to the username"),
        ({"time_zone": "Mars/Olympus"}, "time_zone", "Select a valid choice"),
        ({"email": "not-an-address"}, "email", "valid email"),
    ],
)
def test_patient_form_shows_bad_input_beside_the_field_and_keeps_it(
    therapist_client: Client, overrides: dict[str, Any], field: str, message: str
) -> None:
    response = therapist_client.post(reverse("patient_create"), _new_patient(**overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert field in response.context["form"].errors
    assert b'value="Robin"' in response.content
    assert not Patient.objects.filter(user__username="robin.hale").exists()


def test_a_taken_username_is_refused_beside_the_field(
    therapist_client: Client, patient: Any
) -> None:
    data = _new_patient(username=patient.user.username)
    response = therapist_client.post(reverse("patient_create"), data)
    assert response.status_code == 200
    assert "username" in response.context["form"].errors


# --- Patient detail -----------------------------------------------------------------------


def test_patient_page_shows_logs_pain_scores_and_flags(
    therapist_client: Client, programme: Any, patient: Any
) -> None:
    red_flag(patient)
    page = therapist_client.get(reverse("patient_detail", args=[patient.pk])).content.decode()
    assert "Session logs" in page
    assert "Morning check-ins" in page
    assert "Questionnaire scores" in page
    # Walk-through 13: the check-in shows the question answered "yes", never the slug.
    assert escape(RedFlag.objects.get(slug="sudden_pop").question) in page
    assert "Yes:</strong> sudden_pop" not in page
    assert 'role="img"' in page
    assert "Pain by week" in page
    assert reverse("programme_adjust", args=[programme.pk]) in page


def test_the_patient_page_says_the_programme_is_paused_until_the_flag_is_resolved(
    therapist_client: Client, programme: Any, patient: Any
) -> None:
    """F3: the therapist sees why Today offers nothing, and that resolving restarts it."""
    url = reverse("patient_detail", args=[patient.pk])
    assert "Paused since" not in therapist_client.get(url).content.decode()
    flag = red_flag(patient)
    page = therapist_client.get(url).content.decode()
    assert "Paused since" in page
    assert "until you resolve" in page
    flag.status = Flag.Status.RESOLVED
    flag.save()
    assert "Paused since" not in therapist_client.get(url).content.decode()


def test_patient_page_of_another_therapists_patient_is_404(
    therapist_client: Client, stranger: Any
) -> None:
    assert therapist_client.get(reverse("patient_detail", args=[stranger.pk])).status_code == 404


def test_a_fresh_invitation_can_be_sent_from_the_patient_page(
    therapist_client: Client, patient: Any
) -> None:
    response = therapist_client.post(reverse("patient_invite", args=[patient.pk]))
    assert response.status_code == 302
    assert mail.outbox[0].to == [patient.user.email]


# --- Flags --------------------------------------------------------------------------------


def test_a_therapist_acknowledges_then_resolves_a_flag_with_a_note(
    therapist_client: Client, programme: Any, patient: Any, therapist: Any
) -> None:
    flag = red_flag(patient)
    therapist_client.post(reverse("flag_acknowledge", args=[flag.pk]))
    flag.refresh_from_db()
    assert flag.status == Flag.Status.ACKNOWLEDGED
    response = therapist_client.post(
        reverse("flag_resolve", args=[flag.pk]), {"note": "Phoned; seen in clinic today."}
    )
    assert response.status_code == 302
    flag.refresh_from_db()
    assert flag.status == Flag.Status.RESOLVED
    assert flag.resolved_by == therapist.user
    assert flag.resolution_note == "Phoned; seen in clinic today."


def test_resolving_over_htmx_swaps_only_the_flag_card(
    therapist_client: Client, programme: Any, patient: Any
) -> None:
    flag = red_flag(patient)
    response = therapist_client.post(
        reverse("flag_resolve", args=[flag.pk]), {"note": "Seen today."}, HTTP_HX_REQUEST="true"
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert page.lstrip().startswith("<article")
    assert "Resolved by" in page


def test_resolving_without_a_note_asks_for_one_beside_the_field(
    therapist_client: Client, programme: Any, patient: Any
) -> None:
    flag = red_flag(patient)
    response = therapist_client.post(reverse("flag_resolve", args=[flag.pk]), {"note": " "})
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    flag.refresh_from_db()
    assert flag.status == Flag.Status.OPEN


@pytest.mark.parametrize("action", ["flag_acknowledge", "flag_resolve", "flag_accept"])
def test_flags_of_another_therapists_patient_are_404(
    colleague_client: Client, patient_client: Client, programme: Any, patient: Any, action: str
) -> None:
    flag = red_flag(patient)
    url = reverse(action, args=[flag.pk])
    assert colleague_client.post(url, {"note": "x"}).status_code == 404
    assert patient_client.post(url, {"note": "x"}).status_code == 404
    flag.refresh_from_db()
    assert flag.status == Flag.Status.OPEN


def test_accepting_a_ready_to_progress_flag_moves_to_the_next_phase(
    therapist_client: Client, programme: Any, patient: Any
) -> None:
    flag = Flag.objects.create(
        patient=patient,
        programme=programme,
        rule="ready_to_progress",
        episode="2026-W46",
        kind=Flag.Kind.READY_TO_PROGRESS,
        severity=Flag.Severity.INFO,
        message="A week in the safe zone.",
    )
    therapist_client.post(reverse("flag_accept", args=[flag.pk]))
    programme.refresh_from_db()
    assert programme.current_revision.current_phase == 2


def _flagged_patients(therapist: Any, count: int) -> None:
    for n in range(count):
        patient = factories.PatientFactory(therapist=therapist)
        factories.prescribe(patient, started_on=STARTED)
        for kind, severity in (("step_back", 2), ("step_back", 2), ("red_flag", 3)):
            Flag.objects.create(
                patient=patient,
                programme=patient.programmes.get(),
                rule=f"{kind}:{n}:{severity}:{uuid.uuid4()}",
                episode="e",
                kind=kind,
                severity=severity,
                message="m",
                evidence={"noted": n},
            )


def test_the_caseload_page_costs_the_same_queries_for_one_flagged_patient_or_ten(
    therapist_client: Client, therapist: Any, django_assert_num_queries: Any
) -> None:
    """The caseload reads only the flag fields its rows show and group by (issue 14): a field
    read from a caseload flag beyond those would cost a query per flag and fail this."""
    _flagged_patients(therapist, 1)
    therapist_client.get(reverse("caseload"))  # warm the compiled statement and the session
    with CaptureQueriesContext(connection) as one:
        page = therapist_client.get(reverse("caseload")).content.decode()
    assert page.count("findings") == 1  # the two step backs shown as one card
    _flagged_patients(therapist, 9)
    with django_assert_num_queries(len(one)):
        page = therapist_client.get(reverse("caseload")).content.decode()
    assert page.count("findings") == 10
