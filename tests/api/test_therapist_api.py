"""The therapist's endpoints: caseload, patient detail, prescribing, adjusting, flags; and
Idempotency-Key on those POSTs."""

from __future__ import annotations

import threading
import uuid
from datetime import date
from typing import Any

import pytest
from django.db import connection

from patients.models import Flag, Patient
from patients.monitoring.forms import ApplySuggestionForm
from patients.monitoring.selectors import flag_group, suggested_regression
from patients.monitoring.services import default_step_back_reason, notify_flag
from patients.people.forms import ContactForm
from programmes.models import Programme, ProgrammeRevision
from rehab.models import IdempotencyKey
from tests import factories
from tests.factories import api_client_for, current_items

INTAKE = {
    "condition": "achilles_midportion",
    "side": "right",
    "swelling": "no",
    "recent_injury": "no",
    "age": 40,
}


# --- Caseload and patients ----------------------------------------------------------------


def test_the_caseload_lists_my_patients_only(
    as_therapist: Any, patient: Any, programme: Any, stranger: Any
) -> None:
    factories.make_flag(patient, severity=Flag.Severity.URGENT)
    body = as_therapist.get("/api/v1/caseload/").json()
    assert [row["patient"]["id"] for row in body["results"]] == [str(patient.pk)]
    row = body["results"][0]
    assert row["week"] == 3  # NOW is day 19 of a programme started on STARTED
    assert row["open_flags"][0]["severity"] == 3


def test_a_patient_cannot_read_the_caseload(as_patient: Any) -> None:
    response = as_patient.get("/api/v1/caseload/")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_patient_detail_has_trends_sessions_and_flags(
    as_therapist: Any, patient: Any, programme: Any
) -> None:
    factories.make_flag(patient)
    body = as_therapist.get(f"/api/v1/patients/{patient.pk}/").json()
    assert body["programme"] == str(programme.pk)
    assert body["progress"]["weeks"][0]["week"] == 1
    assert len(body["open_flags"]) == 1


def test_a_therapist_corrects_the_phone_number_as_on_the_web(
    as_therapist: Any, patient: Any
) -> None:
    patient.user.email = "pat@example.org"
    patient.user.save()
    response = as_therapist.patch(
        f"/api/v1/patients/{patient.pk}/", {"phone": " +44 7700 900123 "}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["phone"], response.json()["email"]) == (
        "+44 7700 900123",
        "pat@example.org",
    )  # stripped as the web form does; the e-mail, not sent, is kept
    patient.refresh_from_db()
    assert patient.phone == "+44 7700 900123"

    cleared = as_therapist.patch(f"/api/v1/patients/{patient.pk}/", {"phone": ""}, format="json")
    assert cleared.json()["phone"] == ""


@pytest.mark.parametrize("phone", ["call me", "12 34", "+44 7700 900123 ext 42"])
def test_a_bad_phone_number_is_a_400_with_the_web_forms_message(
    as_therapist: Any, patient: Any, phone: str
) -> None:
    response = as_therapist.patch(
        f"/api/v1/patients/{patient.pk}/", {"phone": phone}, format="json"
    )
    assert response.status_code == 400
    web_form = ContactForm({"phone": phone, "email": ""})
    assert not web_form.is_valid()
    assert response.json()["fields"]["phone"] == web_form.errors["phone"]
    patient.refresh_from_db()
    assert patient.phone == ""


def test_only_the_patients_therapist_changes_their_phone(
    as_colleague: Any, as_patient: Any, patient: Any
) -> None:
    body = {"phone": "+44 7700 900123"}
    assert (
        as_colleague.patch(f"/api/v1/patients/{patient.pk}/", body, format="json").status_code
        == 404
    )
    assert (
        as_patient.patch(f"/api/v1/patients/{patient.pk}/", body, format="json").status_code == 404
    )
    patient.refresh_from_db()
    assert patient.phone == ""


