"""Prescribing from an intake (preview, referral, prescribe) and adjusting a programme."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from patients.models import Diagnosis
from programmes.models import Programme, ProgrammeItem, ProgrammeRevision

pytestmark = pytest.mark.django_db


def _intake(patient: Any, **overrides: Any) -> dict[str, Any]:
    return {
        "patient": str(patient.pk),
        "condition": "achilles_midportion",
        "side": "right",
        "protocol": "",
        "onset": "chronic",
        "irritability": "moderate",
        "activity": "runner",
        "age": "44",
        "swelling": "no",
        "recent_injury": "no",
        "started_on": "2026-11-20",
        "notes": "",
    } | overrides


def _preview(client: Client, data: dict[str, Any]) -> Any:
    return client.post(reverse("programme_new"), data | {"preview": "1"})


def _prescribe(client: Client, data: dict[str, Any]) -> Any:
    preview = _preview(client, data)
    fingerprint = preview.context["form"].fingerprint()
    return client.post(
        reverse("programme_new"), data | {"prescribe": "1", "previewed": fingerprint}
    )


def test_the_new_programme_page_preselects_the_patient(
    therapist_client: Client, patient: Any
) -> None:
    response = therapist_client.get(f"{reverse('programme_new')}?patient={patient.pk}")
    assert response.status_code == 200
    assert response.context["form"]["patient"].value() == str(patient.pk)


def test_preview_shows_the_planned_programme_without_storing_it(
    therapist_client: Client, patient: Any
) -> None:
    response = _preview(therapist_client, _intake(patient))
    page = response.content.decode()
    assert "Preview: Achilles tendinopathy, mid-portion" in page
    assert "Phase 1" in page
    assert "Prescribe this programme" in page
    assert not Programme.objects.filter(patient=patient).exists()


def test_preview_of_a_red_flag_intake_shows_the_referral_with_reasons(
    therapist_client: Client, patient: Any
) -> None:
    response = _preview(therapist_client, _intake(patient, red_flags=["sudden_pop"]))
    page = response.content.decode()
    assert "Refer instead" in page
    assert "Reasons" in page
    assert "Same day" in page
    assert "Prescribe this programme" not in page


def test_prescribing_stores_the_programme_and_opens_the_adjust_page(
    therapist_client: Client, patient: Any, therapist: Any
) -> None:
    response = _prescribe(therapist_client, _intake(patient))
    programme = Programme.objects.get(patient=patient)
    assert response.status_code == 302
    assert response["Location"] == reverse("programme_adjust", args=[programme.pk])
    assert programme.prescribed_by == therapist.user
    assert programme.condition.slug == "achilles_midportion"


def test_the_web_dates_a_diagnosis_in_the_patients_own_zone_as_the_api_does(
    therapist_client: Client, patient: Any
) -> None:
    """Issue 13: at 09:00 UTC on 20 Nov it is still 19 Nov in Honolulu; the diagnosis is
    made on the patient's date (the API already did so), not the server's."""
    patient.time_zone = "Pacific/Honolulu"
    patient.save()
    response = _prescribe(therapist_client, _intake(patient, started_on="2026-11-19"))
    assert response.status_code == 302
    assert Diagnosis.objects.get(patient=patient).made_on == date(2026, 11, 19)
    page = therapist_client.get(reverse("programme_new"), {"patient": str(patient.pk)})
    assert page.context["form"].initial["started_on"] == date(2026, 11, 19)


def test_prescribing_after_changing_the_intake_asks_for_a_new_preview(
    therapist_client: Client, patient: Any
) -> None:
    preview = _preview(therapist_client, _intake(patient))
    fingerprint = preview.context["form"].fingerprint()
    changed = _intake(patient, side="left") | {"prescribe": "1", "previewed": fingerprint}
    response = therapist_client.post(reverse("programme_new"), changed)
    assert response.status_code == 200
    assert "The intake changed after the last preview" in response.content.decode()
    assert not Programme.objects.filter(patient=patient).exists()


def test_a_second_active_programme_is_refused_with_a_message(
    therapist_client: Client, patient: Any, programme: Any
) -> None:
    response = _prescribe(therapist_client, _intake(patient))
    assert response.status_code == 200
    assert "already has an active programme" in response.content.decode()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"condition": ""}, "condition"),
        ({"side": ""}, "side"),
        ({"age": "200"}, "age"),
        ({"protocol": "achilles_insertional_floor"}, "protocol"),
    ],
)
def test_bad_intake_is_shown_beside_the_field_and_kept(
    therapist_client: Client, patient: Any, overrides: dict[str, Any], field: str
) -> None:
    response = _preview(therapist_client, _intake(patient, **overrides))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert 'value="runner" selected' in response.content.decode()


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("swelling", "Answer yes, no or not known."),  # F1
        ("recent_injury", "Answer yes, no or not known."),  # F1
        ("age", "Enter the patient's age in years."),  # F33
    ],
)
def test_a_missing_required_answer_is_shown_beside_the_field(
    therapist_client: Client, patient: Any, field: str, message: str
) -> None:
    """F1, F33: an unticked box is not an answer; swelling, recent injury and age are
    required."""
    data = _intake(patient)
    del data[field]
    response = _preview(therapist_client, data)
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    summary = response.context["form"].non_field_errors()[0]
    assert summary.startswith("Answer the required questions:")
    assert "Preview:" not in response.content.decode()


def test_a_sprain_without_the_ottawa_rules_is_refused_beside_the_field_with_a_summary(
    therapist_client: Client, patient: Any
) -> None:
    """Requirement 6 (F32): the Ottawa rules are a required answer for a sprain."""
    response = _preview(therapist_client, _intake(patient, condition="ankle_sprain"))
    form = response.context["form"]
    assert "Record the Ottawa rules" in form.errors["ottawa"][0]
    assert "Ottawa ankle and foot rules" in form.non_field_errors()[0]
    assert "Preview:" not in response.content.decode()

    answered = _preview(
        therapist_client, _intake(patient, condition="ankle_sprain", ottawa="not_assessed")
    )
    page = answered.content.decode()
    assert "Refer instead" in page
    assert "Same day" in page


def test_another_therapists_patient_cannot_be_chosen(
    therapist_client: Client, stranger: Any
) -> None:
    response = _prescribe(therapist_client, _intake(stranger))
    assert response.status_code == 200
    assert "patient" in response.context["form"].errors


# --- Adjusting ------------------------------------------------------------------------------


def _first_item(programme: Programme) -> ProgrammeItem:
    return ProgrammeItem.objects.filter(phase__revision=programme.current_revision).first()


def test_adjust_page_shows_phases_forms_and_history(
    therapist_client: Client, programme: Any
) -> None:
    page = therapist_client.get(reverse("programme_adjust", args=[programme.pk])).content
    assert b"Phase 1" in page
    assert b"Revision history" in page
    assert b"Initial prescription." in page
    for title in (b"Change a dose", b"Add an exercise", b"Swap an exercise", b"Remove an"):
        assert title in page


def test_changing_a_dose_records_a_revision_with_who_and_why(
    therapist_client: Client, programme: Any, therapist: Any
) -> None:
    item = _first_item(programme)
    response = therapist_client.post(
        reverse("programme_adjust", args=[programme.pk]),
        {"action": "dose", "dose-item": str(item.key), "dose-sets": "2", "dose-reason": "Sore."},
    )
    assert response.status_code == 302
    revision = ProgrammeRevision.objects.get(programme=programme, number=2)
    assert revision.changed_by == therapist.user
    assert revision.reason == "Sore."
    page = therapist_client.get(response["Location"]).content.decode()
    assert "Sore." in page
    assert revision.summary in page


def test_a_change_without_a_reason_is_refused_beside_the_field(
    therapist_client: Client, programme: Any
) -> None:
    item = _first_item(programme)
    response = therapist_client.post(
        reverse("programme_adjust", args=[programme.pk]),
        {"action": "dose", "dose-item": str(item.key), "dose-sets": "2", "dose-reason": ""},
    )
    assert response.status_code == 200
    assert "Say why the programme is being changed." in response.content.decode()
    assert response.context["posted"]["sets"].value() == "2"


def test_adding_a_contraindicated_exercise_needs_an_override_reason(
    therapist_client: Client, patient: Any, therapist: Any
) -> None:
    _prescribe(therapist_client, _intake(patient, irritability="high"))
    programme = Programme.objects.get(patient=patient)
    url = reverse("programme_adjust", args=[programme.pk])
    data = {
        "action": "add",
        "add-phase": "1",
        "add-exercise": "plyo_progression",
        "add-reason": "Try.",
    }
    refused = therapist_client.post(url, data)
    assert refused.status_code == 200
    assert "Give a reason to override" in refused.content.decode()
    assert "override_reason" in refused.context["posted"].errors

    accepted = therapist_client.post(url, data | {"add-override_reason": "Settled now."})
    assert accepted.status_code == 302
    page = therapist_client.get(url).content.decode()
    assert "Override:</strong> Settled now." in page


def test_stepping_forward_a_phase_moves_the_current_phase(
    therapist_client: Client, programme: Any
) -> None:
    therapist_client.post(
        reverse("programme_adjust", args=[programme.pk]),
        {"action": "phase", "phase-to_phase": "2", "phase-reason": "Ready."},
    )
    programme.refresh_from_db()
    assert programme.current_revision.current_phase == 2


def test_removing_and_swapping_exercises(therapist_client: Client, programme: Any) -> None:
    url = reverse("programme_adjust", args=[programme.pk])
    items = list(ProgrammeItem.objects.filter(phase__revision=programme.current_revision))
    therapist_client.post(
        url, {"action": "remove", "remove-item": str(items[0].key), "remove-reason": "Painful."}
    )
    therapist_client.post(
        url,
        {
            "action": "swap",
            "swap-item": str(items[1].key),
            "swap-exercise": "stretch_home_generic",
            "swap-reason": "Easier at home.",
        },
    )
    kinds = list(
        ProgrammeRevision.objects.filter(programme=programme).values_list("kind", flat=True)
    )
    assert kinds == ["prescribed", "exercise_removed", "exercise_swapped"]


def test_another_therapists_programme_is_404(
    therapist_client: Client, patient_client: Client, stranger: Any, programme: Any
) -> None:
    other = Programme.objects.get(patient=stranger)
    assert therapist_client.get(reverse("programme_adjust", args=[other.pk])).status_code == 404
    own = reverse("programme_adjust", args=[programme.pk])
    assert patient_client.get(own).status_code == 404


def test_swapping_to_a_clinic_only_treatment_is_refused_in_plain_words(
    therapist_client: Client, programme: Any
) -> None:
    """Req 11 / walk-through 2 and 10: one plain message, no internal tag, no revision."""
    url = reverse("programme_adjust", args=[programme.pk])
    item = ProgrammeItem.objects.filter(phase__revision=programme.current_revision).first()
    response = therapist_client.post(
        url,
        {
            "action": "swap",
            "swap-item": str(item.key),
            "swap-exercise": "pt_joint_mobilisation",
            "swap-override_reason": "Override anyway.",
            "swap-reason": "Try.",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    # Once beside the field and once in the error summary at the top, never twice in either.
    summary, _, form = page.partition("</div>")
    assert 'class="error-summary"' in summary
    assert summary.count("This is given in clinic only, not at home.") == 1
    assert form.count("This is given in clinic only, not at home.") == 1
    assert "clinic_only" not in page
    assert ProgrammeRevision.objects.filter(programme=programme).count() == 1


def test_the_preview_asks_the_clinician_to_confirm_a_default_dose(
    therapist_client: Client, patient: Any
) -> None:
    """F30 / walk-through 5: the Silbernagel foot pumps have no source count."""
    page = _preview(therapist_client, _intake(patient)).content.decode()
    assert "Confirm the dose of Foot pumps, up and down" in page
    assert "2 × 10" in page


def test_the_therapist_can_end_a_programme_with_a_reason(
    therapist_client: Client, programme: Any
) -> None:
    """Walk-through 4: end or discharge on the programme page, so a new one can be prescribed."""
    url = reverse("programme_end", args=[programme.pk])
    refused = therapist_client.post(url, {"end-reason": ""})
    assert refused.status_code == 200
    assert "Say why the programme is ending." in refused.content.decode()
    programme.refresh_from_db()
    assert programme.status == "active"

    ended = therapist_client.post(url, {"end-reason": "Discharged: goals met."})
    assert ended.status_code == 302
    programme.refresh_from_db()
    assert (programme.status, programme.ended_reason) == ("ended", "Discharged: goals met.")
    page = therapist_client.get(reverse("programme_adjust", args=[programme.pk])).content.decode()
    assert "Discharged: goals met." in page
    assert "End or discharge" not in page


def test_a_patient_cannot_end_their_programme_on_the_web(
    patient_client: Client, programme: Any
) -> None:
    url = reverse("programme_end", args=[programme.pk])
    response = patient_client.post(url, {"end-reason": "Bored."})
    assert response.status_code in (302, 403, 404)
    programme.refresh_from_db()
    assert programme.status == "active"


def test_the_programme_page_leads_to_every_adjustment_first_and_folds_the_other_phases(
    therapist_client: Client, patient: Any
) -> None:
    """Compact on a phone (issue 17, requirement 6): the adjust actions are linked before the
    programme, and only the current phase is unfolded."""
    from tests import factories

    programme = factories.prescribe(patient)
    html = therapist_client.get(reverse("programme_adjust", args=[programme.pk])).content.decode()
    jump = html[html.index('<nav class="jump"') : html.index("</nav>", html.index('class="jump"'))]
    for panel in ("dose", "add", "remove", "swap", "phase", "end"):
        assert f'href="#adjust-{panel}"' in jump
        assert f'id="adjust-{panel}"' in html
    assert html.index('class="jump"') < html.index('id="phase-1"')
    current = programme.current_revision.current_phase
    for phase in programme.current_revision.phases.all():
        tag = html[html.index(f'id="phase-{phase.position}-card"') :].split(">", 1)[0]
        assert (" open" in tag) == (phase.position == current), tag
