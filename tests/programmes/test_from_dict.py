"""One reading of a request: the web form, the API and the CLI all turn what was typed into
the planner's Intake through `Intake.from_dict`, so equivalent input gives the same Intake and
the same field errors at each edge."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from knox.models import AuthToken
from rest_framework.test import APIClient

from patients.people.selectors import patients_visible_to
from programmes.forms import (
    AddExerciseForm,
    AdjustForm,
    ChangeDoseForm,
    MovePhaseForm,
    ProgrammeForm,
    RemoveExerciseForm,
    SwapExerciseForm,
)
from programmes.management.commands.plan import Command, intake_data
from programmes.models import ProgrammeRevision
from programmes.planner import Intake, IntakeError
from programmes.selectors import programme_detail
from programmes.serializers import AdjustmentInput, IntakeInput
from programmes.services import (
    CHANGE_KINDS,
    EMPTY_DOSE,
    AddExercise,
    ChangeDose,
    MovePhase,
    RemoveExercise,
    SwapExercise,
)
from rehab import limits
from rehab.exceptions import DomainError
from tests.factories import web_client_for

pytestmark = pytest.mark.django_db

ASSESSED_ON = date(2026, 11, 2)
KEY = "5b0e3c1e-6f0a-4c35-9a51-0d6f2f0c2b11"
# One intake as the API takes it; WEB and CLI below say the same in their own words.
API_BODY: dict[str, Any] = {
    "condition": "ankle_sprain",
    "side": "left",
    "onset": "acute",
    "onset_date": "2026-11-01",
    "assessed_on": "2026-11-02",
    "irritability": "moderate",
    "activity": "runner",
    "age": 31,
    "swelling": "yes",
    "recent_injury": "yes",
    "ottawa": "negative",
    "able_to_bear_weight": False,
    "circulation_or_sensation_problems": True,
    "comorbidities": ["diabetes"],
    "dvt_risks": ["immobilisation"],
    "red_flags": ["sudden_pop"],
}
WEB_FORM = {
    "condition": "ankle_sprain",
    "side": "left",
    "protocol": "",
    "onset": "acute",
    "onset_date": "2026-11-01",
    "irritability": "moderate",
    "activity": "runner",
    "age": "31",
    "weeks_since_surgery": "",
    "swelling": "yes",
    "recent_injury": "yes",
    "ottawa": "negative",
    "thompson": "",
    "cauda_equina": "",
    "cannot_bear_weight": "on",
    "circulation_or_sensation_problems": "on",
    "comorbidities": ["diabetes"],
    "dvt_risks": ["immobilisation"],
    "red_flags": ["sudden_pop"],
    "started_on": "2026-11-02",
    "notes": "",
}
CLI_ARGS = [
    "ankle_sprain",
    "--side=left",
    "--acute",
    "--onset-date=2026-11-01",
    "--irritability=moderate",
    "--activity=runner",
    "--age=31",
    "--swelling=yes",
    "--recent-injury=yes",
    "--ottawa=negative",
    "--cannot-bear-weight",
    "--circulation-problems",
    "--comorbidity=diabetes",
    "--dvt-risk=immobilisation",
    "--red-flag=sudden_pop",
]


def _api_intake(body: dict[str, Any]) -> Intake:
    serializer = IntakeInput(data=body)
    assert serializer.is_valid(), serializer.errors
    return Intake.from_dict(serializer.validated_data)


def _web_form(therapist: Any, patient: Any, data: dict[str, Any]) -> ProgrammeForm:
    return ProgrammeForm(
        data | {"patient": str(patient.pk)},
        patients=patients_visible_to(therapist.user),
        assessed_on=ASSESSED_ON,
    )


def _cli_intake(args: list[str]) -> Intake:
    options = vars(Command().create_parser("manage.py", "plan").parse_args(args))
    return Intake.from_dict(intake_data(options, assessed_on=ASSESSED_ON))


def test_the_web_form_the_api_and_the_cli_read_the_same_intake(
    therapist: Any, patient: Any
) -> None:
    form = _web_form(therapist, patient, WEB_FORM)
    assert form.is_valid(), form.errors
    web = form.intake(assessed_on=ASSESSED_ON)
    api = _api_intake(API_BODY)
    cli = _cli_intake(CLI_ARGS)
    assert web == api == cli
    # Each answer arrived (a field dropped on one edge would read as its default).
    assert api.able_to_bear_weight is False
    assert api.circulation_or_sensation_problems is True
    assert api.onset_date == date(2026, 11, 1)
    assert api.comorbidities == frozenset({"diabetes"})
    assert api.red_flags == frozenset({"sudden_pop"})


def test_a_blank_choice_on_the_form_reads_as_a_missing_key_in_the_api(
    therapist: Any, patient: Any
) -> None:
    form = _web_form(therapist, patient, WEB_FORM | {"onset": "", "onset_date": ""})
    assert form.is_valid(), form.errors
    body = {k: v for k, v in API_BODY.items() if k not in ("onset", "onset_date")}
    assert form.intake(assessed_on=ASSESSED_ON) == _api_intake(body)
    assert form.intake(assessed_on=ASSESSED_ON).onset is None


def test_a_missing_required_screen_is_the_same_field_error_on_the_web_api_and_cli(
    therapist: Any, patient: Any, therapist_user_client: APIClient
) -> None:
    """A sprain without the Ottawa rules: beside the field on the page, a 400 naming the
    field from the API, exit status 2 naming the option from the CLI; never a 500."""
    form = _web_form(therapist, patient, WEB_FORM | {"ottawa": ""})
    assert not form.is_valid()
    web_messages = form.errors["ottawa"]

    body = {k: v for k, v in API_BODY.items() if k != "ottawa"}
    response = therapist_user_client.post("/api/v1/plan-preview/", body, format="json")
    assert response.status_code == 400
    assert response.json()["fields"]["ottawa"] == web_messages

    args = [a for a in CLI_ARGS if not a.startswith("--ottawa")]
    with pytest.raises(CommandError) as error:
        call_command("plan", *args)
    assert error.value.returncode == 2
    assert f"--ottawa: {web_messages[0]}" in str(error.value)


def test_the_web_page_shows_the_error_beside_the_field(therapist: Any, patient: Any) -> None:
    client = web_client_for(therapist.user)
    response = client.post(
        reverse("programme_new"),
        WEB_FORM | {"patient": str(patient.pk), "ottawa": "", "preview": "1"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["ottawa"]


@pytest.fixture
def therapist_user_client(therapist: Any) -> APIClient:
    _, token = AuthToken.objects.create(therapist.user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


# --- Intake.from_dict itself ----------------------------------------------------------------


def test_from_dict_takes_dates_as_date_objects_or_iso_text() -> None:
    as_text = Intake.from_dict({"condition": "ankle_oa", "onset_date": "2026-11-01"})
    as_date = Intake.from_dict({"condition": "ankle_oa", "onset_date": date(2026, 11, 1)})
    assert as_text == as_date
    assert as_date.onset_date == date(2026, 11, 1)


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        ({"condition": ""}, {"condition"}),
        ({"condition": "ankle_oa", "onset_date": datetime(2026, 11, 1, 9, 0)}, {"onset_date"}),
        ({"condition": "ankle_oa", "onset_date": 20261101}, {"onset_date"}),
        (
            {"condition": "ankle_oa", "cleared": "yes", "red_flags": "sudden_pop"},
            {"cleared", "red_flags"},
        ),
        ({"condition": "ankle_oa", "age": True, "side": 1}, {"age", "side"}),
    ],
)
def test_from_dict_names_every_bad_field(data: dict[str, Any], fields: set[str]) -> None:
    with pytest.raises(IntakeError) as error:
        Intake.from_dict(data)
    assert set(error.value.fields) == fields


# --- Programme changes: one reading for the adjust forms and AdjustmentInput ---------------


def _adjust_form(programme: Any, cls: type[AdjustForm], data: dict[str, Any]) -> AdjustForm:
    posted = {f"{cls.action}-{name}": value for name, value in data.items()}
    return cls(
        posted | {"action": cls.action},
        phases=programme_detail(programme),
        programme=programme,
    )


def _api_change(body: dict[str, Any]) -> Any:
    serializer = AdjustmentInput(data=body | {"reason": "Sore."})
    assert serializer.is_valid(), serializer.errors
    data = serializer.validated_data
    return CHANGE_KINDS[data["change"]].from_dict(data)


def _safe_exercise(form: AdjustForm) -> str:
    """An exercise the form offers with no mark (not contraindicated, not clinic only)."""
    return next(slug for slug, label in form.fields["exercise"].choices if " — " not in label)


def test_the_web_form_and_the_api_read_the_same_changes(programme: Any) -> None:
    item = str(programme_detail(programme)[0].items.all()[0].key)
    exercise = _safe_exercise(_adjust_form(programme, AddExerciseForm, {}))
    dose_web = {"sets": "2", "hold_s": "45", "load": "5 kg"}
    dose_api = {"sets": 2, "hold_s": 45, "load": "5 kg"}
    cases = [
        (
            ChangeDoseForm,
            {"item": item} | dose_web,
            {"change": "change_dose", "item": item, "dose": dose_api},
        ),
        (
            AddExerciseForm,
            {"phase": "1", "exercise": exercise, "override_reason": ""} | dose_web,
            {"change": "add_exercise", "phase": 1, "exercise": exercise, "dose": dose_api},
        ),
        (RemoveExerciseForm, {"item": item}, {"change": "remove_exercise", "item": item}),
        (
            SwapExerciseForm,
            {"item": item, "exercise": exercise, "override_reason": ""},
            {"change": "swap_exercise", "item": item, "exercise": exercise},
        ),
        (MovePhaseForm, {"to_phase": "2"}, {"change": "move_phase", "to_phase": 2}),
    ]
    for cls, web, api in cases:
        form = _adjust_form(programme, cls, web | {"reason": "Sore."})
        assert form.is_valid(), (cls.__name__, form.errors)
        assert form.change() == _api_change(api), cls.__name__
    dose = _adjust_form(programme, ChangeDoseForm, {"item": item, "reason": "x"} | dose_web)
    assert dose.is_valid()
    assert dose.change() == ChangeDose(item=uuid.UUID(item), dose=dose_api)


def test_a_dose_change_that_changes_nothing_is_refused_on_the_web_and_in_the_api(
    programme: Any, therapist_user_client: APIClient
) -> None:
    """The web refused it; the API used to record an empty revision."""
    item = str(programme_detail(programme)[0].items.all()[0].key)
    form = _adjust_form(programme, ChangeDoseForm, {"item": item, "reason": "Sore."})
    assert not form.is_valid()
    assert form.non_field_errors() == [EMPTY_DOSE]

    url = f"/api/v1/programmes/{programme.pk}/adjustments/"
    for dose in ({}, None):
        body = {"change": "change_dose", "item": item, "reason": "Sore."}
        response = therapist_user_client.post(
            url, body if dose is None else body | {"dose": dose}, format="json"
        )
        assert response.status_code == 400
        assert response.json()["fields"]["dose"] == [EMPTY_DOSE]
    assert ProgrammeRevision.objects.filter(programme=programme).count() == 1


def test_a_dose_out_of_bounds_has_the_same_message_on_the_web_and_in_the_api(
    programme: Any, therapist_user_client: APIClient
) -> None:
    item = str(programme_detail(programme)[0].items.all()[0].key)
    form = _adjust_form(programme, ChangeDoseForm, {"item": item, "sets": "99", "reason": "x"})
    assert not form.is_valid()
    assert form.errors["sets"] == [limits.DOSE_SETS.message]

    response = therapist_user_client.post(
        f"/api/v1/programmes/{programme.pk}/adjustments/",
        {"change": "change_dose", "item": item, "dose": {"sets": 99}, "reason": "x"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["fields"]["dose.sets"] == [limits.DOSE_SETS.message]

    with pytest.raises(DomainError) as error:
        ChangeDose.from_dict({"item": item, "dose": {"sets": 99}})
    assert error.value.fields == {"sets": [limits.DOSE_SETS.message]}


@pytest.mark.parametrize(
    ("cls", "data", "fields"),
    [
        (ChangeDose, {"dose": {"sets": 2}}, {"item"}),
        (ChangeDose, {"item": "not-a-key", "dose": {"sets": 2}}, {"item"}),
        (ChangeDose, {"item": KEY, "dose": {"colour": "red", "reps": True}}, {"colour", "reps"}),
        (ChangeDose, {"item": KEY, "dose": {"hold_s": 0, "load": 5}}, {"hold_s", "load"}),
        (ChangeDose, {"item": KEY, "dose": [2]}, {"dose"}),
        (AddExercise, {"phase": 0}, {"phase", "exercise"}),
        (SwapExercise, {"item": KEY, "exercise": " "}, {"exercise"}),
        (RemoveExercise, {}, {"item"}),
        (MovePhase, {"to_phase": "2"}, {"to_phase"}),
    ],
)
def test_a_change_from_dict_names_every_bad_field(
    cls: Any, data: dict[str, Any], fields: set[str]
) -> None:
    with pytest.raises(DomainError) as error:
        cls.from_dict(data)
    assert set(error.value.fields) == fields


def test_a_blank_override_reason_is_no_override_not_an_error() -> None:
    """The service strips it and then asks for a real one if the exercise needs it."""
    change = AddExercise.from_dict({"phase": 1, "exercise": "calf_raise", "override_reason": " "})
    assert change.override_reason == " "


def test_a_null_dose_field_clears_it_and_is_a_change() -> None:
    change = ChangeDose.from_dict({"item": KEY, "dose": {"reps_max": None}})
    assert change.dose == {"reps_max": None}
