"""Hostile input to every web form: overlong text, NUL, numbers out of range or not numbers,
absurd dates, unknown time zones, odd unicode and HTML.

A refused submission re-renders its form (200) with a message beside the field, never a 5xx
or a traceback, and stores nothing. Odd but legitimate text (HTML, RTL marks, emoji) is stored
verbatim and every page that shows it escapes it: a raw "<script>" never reaches a page.

Run on PostgreSQL too: DATABASE_URL=postgres://postgres@127.0.0.1:5432/h_hostile ...
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django import forms
from django.test import Client
from django.urls import reverse

from patients.models import (
    Flag,
    Patient,
    SessionLog,
)
from programmes.models import Programme, ProgrammeRevision
from tests import factories
from tests.factories import NOW, web_client_for
from tests.support.snapshot import stored_state

pytestmark = pytest.mark.django_db

NUL = "\x00"
HUGE = "x" * 100_000
SCRIPT = "<script>alert('x')</script>"
IMG = '<img src=x onerror="alert(1)">'
TODAY = NOW.date()


@pytest.fixture
def ctx(patient: Any, programme: Any, therapist: Any, stranger: Any) -> SimpleNamespace:
    item = factories.current_items(programme)[0]
    flag = factories.make_flag(patient, programme=programme, rule="hostile-test")
    newcomer = factories.PatientFactory(therapist=therapist)
    return SimpleNamespace(
        patient=patient,
        programme=programme,
        item=str(item.key),
        flag=flag,
        newcomer=newcomer,
        stranger=stranger,
    )


# --- Form data, as the page would send it --------------------------------------------------


def _initial(client: Client, url: str) -> dict[str, str]:
    form = client.get(url).context["form"]
    data = {name: form[name].value() for name in form.fields}
    return {k: ("" if v is None else str(v)) for k, v in data.items() if v is not False}


def session(
    extra: dict[Any, str] | None = None, slot: int = 1, **over: str
) -> Callable[[Client, SimpleNamespace], dict[str, str]]:
    """The log-session form as shown (the prescribed dose filled in); `extra` keys may be
    callables of the context (per-exercise fields are named after the item's key)."""

    def build(client: Client, c: SimpleNamespace) -> dict[str, str]:
        data = _initial(client, reverse("log_session", args=[slot])) | {"pain_after_nrs": "3"}
        data |= {(k(c) if callable(k) else k): v for k, v in (extra or {}).items()}
        return data | over

    return build


def item_field(name: str) -> Callable[[SimpleNamespace], str]:
    return lambda c: f"{c.item}-{name}"


def exercise(name: str, value: str) -> Callable[[Client, SimpleNamespace], dict[str, str]]:
    return session({item_field(name): value})


def check_in(**over: str) -> Callable[[Client, SimpleNamespace], dict[str, str]]:
    def build(client: Client, c: SimpleNamespace) -> dict[str, str]:
        form = client.get(reverse("check_in")).context["form"]
        data = {"client_uuid": str(form["client_uuid"].value())}
        data |= {name: "no" for name in form.fields if name.startswith("flag_")}
        return data | {"morning_pain_nrs": "2", "stiffness_minutes": "10", "swelling": "no"} | over

    return build


def questionnaire(**over: str) -> Callable[[Client, SimpleNamespace], dict[str, str]]:
    def build(client: Client, c: SimpleNamespace) -> dict[str, str]:
        form = client.get(reverse("questionnaire_new")).context["form"]
        data = {"client_uuid": str(form["client_uuid"].value())}
        for name, field in form.fields.items():
            if isinstance(field, forms.ChoiceField):
                data[name] = str(field.choices[0][0])  # type: ignore[index]
        return data | over

    return build


def preferences(**over: str) -> Callable[[Client, SimpleNamespace], dict[str, str]]:
    base = {"session_times": "08:00, 18:00", "time_zone": "Europe/London", "email_reminders": "on"}
    return lambda client, c: base | over


def new_patient(**over: str) -> Callable[[Client, SimpleNamespace], dict[str, str]]:
    base = {
        "first_name": "Sam",
        "last_name": "Heel",
        "username": "sam.heel",
        "email": "sam@example.org",
        "time_zone": "Europe/London",
        "setup": "password",
        "password": "a-long-first-password",
    }
    return lambda client, c: base | over


def resolve(**over: str) -> Callable[[Client, SimpleNamespace], dict[str, str]]:
    return lambda client, c: {"note": "Phoned the patient."} | over


def intake(**over: Any) -> Callable[[Client, SimpleNamespace], dict[str, Any]]:
    def build(client: Client, c: SimpleNamespace) -> dict[str, Any]:
        data = {
            "patient": "" if "patient" in over else str(c.newcomer.pk),
            "condition": "achilles_midportion",
            "side": "right",
            "protocol": "",
            "onset": "chronic",
            "irritability": "moderate",
            "activity": "runner",
            "age": "44",
            "swelling": "no",
            "recent_injury": "no",
            "started_on": TODAY.isoformat(),
            "notes": "",
        }
        return data | {k: (v(c) if callable(v) else v) for k, v in over.items()}

    return build


def adjust(action: str, **over: Any) -> Callable[[Client, SimpleNamespace], dict[str, str]]:
    """One of the adjust page's forms (fields prefixed with the action)."""
    base = {
        "dose": {"item": None, "sets": "2", "reason": "Settled."},
        "add": {"phase": "1", "exercise": "isometric_calf_hold", "reason": "More load."},
        "remove": {"item": None, "reason": "Not needed."},
        "swap": {"item": None, "exercise": "isometric_calf_hold", "reason": "Easier."},
        "phase": {"to_phase": "2", "reason": "Criteria met."},
    }[action]

    def build(client: Client, c: SimpleNamespace) -> dict[str, str]:
        fields = {k: (c.item if v is None else v) for k, v in base.items()} | over
        return {"action": action} | {f"{action}-{k}": v for k, v in fields.items()}

    return build


def login(**over: str) -> Callable[[Client, SimpleNamespace], dict[str, str]]:
    return lambda client, c: {"username": c.patient.user.username, "password": "nope"} | over


# --- Pages ---------------------------------------------------------------------------------


def log_url(c: SimpleNamespace) -> str:
    return reverse("log_session", args=[1])


def check_in_url(c: SimpleNamespace) -> str:
    return reverse("check_in")


def questionnaire_url(c: SimpleNamespace) -> str:
    return reverse("questionnaire_new")


def preferences_url(c: SimpleNamespace) -> str:
    return reverse("preferences")


def new_patient_url(c: SimpleNamespace) -> str:
    return reverse("patient_create")


def resolve_url(c: SimpleNamespace) -> str:
    return reverse("flag_resolve", args=[c.flag.pk])


def programme_url(c: SimpleNamespace) -> str:
    return reverse("programme_new")


def adjust_url(c: SimpleNamespace) -> str:
    return reverse("programme_adjust", args=[c.programme.pk])


def login_url(c: SimpleNamespace) -> str:
    return reverse("login")


WHO = {
    log_url: "patient",
    check_in_url: "patient",
    questionnaire_url: "patient",
    preferences_url: "patient",
    new_patient_url: "therapist",
    resolve_url: "therapist",
    programme_url: "therapist",
    adjust_url: "therapist",
    login_url: "anonymous",
}


@dataclass(frozen=True)
class Case:
    """A form submission that must be refused beside `field` (None: a form-wide message)."""

    url: Callable[[SimpleNamespace], str]
    data: Callable[[Client, SimpleNamespace], dict[str, Any]]
    field: str | Callable[[SimpleNamespace], str] | None
    prescribe: bool = False  # preview first, then press "Prescribe" (the programme page)


def c(url: Any, data: Any, field: Any, **kwargs: Any) -> Case:
    return Case(url=url, data=data, field=field, **kwargs)


CASES: dict[str, Case] = {
    # --- Log a session -----------------------------------------------------------------
    "session/skip_reason_100k": c(log_url, session(skipped="on", skip_reason=HUGE), "skip_reason"),
    "session/skip_reason_nul": c(
        log_url, session(skipped="on", skip_reason="sore\x00calf"), "skip_reason"
    ),
    "session/skip_reason_blank": c(
        log_url, session(skipped="on", skip_reason="   "), "skip_reason"
    ),
    "session/load_100k": c(log_url, exercise("load", HUGE), item_field("load")),
    "session/load_nul": c(log_url, exercise("load", "5\x00kg"), item_field("load")),
    **{
        f"session/sets_{name}": c(log_url, exercise("sets_done", value), item_field("sets_done"))
        for name, value in {
            "-1": "-1",
            "51": "51",
            "65536": "65536",
            "1e9": "1e9",
            "3.5": "3.5",
            "abc": "abc",
            "20_digits": "9" * 20,
            "5000_digits": "9" * 5000,
            "nul": "3\x00",
        }.items()
    },
    "session/reps_65536": c(log_url, exercise("reps_done", "65536"), item_field("reps_done")),
    "session/pain_during_11": c(
        log_url, exercise("pain_during_nrs", "11"), item_field("pain_during_nrs")
    ),
    **{
        f"session/pain_after_{name}": c(log_url, session(pain_after_nrs=value), "pain_after_nrs")
        for name, value in {"-1": "-1", "11": "11", "1e9": "1e9", "nul": "\x00", "x": "x"}.items()
    },
    "session/client_uuid_bad": c(log_url, session(client_uuid="not-a-uuid"), "client_uuid"),
    "session/client_uuid_nul": c(log_url, session(client_uuid="\x00"), "client_uuid"),
    # --- Morning check-in ----------------------------------------------------------------
    **{
        f"check_in/pain_{name}": c(check_in_url, check_in(morning_pain_nrs=v), "morning_pain_nrs")
        for name, v in {
            "-1": "-1",
            "11": "11",
            "1e9": "1e9",
            "abc": "abc",
            "nul": "\x00",
            "blank": "",
        }.items()
    },
    **{
        f"check_in/stiffness_{name}": c(
            check_in_url, check_in(stiffness_minutes=v), "stiffness_minutes"
        )
        for name, v in {
            "-1": "-1",
            "1441": "1441",
            "65536": "65536",
            "20_digits": "9" * 20,
            "1e3": "1e3",
        }.items()
    },
    "check_in/flag_maybe": c(check_in_url, check_in(flag_sudden_pop="maybe"), "flag_sudden_pop"),
    "check_in/flag_nul": c(check_in_url, check_in(flag_sudden_pop="yes\x00"), "flag_sudden_pop"),
    "check_in/client_uuid_bad": c(check_in_url, check_in(client_uuid="123"), "client_uuid"),
    # --- Questionnaire ------------------------------------------------------------------
    **{
        f"questionnaire/q1_{name}": c(questionnaire_url, questionnaire(q1=v), "q1")
        for name, v in {
            "11": "11",
            "-1": "-1",
            "x": "x",
            "nul": "7\x00",
            "na": "na",
            "7.0": "7.0",
            "blank": "",
        }.items()
    },
    # --- Reminder preferences ---------------------------------------------------------
    **{
        f"preferences/session_times_{name}": c(
            preferences_url, preferences(session_times=v), "session_times"
        )
        for name, v in {
            "25:00": "25:00",
            "nul": "08:00\x00",
            "100k": HUGE,
            "1000_times": "08:00," * 1000,
            "seven": "06:00, 07:00, 08:00, 09:00, 10:00, 11:00, 12:00",
            "blank": "",
            "words": "morning, evening",
        }.items()
    },
    **{
        f"preferences/time_zone_{name}": c(preferences_url, preferences(time_zone=v), "time_zone")
        for name, v in {
            "mars": "Mars/Olympus",
            "blank": "",
            "nul": "UTC\x00",
            "traversal": "../../etc/passwd",
            "directory": "Europe",
            "500_chars": "A" * 500,
        }.items()
    },
    # --- New patient --------------------------------------------------------------------
    "new_patient/username_nul": c(new_patient_url, new_patient(username="sam\x00"), "username"),
    "new_patient/username_html": c(new_patient_url, new_patient(username=SCRIPT), "username"),
    "new_patient/username_100k": c(new_patient_url, new_patient(username=HUGE), "username"),
    "new_patient/username_rtl": c(
        new_patient_url, new_patient(username="sam\u202eheel"), "username"
    ),
    "new_patient/username_taken": c(
        new_patient_url,
        lambda cl, c: new_patient(username=c.patient.user.username)(cl, c),
        "username",
    ),
    "new_patient/first_name_100k": c(new_patient_url, new_patient(first_name=HUGE), "first_name"),
    "new_patient/first_name_nul": c(new_patient_url, new_patient(first_name="S\x00"), "first_name"),
    "new_patient/last_name_nul": c(new_patient_url, new_patient(last_name="\x00"), "last_name"),
    "new_patient/email_nul": c(new_patient_url, new_patient(email="sam@ex\x00.org"), "email"),
    "new_patient/email_100k": c(new_patient_url, new_patient(email=HUGE + "@x.org"), "email"),
    "new_patient/dob_9999": c(
        new_patient_url, new_patient(date_of_birth="9999-12-31"), "date_of_birth"
    ),
    "new_patient/dob_year_1": c(
        new_patient_url, new_patient(date_of_birth="0001-01-01"), "date_of_birth"
    ),
    "new_patient/dob_next_week": c(
        new_patient_url,
        new_patient(date_of_birth=(TODAY + timedelta(days=7)).isoformat()),
        "date_of_birth",
    ),
    "new_patient/dob_feb_30": c(
        new_patient_url, new_patient(date_of_birth="1985-02-30"), "date_of_birth"
    ),
    "new_patient/dob_nul": c(new_patient_url, new_patient(date_of_birth="\x00"), "date_of_birth"),
    **{
        f"new_patient/time_zone_{name}": c(new_patient_url, new_patient(time_zone=v), "time_zone")
        for name, v in {
            "mars": "Mars/Olympus",
            "nul": "UTC\x00",
            "traversal": "../../etc/passwd",
            "directory": "America",
            "500_chars": "A" * 500,
        }.items()
    },
    "new_patient/password_nul": c(
        new_patient_url, new_patient(password="a-long-\x00-password"), "password"
    ),
    "new_patient/password_100k": c(new_patient_url, new_patient(password=HUGE), "password"),
    "new_patient/setup_nul": c(new_patient_url, new_patient(setup="\x00"), "setup"),
    # --- Resolve a flag -----------------------------------------------------------------
    "resolve/note_100k": c(resolve_url, resolve(note=HUGE), "note"),
    "resolve/note_nul": c(resolve_url, resolve(note="phoned\x00"), "note"),
    "resolve/note_blank": c(resolve_url, resolve(note="   "), "note"),
    # --- New programme --------------------------------------------------------------------
    "programme/started_on_9999": c(
        programme_url, intake(started_on="9999-12-31"), "started_on", prescribe=True
    ),
    "programme/started_on_year_1": c(
        programme_url, intake(started_on="0001-01-01"), "started_on", prescribe=True
    ),
    "programme/started_on_in_a_year": c(
        programme_url,
        intake(started_on=(TODAY + timedelta(days=365)).isoformat()),
        "started_on",
        prescribe=True,
    ),
    "programme/started_on_nul": c(programme_url, intake(started_on="\x00"), "started_on"),
    "programme/onset_date_9999": c(programme_url, intake(onset_date="9999-12-31"), "onset_date"),
    "programme/onset_date_feb_30": c(programme_url, intake(onset_date="2026-02-30"), "onset_date"),
    "programme/age_1e9": c(programme_url, intake(age="1e9"), "age"),
    "programme/age_121": c(programme_url, intake(age="121"), "age"),
    "programme/age_-1": c(programme_url, intake(age="-1"), "age"),
    "programme/age_nul": c(programme_url, intake(age="4\x004"), "age"),
    "programme/weeks_since_surgery_65536": c(
        programme_url, intake(weeks_since_surgery="65536"), "weeks_since_surgery"
    ),
    "programme/notes_100k": c(programme_url, intake(notes=HUGE), "notes"),
    "programme/notes_nul": c(programme_url, intake(notes="seen\x00today"), "notes"),
    "programme/patient_not_uuid": c(programme_url, intake(patient="not-a-uuid"), "patient"),
    "programme/patient_nul": c(programme_url, intake(patient="\x00"), "patient"),
    "programme/patient_not_mine": c(
        programme_url, intake(patient=lambda c: str(c.stranger.pk)), "patient"
    ),
    "programme/condition_html": c(programme_url, intake(condition=SCRIPT), "condition"),
    "programme/condition_nul": c(programme_url, intake(condition="\x00"), "condition"),
    "programme/side_up": c(programme_url, intake(side="up"), "side"),
    "programme/red_flag_nul": c(programme_url, intake(red_flags="\x00"), "red_flags"),
    "programme/protocol_1000": c(programme_url, intake(protocol="p" * 1000), "protocol"),
    "programme/activity_nul": c(programme_url, intake(activity="\x00"), "activity"),
    # --- Adjust a programme ---------------------------------------------------------------
    **{
        f"adjust/dose_sets_{name}": c(adjust_url, adjust("dose", sets=v), "sets")
        for name, v in {
            "0": "0",
            "21": "21",
            "65536": "65536",
            "-1": "-1",
            "1e9": "1e9",
            "abc": "abc",
            "nul": "2\x00",
        }.items()
    },
    "adjust/dose_reps_65536": c(adjust_url, adjust("dose", reps="65536"), "reps"),
    "adjust/dose_hold_601": c(adjust_url, adjust("dose", hold_s="601"), "hold_s"),
    "adjust/dose_load_100k": c(adjust_url, adjust("dose", load=HUGE), "load"),
    "adjust/dose_load_nul": c(adjust_url, adjust("dose", load="5 kg\x00"), "load"),
    "adjust/dose_reason_100k": c(adjust_url, adjust("dose", reason=HUGE), "reason"),
    "adjust/dose_reason_nul": c(adjust_url, adjust("dose", reason="sore\x00"), "reason"),
    "adjust/dose_reason_blank": c(adjust_url, adjust("dose", reason=""), "reason"),
    "adjust/dose_item_bad": c(adjust_url, adjust("dose", item="not-a-uuid"), "item"),
    "adjust/dose_item_nul": c(adjust_url, adjust("dose", item="\x00"), "item"),
    "adjust/dose_item_unknown": c(adjust_url, adjust("dose", item=str(uuid.uuid4())), "item"),
    "adjust/dose_nothing": c(adjust_url, adjust("dose", sets=""), None),
    "adjust/add_phase_20_digits": c(adjust_url, adjust("add", phase="9" * 20), "phase"),
    "adjust/add_phase_0": c(adjust_url, adjust("add", phase="0"), "phase"),
    "adjust/add_phase_abc": c(adjust_url, adjust("add", phase="abc"), "phase"),
    "adjust/add_exercise_html": c(adjust_url, adjust("add", exercise=SCRIPT), "exercise"),
    "adjust/add_exercise_nul": c(adjust_url, adjust("add", exercise="\x00"), "exercise"),
    "adjust/add_override_100k": c(
        adjust_url, adjust("add", override_reason=HUGE), "override_reason"
    ),
    "adjust/add_override_nul": c(
        adjust_url, adjust("add", override_reason="ok\x00"), "override_reason"
    ),
    "adjust/remove_item_bad": c(adjust_url, adjust("remove", item="x"), "item"),
    "adjust/swap_item_unknown": c(adjust_url, adjust("swap", item=str(uuid.uuid4())), "item"),
    "adjust/swap_exercise_unknown": c(adjust_url, adjust("swap", exercise="moonwalk"), "exercise"),
    "adjust/swap_reason_nul": c(adjust_url, adjust("swap", reason="\x00"), "reason"),
    "adjust/phase_to_65536": c(adjust_url, adjust("phase", to_phase="65536"), "to_phase"),
    "adjust/phase_to_nul": c(adjust_url, adjust("phase", to_phase="\x00"), "to_phase"),
    "adjust/phase_reason_100k": c(adjust_url, adjust("phase", reason=HUGE), "reason"),
    # --- Sign in ------------------------------------------------------------------------
    "login/username_nul": c(login_url, login(username="pat\x00"), "username"),
    "login/username_100k": c(login_url, login(username=HUGE), "username"),  # a 500 on PostgreSQL
    "login/username_256": c(login_url, login(username="u" * 256), "username"),
    "login/username_151": c(login_url, login(username="u" * 151), "username"),
    "login/password_nul": c(login_url, login(password="secret\x00"), "password"),
}


def _forms(response: Any) -> list[forms.BaseForm]:
    found = []
    contexts = response.context if isinstance(response.context, list) else [response.context]
    for context in contexts:
        for value in context.flatten().values():
            values = value if isinstance(value, list | tuple) else [value]
            found += [v for v in values if isinstance(v, forms.BaseForm) and v not in found]
    return found


@pytest.mark.parametrize("case", [pytest.param(v, id=k) for k, v in CASES.items()])
def test_a_hostile_form_is_refused_beside_the_field_and_stores_nothing(
    case: Case, ctx: SimpleNamespace, request: pytest.FixtureRequest
) -> None:
    who = WHO[case.url]
    client = {
        "patient": lambda: web_client_for(ctx.patient.user),
        "therapist": lambda: web_client_for(ctx.patient.therapist.user),
        "anonymous": Client,
    }[who]()
    url = case.url(ctx)
    data = case.data(client, ctx)
    before = stored_state()

    if case.prescribe:
        preview = client.post(url, data | {"preview": "1"})
        assert preview.status_code == 200
        fingerprint = preview.context["form"].fingerprint()
        data = data | {"prescribe": "1", "previewed": fingerprint}
    response = client.post(url, data)

    assert response.status_code == 200, response.content[:300]
    assert b"Traceback" not in response.content
    posted = [f for f in _forms(response) if f.is_bound]
    assert posted, "the submitted form is shown again"
    field = case.field(ctx) if callable(case.field) else case.field
    if field is None:
        assert any(f.non_field_errors() for f in posted)
    else:
        assert any(field in f.errors for f in posted), [dict(f.errors) for f in posted]
    assert stored_state() == before


def test_a_body_over_the_limit_is_a_400_page_not_a_500(ctx: SimpleNamespace) -> None:
    """Django refuses a form body over DATA_UPLOAD_MAX_MEMORY_SIZE (or with over 1000 fields)
    before any view runs: a 400 page, nothing stored."""
    client = web_client_for(ctx.patient.user)
    before = stored_state()
    big = client.post(reverse("check_in"), {"morning_pain_nrs": "x" * (3 * 2**20)})
    many = client.post(reverse("check_in"), {f"f{n}": "1" for n in range(2000)})
    assert (big.status_code, many.status_code) == (400, 400)
    assert stored_state() == before


def test_undecodable_bytes_and_encoded_surrogates_are_replaced_not_a_500(
    ctx: SimpleNamespace,
) -> None:
    """A form body is decoded with replacement: bytes that are not UTF-8 (or a surrogate in
    CESU-8) arrive as U+FFFD, so they cannot reach the database as they came."""
    client = web_client_for(ctx.patient.user)
    data = session(skipped="on")(client, ctx)
    body = "&".join(f"{k}={v}" for k, v in data.items() if k != "skip_reason")
    body += "&skip_reason=sore%ED%A0%80calf%FF%FE"
    response = client.post(
        reverse("log_session", args=[1]), body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 302
    reason = SessionLog.objects.get(patient=ctx.patient, slot=1).skip_reason
    assert reason.startswith("sore")
    assert reason.endswith("calf\ufffd\ufffd")
    assert "\ud800" not in reason


@pytest.mark.parametrize("slot", ["0", "7", "99999999999999999999999"])
def test_a_session_slot_out_of_range_is_a_404(ctx: SimpleNamespace, slot: str) -> None:
    client = web_client_for(ctx.patient.user)
    assert client.get(f"/today/sessions/{slot}/").status_code == 404
    assert client.post(f"/today/sessions/{slot}/", {"pain_after_nrs": "3"}).status_code == 404


# --- HTML and odd text: kept verbatim, escaped on every page --------------------------------

ODD = {
    "rtl_override": "pain \u202eeid\u202c after stairs",
    "zero_width": "heel\u200b\u200c\u200ddrop",
    "emoji": "🦶🔥👨\u200d👩\u200d👧",
    "combining": "Z" + "\u0301\u0302\u0303" * 10,
}


def test_html_in_every_free_text_field_is_stored_verbatim_and_escaped_on_every_page(
    therapist: Any, therapist_client: Client
) -> None:
    # The therapist adds a patient whose name is markup, prescribes with markup in the notes,
    # changes a dose with markup in the load and the reason.
    response = therapist_client.post(
        reverse("patient_create"),
        new_patient(first_name=SCRIPT, last_name=IMG, username="evil.name")(therapist_client, None),
    )
    assert response.status_code == 302
    patient = Patient.objects.get(user__username="evil.name")
    assert (patient.user.first_name, patient.user.last_name) == (SCRIPT, IMG)
    data = intake(patient=str(patient.pk), notes=f"{SCRIPT} notes")(therapist_client, None)
    preview = therapist_client.post(reverse("programme_new"), data | {"preview": "1"})
    prescribed = therapist_client.post(
        reverse("programme_new"),
        data | {"prescribe": "1", "previewed": preview.context["form"].fingerprint()},
    )
    assert prescribed.status_code == 302, prescribed.content[:500]
    programme = Programme.objects.get(patient=patient)
    assert programme.diagnosis.notes == f"{SCRIPT} notes"
    item = programme.current_revision.phases.get(position=1).items.first()
    adjusted = therapist_client.post(
        reverse("programme_adjust", args=[programme.pk]),
        {
            "action": "dose",
            "dose-item": str(item.key),
            "dose-load": f"{IMG} 5 kg",
            "dose-reason": f"{SCRIPT} <3 sets & more",
        },
    )
    assert adjusted.status_code == 302, adjusted.content[:500]
    assert ProgrammeRevision.objects.get(programme=programme, number=2).reason == (
        f"{SCRIPT} <3 sets & more"
    )

    # The patient skips a session with markup as the reason, logs another with markup as the
    # load, and reports a red flag.
    patient_client = web_client_for(patient.user)
    skipped = patient_client.post(
        reverse("log_session", args=[1]),
        session(skipped="on", skip_reason=f"{SCRIPT} too sore")(patient_client, None),
    )
    assert skipped.status_code == 302
    item_key = str(programme.current_revision.phases.get(position=1).items.first().key)
    load_data = session({f"{item_key}-load": IMG}, slot=2)(patient_client, None)
    logged = patient_client.post(reverse("log_session", args=[2]), load_data)
    assert logged.status_code in (302, 404), logged.content[:300]  # slot 2 exists if twice a day
    assert SessionLog.objects.get(patient=patient, slot=1).skip_reason == f"{SCRIPT} too sore"
    flagged = patient_client.post(
        reverse("check_in"), check_in(flag_sudden_pop="yes")(patient_client, None)
    )
    assert flagged.status_code == 302

    # The therapist resolves the red flag with markup in the note, once as htmx.
    flag = Flag.objects.get(patient=patient, kind=Flag.Kind.RED_FLAG)
    partial = therapist_client.post(
        reverse("flag_resolve", args=[flag.pk]),
        {"note": f"{SCRIPT} phoned"},
        HTTP_HX_REQUEST="true",
    )
    assert partial.status_code == 200
    assert b"&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; phoned" in partial.content
    flag.refresh_from_db()
    assert flag.resolution_note == f"{SCRIPT} phoned"

    therapist_pages = [
        reverse("caseload"),
        reverse("patient_detail", args=[patient.pk]),
        reverse("programme_adjust", args=[programme.pk]),
        reverse("flag_resolve", args=[flag.pk]),
        reverse("programme_new") + f"?patient={patient.pk}",
        reverse("notifications"),
    ]
    patient_pages = [
        reverse("today"),
        reverse("log_session", args=[1]),
        reverse("check_in"),
        reverse("check_in_result"),
        reverse("questionnaires"),
        reverse("questionnaire_new"),
        reverse("progress"),
        reverse("preferences"),
        reverse("notifications"),
    ]
    pages = {}
    for client, urls in ((therapist_client, therapist_pages), (patient_client, patient_pages)):
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            pages[url] = response.content.decode()
    for url, page in pages.items():
        assert "<script>alert" not in page, url
        assert "<img src=x" not in page, url
        assert "onerror=" not in page.replace("onerror=&quot;", ""), url
    detail = pages[reverse("patient_detail", args=[patient.pk])]
    escaped = "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"
    assert f"{escaped} too sore" in detail  # the skip reason
    assert f"{escaped} phoned" in detail  # the resolution note
    assert f"{escaped} &lt;img src=x" in detail  # the name: first and last
    assert (
        f"{escaped} &lt;3 sets &amp; more"
        in pages[reverse("programme_adjust", args=[programme.pk])]
    )
    assert f"{escaped} too sore</textarea>" in pages[reverse("log_session", args=[1])]


@pytest.mark.parametrize("text", [pytest.param(v, id=k) for k, v in ODD.items()])
def test_odd_unicode_is_kept_verbatim_and_shown(
    text: str, ctx: SimpleNamespace, therapist_client: Client
) -> None:
    patient_client = web_client_for(ctx.patient.user)
    response = patient_client.post(
        reverse("log_session", args=[1]),
        session(skipped="on", skip_reason=text)(patient_client, ctx),
    )
    assert response.status_code == 302
    assert SessionLog.objects.get(patient=ctx.patient, slot=1).skip_reason == text
    resolved = therapist_client.post(reverse("flag_resolve", args=[ctx.flag.pk]), {"note": text})
    assert resolved.status_code == 302
    ctx.flag.refresh_from_db()
    assert ctx.flag.resolution_note == text
    page = therapist_client.get(reverse("patient_detail", args=[ctx.patient.pk])).content.decode()
    assert page.count(text) >= 2
