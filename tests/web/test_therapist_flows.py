"""Issue 17: the therapist's day without dead ends. Ending a programme from the web (and
from a new prescription), feedback where the eye is (the error summary, the preview, the
pre-filled dose form) and flags a clinician can act on (one card per worsening, "Apply
suggestion")."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from patients.models import Flag, Patient, Reminder
from patients.reminders.services import plan_reminders
from programmes.models import Programme, ProgrammeRevision
from tests import factories
from tests.factories import NOW

pytestmark = pytest.mark.django_db


def _summary(page: str) -> str:
    """The error summary's HTML (empty when the page has none)."""
    match = re.search(r'<div class="error-summary".*?</div>', page, re.S)
    return match.group(0) if match else ""


def _intake(patient: Any, **overrides: Any) -> dict[str, Any]:
    return {
        "patient": str(patient.pk),
        "condition": "achilles_midportion",
        "side": "right",
        "onset": "chronic",
        "irritability": "moderate",
        "activity": "runner",
        "age": "44",
        "swelling": "no",
        "recent_injury": "no",
        "started_on": "2026-11-20",
    } | overrides


# --- 1. Every action has a way back and an end ------------------------------------------------


def test_ending_a_programme_on_the_web_keeps_the_reason_and_stops_its_reminders(
    therapist_client: Client, programme: Any
) -> None:
    plan_reminders(now=NOW)
    assert Reminder.objects.filter(patient=programme.patient, status="pending").exists()
    response = therapist_client.post(
        reverse("programme_end", args=[programme.pk]), {"end-reason": "Discharged: goals met."}
    )
    assert response["Location"] == reverse("programme_adjust", args=[programme.pk])
    programme.refresh_from_db()
    assert (programme.status, programme.ended_reason) == ("ended", "Discharged: goals met.")
    assert not Reminder.objects.filter(patient=programme.patient, status="pending").exists()


def test_ending_without_a_reason_is_refused_with_the_summary_linking_to_the_field(
    therapist_client: Client, programme: Any
) -> None:
    response = therapist_client.post(reverse("programme_end", args=[programme.pk]), {})
    summary = _summary(response.content.decode())
    assert 'href="#id_end-reason"' in summary
    assert "Say why the programme is ending." in summary
    programme.refresh_from_db()
    assert programme.status == "active"


def test_ending_from_a_new_prescription_returns_to_prescribing_for_that_patient(
    therapist_client: Client, programme: Any
) -> None:
    url = reverse("programme_end", args=[programme.pk]) + "?then=prescribe"
    response = therapist_client.post(url, {"end-reason": "Moving to another diagnosis."})
    assert response["Location"] == f"{reverse('programme_new')}?patient={programme.patient_id}"


def test_another_therapists_programme_cannot_be_ended(
    therapist_client: Client, stranger: Any
) -> None:
    other = Programme.objects.get(patient=stranger)
    url = reverse("programme_end", args=[other.pk])
    assert therapist_client.get(url).status_code == 404
    assert therapist_client.post(url, {"end-reason": "Not mine."}).status_code == 404
    other.refresh_from_db()
    assert other.status == "active"


def test_a_preselected_patient_with_a_programme_is_warned_at_once_with_a_way_to_end_it(
    therapist_client: Client, programme: Any
) -> None:
    url = f"{reverse('programme_new')}?patient={programme.patient_id}"
    page = therapist_client.get(url).content.decode()
    assert "already has an active programme" in page
    assert f"{reverse('programme_end', args=[programme.pk])}?then=prescribe" in page


def test_a_patient_without_a_programme_gets_no_warning(
    therapist_client: Client, patient: Any
) -> None:
    page = therapist_client.get(f"{reverse('programme_new')}?patient={patient.pk}")
    assert "already has an active programme" not in page.content.decode()


def test_picking_a_patient_swaps_in_the_warning(
    therapist_client: Client, programme: Any, therapist: Any
) -> None:
    """The patient picker asks for the notice (htmx) as soon as a patient is chosen."""
    page = therapist_client.get(reverse("programme_new")).content.decode()
    notice_url = reverse("programme_active_notice")
    assert f'hx-get="{notice_url}"' in page
    assert 'hx-target="#active-notice"' in page
    on_programme = therapist_client.get(notice_url, {"patient": str(programme.patient_id)})
    assert "already has an active programme" in on_programme.content.decode()
    without = factories.PatientFactory(therapist=therapist)
    empty = therapist_client.get(notice_url, {"patient": str(without.pk)}).content.decode()
    assert 'id="active-notice"' in empty
    assert "already has an active programme" not in empty