def test_a_therapist_adds_a_patient(as_therapist: Any, therapist: Any) -> None:
    response = as_therapist.post(
        "/api/v1/caseload/", {"username": "sam.heel", "time_zone": "Europe/Paris"}
    )
    assert response.status_code == 201
    assert Patient.objects.get(user__username="sam.heel").therapist == therapist
    bad = as_therapist.post("/api/v1/caseload/", {"username": "x", "time_zone": "Nowhere"})
    assert bad.status_code == 400
    assert "time_zone" in bad.json()["fields"]


@pytest.mark.parametrize("password", ["1", "12345678", "password", "sam.heel"])
def test_the_api_refuses_a_weak_first_password_as_the_web_form_does(
    as_therapist: Any, password: str
) -> None:
    """One password policy (Django's validators, in the service) for web and API."""
    response = as_therapist.post(
        "/api/v1/caseload/",
        {"username": "sam.heel", "first_name": "Sam", "password": password},
    )
    assert response.status_code == 400
    assert "password" in response.json()["fields"]
    assert not Patient.objects.filter(user__username="sam.heel").exists()


def test_the_api_accepts_a_strong_first_password(as_therapist: Any) -> None:
    response = as_therapist.post(
        "/api/v1/caseload/", {"username": "sam.heel", "password": "calf-raise-ladder-42"}
    )
    assert response.status_code == 201
    assert Patient.objects.get(user__username="sam.heel").user.check_password(
        "calf-raise-ladder-42"
    )


# --- Prescribing --------------------------------------------------------------------------


def test_preview_returns_the_plan_and_stores_nothing(as_therapist: Any) -> None:
    response = as_therapist.post("/api/v1/plan-preview/", INTAKE)
    assert response.status_code == 200
    assert response.json()["status"] == "programme"
    assert response.json()["phases"]
    assert not Programme.objects.exists()


def test_preview_explains_a_referral(as_therapist: Any) -> None:
    body = as_therapist.post(
        "/api/v1/plan-preview/", INTAKE | {"able_to_bear_weight": False}
    ).json()
    assert body["status"] == "referral"
    assert body["referral"]["reasons"]


@pytest.mark.parametrize(
    ("intake", "field"),
    [
        ({"condition": "gout"}, "condition"),
        (INTAKE | {"side": "up"}, "side"),
        (INTAKE | {"age": -1}, "age"),
        (INTAKE | {"red_flags": ["itchy"]}, "red_flags"),
        ({}, "condition"),
        # F1: swelling and recent injury are required yes / no / unknown answers.
        ({"condition": "ankle_oa", "side": "left", "age": 40}, "swelling"),
        ({"condition": "ankle_oa", "side": "left", "age": 40}, "recent_injury"),
        (INTAKE | {"swelling": True}, "swelling"),
        ({k: v for k, v in INTAKE.items() if k != "age"}, "age"),  # F33
        # Requirement 6 (F32): the screens the condition needs are required answers.
        (INTAKE | {"condition": "ankle_sprain"}, "ottawa"),
        (INTAKE | {"condition": "calf_strain", "ottawa": "negative"}, "thompson"),
        (INTAKE | {"condition": "sciatica_referred"}, "cauda_equina"),
        (INTAKE | {"comorbidities": ["gout"]}, "comorbidities.0"),
    ],
)
def test_a_bad_intake_is_a_400_naming_the_field(
    as_therapist: Any, intake: dict, field: str
) -> None:
    response = as_therapist.post("/api/v1/plan-preview/", intake)
    assert response.status_code == 400
    assert field in response.json()["fields"]


def test_a_patient_cannot_preview_plans(as_patient: Any) -> None:
    assert as_patient.post("/api/v1/plan-preview/", INTAKE).status_code == 403


def test_prescribing_creates_the_programme(as_therapist: Any, patient: Any) -> None:
    response = as_therapist.post(
        f"/api/v1/patients/{patient.pk}/programmes/",
        {"intake": INTAKE, "started_on": "2026-11-16"},
    )
    assert response.status_code == 201
    programme = Programme.objects.get(patient=patient)
    assert response.json()["id"] == str(programme.pk)
    assert programme.started_on == date(2026, 11, 16)
    again = as_therapist.post(f"/api/v1/patients/{patient.pk}/programmes/", {"intake": INTAKE})
    assert again.status_code == 400
    assert again.json()["code"] == "active_programme_exists"


def test_prescribing_refuses_a_referral(as_therapist: Any, patient: Any) -> None:
    response = as_therapist.post(
        f"/api/v1/patients/{patient.pk}/programmes/",
        {"intake": INTAKE | {"red_flags": ["sudden_pop"]}},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "referral"
    assert not Programme.objects.exists()


def test_prescribing_with_a_bad_intake_is_a_400(as_therapist: Any, patient: Any) -> None:
    response = as_therapist.post(
        f"/api/v1/patients/{patient.pk}/programmes/", {"intake": {"side": "up"}}
    )
    assert response.status_code == 400
    assert {"intake.condition", "intake.side"} <= set(response.json()["fields"])


# --- Adjusting ----------------------------------------------------------------------------


def test_changing_a_dose_makes_a_revision_with_the_reason(
    as_therapist: Any, programme: Any
) -> None:
    item = current_items(programme)[0]
    response = as_therapist.post(
        f"/api/v1/programmes/{programme.pk}/adjustments/",
        {"change": "change_dose", "item": str(item.key), "dose": {"sets": 2}, "reason": "Sore."},
    )
    assert response.status_code == 201
    assert response.json()["number"] == 2
    assert response.json()["reason"] == "Sore."
    history = as_therapist.get(f"/api/v1/programmes/{programme.pk}/revisions/").json()
    assert [r["number"] for r in history["results"]] == [2, 1]


@pytest.mark.parametrize("override", ["", "Supervised in clinic."])
def test_a_clinic_only_treatment_is_refused_even_with_an_override(
    as_therapist: Any, programme: Any, override: str
) -> None:
    """Req 11 / walk-through 2: a programme is a home list; an override cannot change that.
    (This test used to accept the clinic-only treatment with an override.)"""
    url = f"/api/v1/programmes/{programme.pk}/adjustments/"
    body = {
        "change": "add_exercise",
        "phase": 1,
        "exercise": "pt_joint_mobilisation",
        "reason": "Trial.",
        "override_reason": override,
    }
    refused = as_therapist.post(url, body)
    assert refused.status_code == 400
    assert refused.json()["code"] == "clinic_only"
    assert refused.json()["fields"]["exercise"] == ["This is given in clinic only, not at home."]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"change": "change_dose", "reason": "x"}, "item"),
        ({"change": "teleport", "reason": "x"}, "change"),
        ({"change": "move_phase", "to_phase": 2}, "reason"),
        ({"change": "move_phase", "to_phase": 99, "reason": "x"}, "to_phase"),
        ({"change": "remove_exercise", "item": str(uuid.uuid4()), "reason": "x"}, "item"),
    ],
)
def test_a_bad_adjustment_is_a_400(
    as_therapist: Any, programme: Any, body: dict, field: str
) -> None:
    response = as_therapist.post(f"/api/v1/programmes/{programme.pk}/adjustments/", body)
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert ProgrammeRevision.objects.filter(programme=programme).count() == 1


def test_a_patient_reads_their_programme_but_cannot_adjust_it(
    as_patient: Any, programme: Any
) -> None:
    assert as_patient.get(f"/api/v1/programmes/{programme.pk}/").status_code == 200
    response = as_patient.post(
        f"/api/v1/programmes/{programme.pk}/adjustments/",
        {"change": "move_phase", "to_phase": 2, "reason": "I feel great."},
    )
    assert response.status_code == 404


def test_ending_a_programme(as_therapist: Any, programme: Any) -> None:
    response = as_therapist.post(f"/api/v1/programmes/{programme.pk}/end/")
    assert response.json()["status"] == "ended"
    again = as_therapist.post(f"/api/v1/programmes/{programme.pk}/end/")
    assert again.status_code == 400
    assert again.json()["code"] == "programme_ended"