def test_the_warning_says_nothing_about_another_therapists_patient(
    therapist_client: Client, stranger: Any
) -> None:
    notice = therapist_client.get(reverse("programme_active_notice"), {"patient": stranger.pk})
    assert "already has an active programme" not in notice.content.decode()


# --- 2. Feedback where the eye is -----------------------------------------------------------


def test_the_new_patient_form_reports_every_problem_in_one_pass(
    therapist_client: Client,
) -> None:
    """Walk-through 9: a bad e-mail, a birth date in 2031 and "jane obrien!" used to take
    three submits, one error each."""
    response = therapist_client.post(
        reverse("patient_create"),
        {
            "first_name": "Jane",
            "last_name": "O'Brien",
            "username": "jane obrien!",
            "email": "not-an-address",
            "date_of_birth": "2031-01-01",
            "time_zone": "Europe/London",
            "setup": "invite",
        },
    )
    errors = response.context["form"].errors
    assert {"username", "email", "date_of_birth"} <= set(errors)
    summary = _summary(response.content.decode())
    for field in ("username", "email", "date_of_birth"):
        assert f'href="#id_{field}"' in summary
    assert not Patient.objects.exists()


def test_the_service_reports_every_account_problem_at_once_for_the_api_too(
    therapist: Any,
) -> None:
    from patients.people.services import create_patient
    from rehab.exceptions import DomainError

    with pytest.raises(DomainError) as refused:
        create_patient(
            therapist=therapist,
            username="jane obrien!",
            password="123",
            date_of_birth=NOW.date().replace(year=2031),
            now=NOW,
        )
    assert {"username", "password", "date_of_birth"} <= set(refused.value.fields)


def test_a_taken_username_is_reported_with_the_other_problems(
    therapist_client: Client, patient: Any
) -> None:
    response = therapist_client.post(
        reverse("patient_create"),
        {
            "first_name": "A",
            "last_name": "B",
            "username": patient.user.username,
            "date_of_birth": "2031-01-01",
            "time_zone": "Europe/London",
            "setup": "password",
            "password": "a-long-first-password",
        },
    )
    assert {"username", "date_of_birth"} <= set(response.context["form"].errors)


def test_a_bad_dose_shows_a_summary_linking_to_each_field_and_keeps_the_panel_open(
    therapist_client: Client, programme: Any
) -> None:
    item = factories.current_items(programme)[0]
    response = therapist_client.post(
        reverse("programme_adjust", args=[programme.pk]),
        {
            "action": "dose",
            "dose-item": str(item.key),
            "dose-sets": "99",
            "dose-reps": "-3",
            "dose-reason": "",
        },
    )
    page = response.content.decode()
    summary = _summary(page)
    for field in ("sets", "reps", "reason"):
        assert f'href="#id_dose-{field}"' in summary
    assert "data-focus-on-load" in summary
    assert re.search(r'<details class="card" id="adjust-dose"\s+open>', page)
    assert ProgrammeRevision.objects.filter(programme=programme).count() == 1


def test_a_page_without_errors_has_no_summary(therapist_client: Client, programme: Any) -> None:
    page = therapist_client.get(reverse("programme_adjust", args=[programme.pk]))
    assert "error-summary" not in page.content.decode()


def test_the_preview_is_where_the_page_lands_with_the_intake_folded_away(
    therapist_client: Client, patient: Any
) -> None:
    page = therapist_client.post(
        reverse("programme_new"), _intake(patient) | {"preview": "1"}
    ).content.decode()
    preview = page[page.index('id="preview"') :]
    # Focus moves to the preview (rehab.js), the Prescribe button sits by its heading...
    assert re.search(r'<section class="card" id="preview"[^>]*data-focus-on-load', page)
    heading_row = preview[: preview.index("</div>")]
    assert "Preview: Achilles tendinopathy, mid-portion" in heading_row
    assert 'name="prescribe"' in heading_row
    # ... the intake is folded into a closed <details>, and without JavaScript the Preview
    # button still lands on the preview.
    assert '<details class="intake">' in page
    assert 'formaction="#preview"' in page