def test_ending_a_programme_keeps_the_reason_given(as_therapist: Any, programme: Any) -> None:
    url = f"/api/v1/programmes/{programme.pk}/end/"
    response = as_therapist.post(url, {"reason": "  Discharged, goals met. "}, format="json")
    assert response.json()["ended_reason"] == "Discharged, goals met."
    programme.refresh_from_db()
    assert (programme.status, programme.ended_reason) == ("ended", "Discharged, goals met.")


@pytest.mark.parametrize("reason", ["x" * 2001, 42, None, ["a"]])
def test_a_bad_end_reason_is_a_400_with_the_field_and_ends_nothing(
    as_therapist: Any, programme: Any, reason: Any
) -> None:
    url = f"/api/v1/programmes/{programme.pk}/end/"
    response = as_therapist.post(url, {"reason": reason}, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()["fields"]
    programme.refresh_from_db()
    assert programme.status == "active"


# --- Flags --------------------------------------------------------------------------------


def test_flags_are_listed_and_filtered(as_therapist: Any, patient: Any, stranger: Any) -> None:
    factories.make_flag(patient)
    factories.make_flag(patient, status=Flag.Status.RESOLVED)
    factories.make_flag(stranger)
    assert as_therapist.get("/api/v1/flags/").json()["count"] == 2
    open_only = as_therapist.get("/api/v1/flags/?status=open").json()
    assert [f["status"] for f in open_only["results"]] == ["open"]
    assert as_therapist.get("/api/v1/flags/?kind=red_flag").json()["count"] == 0
    assert as_therapist.get("/api/v1/flags/?status=sleeping").status_code == 400
    assert as_therapist.get("/api/v1/flags/?created_after=2000-01-01").json()["count"] == 2


def test_a_flag_is_acknowledged_then_resolved(as_therapist: Any, patient: Any) -> None:
    flag = factories.make_flag(patient)
    assert as_therapist.get(f"/api/v1/flags/{flag.pk}/").json()["status"] == "open"
    ack = as_therapist.post(f"/api/v1/flags/{flag.pk}/acknowledge/")
    assert ack.json()["status"] == "acknowledged"
    assert as_therapist.post(f"/api/v1/flags/{flag.pk}/acknowledge/").status_code == 400
    no_note = as_therapist.post(f"/api/v1/flags/{flag.pk}/resolve/", {})
    assert no_note.status_code == 400
    assert "note" in no_note.json()["fields"]
    done = as_therapist.post(f"/api/v1/flags/{flag.pk}/resolve/", {"note": "Phoned."})
    assert done.json()["status"] == "resolved"


def test_accepting_progression_advances_the_phase(
    as_therapist: Any, patient: Any, programme: Any
) -> None:
    flag = factories.make_flag(patient, kind=Flag.Kind.READY_TO_PROGRESS, programme=programme)
    response = as_therapist.post(f"/api/v1/flags/{flag.pk}/accept-progression/")
    assert response.status_code == 201
    assert response.json()["current_phase"] == 2
    flag.refresh_from_db()
    assert flag.status == Flag.Status.RESOLVED
    other = factories.make_flag(patient)
    assert as_therapist.post(f"/api/v1/flags/{other.pk}/accept-progression/").status_code == 400


def test_one_worsening_is_one_group_with_each_rules_evidence_as_on_the_web(
    as_therapist: Any, programme: Any
) -> None:
    worsening = factories.make_worsening(programme)
    red = factories.make_flag(programme.patient, kind=Flag.Kind.RED_FLAG, rule="red_flag:x")
    rows = {row["id"]: row for row in as_therapist.get("/api/v1/flags/").json()["results"]}
    assert len(rows) == 4  # one row per flag, as before
    groups = [rows[str(flag.pk)]["group"] for flag in worsening]
    assert groups[0] == groups[1] == groups[2]  # the same card from any of its findings
    group = groups[0]
    web_card = flag_group(worsening[0])
    assert group["lead"] == str(web_card.pk)
    assert [f["id"] for f in group["findings"]] == [str(f.pk) for f in web_card.flags]
    by_rule = {f["rule"]: f for f in group["findings"]}
    assert by_rule["pain_during_above_max"]["evidence"] == {"pain_during": 7, "limit": 5}
    assert by_rule["pain_during_above_max"]["rule_label"] == "Pain during exercise over the limit"
    assert by_rule["weekly_trend"]["sources"] == ["R5"]
    assert group["suggestions"] == ["Step back."]
    assert sorted(group["sources"]) == ["R5", "R5b"]
    assert group["status"] == "open"
    assert group["can_apply_suggestion"] is True
    assert group["suggested_reason"] == default_step_back_reason(web_card)

    alone = rows[str(red.pk)]["group"]
    assert (alone["lead"], [f["id"] for f in alone["findings"]]) == (str(red.pk), [str(red.pk)])
    assert (alone["can_apply_suggestion"], alone["suggested_reason"]) == (False, "")
    detail = as_therapist.get(f"/api/v1/flags/{worsening[2].pk}/").json()
    assert detail["group"] == group
    assert detail["rule"] == "pain_during_above_max"  # the flag's own fields are kept


def test_applying_a_suggestion_over_the_api_is_the_webs_apply(
    as_therapist: Any, programme: Any
) -> None:
    worsening = factories.make_worsening(programme)
    regression = suggested_regression(programme, factories.current_items(programme))
    assert regression.swaps
    response = as_therapist.post(
        f"/api/v1/flags/{worsening[1].pk}/apply-suggestion/", {"reason": "Flare-up."}
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert len(body["revisions"]) == len(regression.swaps)
    assert body["revisions"][-1]["reason"] == "Flare-up."
    assert body["flag"]["status"] == "resolved"
    assert body["flag"]["group"]["can_apply_suggestion"] is False
    programme.refresh_from_db()
    exercises = {i.key: i.exercise.slug for i in factories.current_items(programme)}
    for item, easier in regression.swaps:
        assert exercises[item.key] == easier.slug
    assert set(Flag.objects.values_list("status", flat=True)) == {"resolved"}
    note = Flag.objects.values_list("resolution_note", flat=True).first()
    assert note.startswith("Applied the suggestion: Swapped ")


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "  "}, {"reason": "x" * 2001}])
def test_applying_a_suggestion_needs_a_reason_and_changes_nothing_without_one(
    as_therapist: Any, programme: Any, body: dict[str, Any]
) -> None:
    flag = factories.make_worsening(programme)[0]
    response = as_therapist.post(f"/api/v1/flags/{flag.pk}/apply-suggestion/", body, format="json")
    assert response.status_code == 400
    if len(body.get("reason", "")) <= 2000:  # a missing reason: the web form's own words
        assert response.json()["fields"]["reason"] == ApplySuggestionForm(body).errors["reason"]
    assert "reason" in response.json()["fields"]
    assert ProgrammeRevision.objects.filter(programme=programme).count() == 1
    assert set(Flag.objects.values_list("status", flat=True)) == {"open"}