def test_the_intake_stays_open_while_it_has_errors(therapist_client: Client, patient: Any) -> None:
    page = therapist_client.post(
        reverse("programme_new"), _intake(patient, age="") | {"preview": "1"}
    ).content.decode()
    assert '<details class="intake" open>' in page
    assert 'href="#id_age"' in _summary(page)


def test_the_dose_form_is_filled_with_the_current_dose_and_says_what_it_was(
    therapist_client: Client, programme: Any
) -> None:
    item = next(i for i in factories.current_items(programme) if i.reps is not None)
    url = reverse("programme_adjust", args=[programme.pk])
    response = therapist_client.get(url, {"dose-item": str(item.key)})
    form = next(f for f in response.context["forms"] if f.action == "dose")
    assert form["item"].value() == str(item.key)
    assert form["sets"].value() == item.sets
    assert form["reps"].value() == item.reps
    page = response.content.decode()
    assert f"was {item.reps}" in page
    assert re.search(r'<details class="card" id="adjust-dose"\s+open>', page)
    # Each exercise on the programme links to its own pre-filled dose form.
    assert f"?dose-item={item.key}#adjust-dose" in page


def test_changing_one_dose_field_keeps_the_others(therapist_client: Client, programme: Any) -> None:
    item = next(i for i in factories.current_items(programme) if i.sets and i.reps)
    url = reverse("programme_adjust", args=[programme.pk])
    form = next(
        f
        for f in therapist_client.get(url, {"dose-item": str(item.key)}).context["forms"]
        if f.action == "dose"
    )
    data = {f"dose-{name}": form[name].value() or "" for name in form.fields}
    data |= {"action": "dose", "dose-sets": str(item.sets + 1), "dose-reason": "Tolerating."}
    assert therapist_client.post(url, data).status_code == 302
    programme.refresh_from_db()
    changed = next(i for i in factories.current_items(programme) if i.key == item.key)
    assert (changed.sets, changed.reps, changed.reps_max) == (
        item.sets + 1,
        item.reps,
        item.reps_max,
    )


# --- 3. Flags a clinician can act on ----------------------------------------------------------


def test_one_worsening_is_one_card_with_each_rules_evidence(
    therapist_client: Client, programme: Any
) -> None:
    flags = factories.make_worsening(programme)
    page = therapist_client.get(
        reverse("patient_detail", args=[programme.patient_id])
    ).content.decode()
    assert page.count('class="card flag ') == 1
    assert "3 findings point the same way" in page
    for label in ("Morning symptoms up on last week", "mornings in a row", "Pain during exercise"):
        assert label in page
    assert page.count("Suggested:</strong> Step back.") == 1
    assert sum(reverse("flag_apply", args=[f.pk]) in page for f in flags) == 1
    caseload = therapist_client.get(reverse("caseload")).content.decode()
    assert caseload.count("Step back") == 1
    assert "(3 findings)" in caseload


def test_resolving_the_card_resolves_every_finding_in_it(
    therapist_client: Client, programme: Any
) -> None:
    factories.make_worsening(programme)
    lead = Flag.objects.filter(patient=programme.patient).order_by("-created_at").first()
    therapist_client.post(reverse("flag_resolve", args=[lead.pk]), {"note": "Phoned; easing."})
    assert set(Flag.objects.values_list("status", flat=True)) == {"resolved"}
    assert set(Flag.objects.values_list("resolution_note", flat=True)) == {"Phoned; easing."}


def test_acknowledging_the_card_acknowledges_every_open_finding(
    therapist_client: Client, programme: Any
) -> None:
    flags = factories.make_worsening(programme)
    therapist_client.post(reverse("flag_acknowledge", args=[flags[1].pk]))
    assert set(Flag.objects.values_list("status", flat=True)) == {"acknowledged"}


def test_apply_suggestion_shows_the_swaps_then_applies_them_and_resolves_the_flag(
    therapist_client: Client, programme: Any
) -> None:
    flags = factories.make_worsening(programme)
    url = reverse("flag_apply", args=[flags[0].pk])
    page = therapist_client.get(url)
    regression = page.context["regression"]
    assert regression.swaps, "phase 1 of the mid-portion programme has easier versions"
    text = page.content.decode()
    for _item, easier in regression.swaps:
        assert easier.name in text
    reason = page.context["form"]["reason"].value()
    assert reason.startswith("Step back suggested by monitoring")

    response = therapist_client.post(url, {"reason": reason})
    assert response["Location"] == reverse("programme_adjust", args=[programme.pk])
    programme.refresh_from_db()
    exercises = {i.key: i.exercise.slug for i in factories.current_items(programme)}
    for item, easier in regression.swaps:
        assert exercises[item.key] == easier.slug
    assert set(Flag.objects.values_list("status", flat=True)) == {"resolved"}
    notes = set(Flag.objects.values_list("resolution_note", flat=True))
    assert len(notes) == 1
    assert notes.pop().startswith("Applied the suggestion: Swapped ")
    newest = programme.current_revision
    assert newest.reason == reason


def test_apply_suggestion_in_a_later_phase_steps_back_a_phase(
    therapist_client: Client, programme: Any
) -> None:
    from programmes.services import MovePhase, adjust_programme

    adjust_programme(
        programme=programme,
        changed_by=programme.patient.therapist.user,
        change=MovePhase(to_phase=2),
        reason="Ready.",
    )
    flag = factories.make_worsening(programme)[0]
    therapist_client.post(reverse("flag_apply", args=[flag.pk]), {"reason": "Flare-up."})
    programme.refresh_from_db()
    assert programme.current_revision.current_phase == 1
    assert programme.current_revision.reason == "Flare-up."


def test_apply_suggestion_needs_a_reason_and_changes_nothing_without_one(
    therapist_client: Client, programme: Any
) -> None:
    flag = factories.make_worsening(programme)[0]
    response = therapist_client.post(reverse("flag_apply", args=[flag.pk]), {"reason": ""})
    assert 'href="#id_reason"' in _summary(response.content.decode())
    assert ProgrammeRevision.objects.filter(programme=programme).count() == 1
    assert set(Flag.objects.values_list("status", flat=True)) == {"open"}


def test_another_therapist_cannot_apply_a_suggestion(
    colleague_client: Client, programme: Any
) -> None:
    flag = factories.make_worsening(programme)[0]
    url = reverse("flag_apply", args=[flag.pk])
    assert colleague_client.get(url).status_code == 404
    assert colleague_client.post(url, {"reason": "x"}).status_code == 404
    assert ProgrammeRevision.objects.filter(programme=programme).count() == 1


def test_the_summary_is_shared_by_every_form_the_patients_too(
    patient_client: Client, programme: Any
) -> None:
    """One error summary in base.html: the morning check-in gets it without asking."""
    form = patient_client.get(reverse("check_in")).context["form"]
    response = patient_client.post(
        reverse("check_in"),
        {"client_uuid": form["client_uuid"].value(), "morning_pain_nrs": "11"},
    )
    summary = _summary(response.content.decode())
    assert 'href="#id_morning_pain_nrs"' in summary
    assert "Pain when you got up this morning: Enter a whole number from 0 to 10." in summary
    assert 'href="#id_stiffness_minutes"' in summary


def test_apply_suggestion_with_no_easier_version_sends_the_therapist_to_the_dose(
    therapist_client: Client, programme: Any
) -> None:
    from programmes.models import Exercise

    Exercise.objects.update(regression=None)  # rolled back with the test
    flag = factories.make_worsening(programme)[0]
    url = reverse("flag_apply", args=[flag.pk])
    page = therapist_client.get(url).content.decode()
    assert "No exercise in this phase has an easier version" in page
    assert "#adjust-dose" in page
    refused = therapist_client.post(url, {"reason": "Flare-up."}).content.decode()
    assert "No easier version to move to" in _summary(refused)
    assert ProgrammeRevision.objects.filter(programme=programme).count() == 1
    assert set(Flag.objects.values_list("status", flat=True)) == {"open"}


def test_a_contraindicated_easier_version_is_refused_and_nothing_changes(
    therapist_client: Client, programme: Any
) -> None:
    """Safety: the swaps go through adjust_programme's contraindication check, all or none."""
    from programmes.models import Exercise

    items = [i for i in factories.current_items(programme) if i.exercise.regression_id]
    assert len(items) >= 2
    clinic_only = Exercise.objects.get(slug="pt_joint_mobilisation")
    Exercise.objects.filter(pk=items[-1].exercise_id).update(regression=clinic_only)
    flag = factories.make_worsening(programme)[0]
    refused = therapist_client.post(reverse("flag_apply", args=[flag.pk]), {"reason": "Flare."})
    assert "This is given in clinic only, not at home." in refused.content.decode()
    assert ProgrammeRevision.objects.filter(programme=programme).count() == 1
    assert set(Flag.objects.values_list("status", flat=True)) == {"open"}