def test_only_a_step_back_has_a_suggestion_to_apply(as_therapist: Any, programme: Any) -> None:
    red = factories.make_flag(programme.patient, kind=Flag.Kind.RED_FLAG, programme=programme)
    response = as_therapist.post(f"/api/v1/flags/{red.pk}/apply-suggestion/", {"reason": "x"})
    assert response.status_code == 400
    assert "step back" in response.json()["message"]
    assert ProgrammeRevision.objects.filter(programme=programme).count() == 1


def test_another_therapists_flag_is_a_404_to_apply(
    as_colleague: Any, as_patient: Any, programme: Any
) -> None:
    flag = factories.make_worsening(programme)[0]
    url = f"/api/v1/flags/{flag.pk}/apply-suggestion/"
    assert as_colleague.post(url, {"reason": "Flare-up."}).status_code == 404
    assert as_patient.post(url, {"reason": "Flare-up."}).status_code == 404
    assert ProgrammeRevision.objects.filter(programme=programme).count() == 1
    assert set(Flag.objects.values_list("status", flat=True)) == {"open"}


def test_a_patient_cannot_see_flags(as_patient: Any, patient: Any) -> None:
    flag = factories.make_flag(patient)
    assert as_patient.get("/api/v1/flags/").status_code == 403
    assert as_patient.get(f"/api/v1/flags/{flag.pk}/").status_code == 404


# --- Idempotency-Key ----------------------------------------------------------------------


def test_a_retried_post_with_the_same_key_replays_the_first_response(
    as_therapist: Any, programme: Any
) -> None:
    url = f"/api/v1/programmes/{programme.pk}/adjustments/"
    body = {"change": "move_phase", "to_phase": 2, "reason": "Criteria met."}
    first = as_therapist.post(url, body, HTTP_IDEMPOTENCY_KEY="k-1")
    again = as_therapist.post(url, body, HTTP_IDEMPOTENCY_KEY="k-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert ProgrammeRevision.objects.filter(programme=programme).count() == 2


def test_the_same_key_with_another_body_is_a_422(as_therapist: Any, programme: Any) -> None:
    url = f"/api/v1/programmes/{programme.pk}/adjustments/"
    body = {"change": "move_phase", "to_phase": 2, "reason": "Criteria met."}
    as_therapist.post(url, body, HTTP_IDEMPOTENCY_KEY="k-2")
    response = as_therapist.post(url, body | {"reason": "Other."}, HTTP_IDEMPOTENCY_KEY="k-2")
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"


def test_a_failed_request_stores_nothing_so_a_corrected_retry_runs(
    as_therapist: Any, patient: Any
) -> None:
    flag = factories.make_flag(patient)
    url = f"/api/v1/flags/{flag.pk}/resolve/"
    assert as_therapist.post(url, {"note": ""}, HTTP_IDEMPOTENCY_KEY="k-3").status_code == 400
    assert not IdempotencyKey.objects.exists()
    fixed = as_therapist.post(url, {"note": "Done."}, HTTP_IDEMPOTENCY_KEY="k-3")
    assert fixed.status_code == 200
    assert IdempotencyKey.objects.get().response_status == 200


def test_keys_belong_to_one_user(as_therapist: Any, as_colleague: Any) -> None:
    assert as_therapist.post("/api/v1/notifications/mark-read/", {}, HTTP_IDEMPOTENCY_KEY="k")
    response = as_colleague.post("/api/v1/notifications/mark-read/", {}, HTTP_IDEMPOTENCY_KEY="k")
    assert "Idempotent-Replayed" not in response
    assert IdempotencyKey.objects.count() == 2


def test_an_overlong_key_is_a_400(as_therapist: Any) -> None:
    response = as_therapist.post(
        "/api/v1/notifications/mark-read/", {}, HTTP_IDEMPOTENCY_KEY="k" * 256
    )
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["fields"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_with_one_key_run_once(shared_database: None) -> None:
    patient = factories.PatientFactory()
    programme = factories.prescribe(patient)
    clients = [api_client_for(patient.therapist.user) for _ in range(10)]
    url = f"/api/v1/programmes/{programme.pk}/adjustments/"
    body = {"change": "move_phase", "to_phase": 2, "reason": "Criteria met."}
    start = threading.Barrier(len(clients))
    statuses: list[int] = []

    def send(client: Any) -> None:
        try:
            start.wait()
            response = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="same")
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [201] * 10
    assert ProgrammeRevision.objects.filter(programme=programme).count() == 2


def test_a_notification_about_a_flag_gives_its_link_and_current_status(
    as_therapist: Any, patient: Any
) -> None:
    flag = factories.make_flag(patient, kind="red_flag", severity=3, evidence={"urgency": "urgent"})
    notify_flag(flag=flag, now=factories.NOW)
    Flag.objects.filter(pk=flag.pk).update(status=Flag.Status.ACKNOWLEDGED)
    [note] = as_therapist.get("/api/v1/notifications/").json()["results"]
    assert note["link"] == f"/patients/{patient.pk}/#flag-{flag.pk}"
    assert note["flag_status"] == "acknowledged"
