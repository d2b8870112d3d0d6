"""Hostile input to every write endpoint of the API: oversized bodies, deep nesting, wrong JSON
types, out-of-range numbers, absurd dates and times, unknown time zones, odd unicode and HTML.

Every refused request must answer 400 / 401 / 413 / 415 with the API's JSON error body (naming
the field where there is one), never a 5xx or a traceback, and must store nothing. Text that is
legitimate however odd (emoji, RTL marks, combining marks, "<script>") is stored verbatim and
returned as JSON text; the web pages escape it (tests/web/test_hostile_input.py).

Run on PostgreSQL too (NUL and unpaired surrogates only fail there or in the driver):
DATABASE_URL=postgres://postgres@127.0.0.1:5432/h_hostile .venv/bin/pytest tests/api/...
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from patients.activity.services import ExerciseDone, record_session
from patients.models import (
    Diagnosis,
)
from tests import factories
from tests.api.conftest import local_today, session_body
from tests.factories import current_items
from tests.support.snapshot import stored_state

MiB = 1024 * 1024
LIMIT = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
NUL = "\x00"
LONE_HIGH = "\ud800"  # an unpaired UTF-16 surrogate: json.loads accepts it, no database does
LONE_LOW = "\udfff"
HUGE = "x" * 100_000
DEEP = 10_000
VISA_A = {
    "q1": 7, "q2": 7, "q3": 7, "q4": 7, "q5": 7, "q6": 7, "q7": 7,
    "q8_group": 1, "q8_minutes_band": 2,
}  # fmt: skip

# Odd but legitimate text: kept verbatim (escaped on output by the web pages).
ODD_TEXTS = {
    "html": "<script>alert('x')</script> & <b>bold</b> <3 sets",
    "rtl_override": "pain \u202eeid\u202c after stairs",
    "zero_width": "heel\u200b\u200c\u200d\ufeffdrop",
    "emoji": "🦶🔥👨\u200d👩\u200d👧\u200d👦",
    "combining": "Z" + "\u0301\u0302\u0303\u0308" * 20,
    "long_grapheme": "e" + "\u0301" * 90,
    "rtl_script": "ألم في الكعب",
}


# --- The cast ------------------------------------------------------------------------------


@pytest.fixture
def ctx(patient: Any, programme: Any, therapist: Any) -> SimpleNamespace:
    """A patient on a programme with one logged session, an open flag, and a second patient
    of the same therapist without a programme (to prescribe for)."""
    items = current_items(programme)
    today = local_today(patient)
    log = record_session(
        patient=patient,
        client_uuid=uuid.uuid4(),
        local_date=today,
        slot=2,
        logged_at=timezone.now(),
        exercises=[ExerciseDone(item_key=items[0].key, sets_done=1)],
        pain_after_nrs=2,
        now=timezone.now(),
    ).obj
    flag = factories.make_flag(patient, programme=programme, rule="hostile-test")
    newcomer = factories.PatientFactory(therapist=therapist)
    return SimpleNamespace(
        patient=patient,
        programme=programme,
        item=str(items[0].key),
        today=today,
        log=log,
        flag=flag,
        newcomer=newcomer,
    )


# --- Bodies --------------------------------------------------------------------------------


def _resolve(value: Any, c: SimpleNamespace) -> Any:
    return value(c) if callable(value) else value


def _days(n: int) -> Callable[[SimpleNamespace], str]:
    """The patient's own today plus `n` days, as text."""
    return lambda c: (c.today + timedelta(days=n)).isoformat()


def session(**over: Any) -> Callable[[SimpleNamespace], Any]:
    def build(c: SimpleNamespace) -> Any:
        body = session_body(c.patient, c.programme, client_uuid=str(uuid.uuid4()))
        return body | {k: _resolve(v, c) for k, v in over.items()}

    return build


def exercise(**over: Any) -> Callable[[SimpleNamespace], Any]:
    def build(c: SimpleNamespace) -> Any:
        entry = {"item_key": c.item, "sets_done": 3, "pain_during_nrs": 2}
        entry |= {k: _resolve(v, c) for k, v in over.items()}
        return session_body(c.patient, c.programme, client_uuid=str(uuid.uuid4())) | {
            "exercises": [entry]
        }

    return build


def change(**over: Any) -> Callable[[SimpleNamespace], Any]:
    """A PUT/PATCH body for the logged session."""
    return lambda c: {"status": "done", "pain_after_nrs": 3, "exercises": []} | over


def check_in(**over: Any) -> Callable[[SimpleNamespace], Any]:
    def build(c: SimpleNamespace) -> Any:
        body = {
            "client_uuid": str(uuid.uuid4()),
            "local_date": c.today.isoformat(),
            "morning_pain_nrs": 3,
            "stiffness_minutes": 10,
            "red_flags": [],
        }
        return body | {k: _resolve(v, c) for k, v in over.items()}

    return build


def response(extra: dict[str, Any] | None = None, **over: Any) -> Callable[..., Any]:
    """A VISA-A response; `extra` answers are merged in, `answers=` replaces them all."""

    def build(c: SimpleNamespace) -> Any:
        body = {
            "client_uuid": str(uuid.uuid4()),
            "questionnaire": "visa_a",
            "local_date": c.today.isoformat(),
            "answers": VISA_A | (extra or {}),
        }
        return body | {k: _resolve(v, c) for k, v in over.items()}

    return build


def login(**over: Any) -> Callable[[SimpleNamespace], Any]:
    return lambda c: {"username": c.patient.user.username, "password": "wrong-password"} | over


def new_patient(**over: Any) -> Callable[[SimpleNamespace], Any]:
    return lambda c: (
        {"username": "sam.heel", "time_zone": "Europe/London"}
        | {k: _resolve(v, c) for k, v in over.items()}
    )


INTAKE = {
    "condition": "achilles_midportion",
    "side": "right",
    "swelling": "no",
    "recent_injury": "no",
    "age": 40,
}


def intake(**over: Any) -> Callable[[SimpleNamespace], Any]:
    return lambda c: INTAKE | over


def prescribe(**over: Any) -> Callable[[SimpleNamespace], Any]:
    def build(c: SimpleNamespace) -> Any:
        body = {"intake": INTAKE, "started_on": c.today.isoformat(), "notes": ""}
        return body | {k: _resolve(v, c) for k, v in over.items()}

    return build


def adjust(**over: Any) -> Callable[[SimpleNamespace], Any]:
    return lambda c: (
        {
            "change": "change_dose",
            "item": c.item,
            "dose": {"sets": 2},
            "reason": "Pain settled.",
        }
        | {k: _resolve(v, c) for k, v in over.items()}
    )


def dose(**over: Any) -> Callable[[SimpleNamespace], Any]:
    return adjust(dose=over)


def resolve(**over: Any) -> Callable[[SimpleNamespace], Any]:
    return lambda c: {"note": "Phoned the patient."} | over


def me(**over: Any) -> Callable[[SimpleNamespace], Any]:
    return lambda c: over


def nested(depth: int, leaf: Any = 1) -> Any:
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


def deep_raw(depth: int) -> bytes:
    return ('{"a":' * depth + "1" + "}" * depth).encode()


# --- Endpoints -----------------------------------------------------------------------------

SESSIONS = "/api/v1/sessions/"
CHECK_INS = "/api/v1/check-ins/"
RESPONSES = "/api/v1/questionnaire-responses/"
SYNC = "/api/v1/sync/"
ME = "/api/v1/me/"
LOGIN = "/api/v1/auth/login/"
CASELOAD = "/api/v1/caseload/"
PREVIEW = "/api/v1/plan-preview/"
MARK_READ = "/api/v1/notifications/mark-read/"


def log_url(c: SimpleNamespace) -> str:
    return f"/api/v1/sessions/{c.log.pk}/"


def prescribe_url(c: SimpleNamespace) -> str:
    return f"/api/v1/patients/{c.newcomer.pk}/programmes/"


def adjust_url(c: SimpleNamespace) -> str:
    return f"/api/v1/programmes/{c.programme.pk}/adjustments/"


def resolve_url(c: SimpleNamespace) -> str:
    return f"/api/v1/flags/{c.flag.pk}/resolve/"


WHO = {
    SESSIONS: "patient",
    CHECK_INS: "patient",
    RESPONSES: "patient",
    SYNC: "patient",
    ME: "patient",
    LOGIN: "anonymous",
    CASELOAD: "therapist",
    PREVIEW: "therapist",
    MARK_READ: "patient",
    log_url: "patient",
    prescribe_url: "therapist",
    adjust_url: "therapist",
    resolve_url: "therapist",
}


@dataclass(frozen=True)
class Case:
    """One hostile request: `body` is JSON data (sent as text with ASCII escapes, so lone
    surrogates arrive as the client wrote them) or `raw` bytes; `field` is the field the
    error body must name (None: a whole-body error such as a parse error)."""

    url: str | Callable[[SimpleNamespace], str]
    body: Any = None
    status: int = 400
    field: str | None = None
    method: str = "post"
    raw: bytes | Callable[[], bytes] | None = None
    content_type: str = "application/json"
    headers: dict[str, str] | None = None  # extra WSGI environ
    who: str | None = None  # patient / therapist / anonymous (default: by URL)
    code: str | None = None


def c(url: Any, body: Any, field: str | None = None, **kwargs: Any) -> Case:
    return Case(url=url, body=body, field=field, **kwargs)


def too_big(url: Any) -> Case:
    """A syntactically valid JSON body a few MiB over the limit."""

    def raw() -> bytes:
        return json.dumps({"skip_reason": "x" * (LIMIT + 3 * MiB)}).encode()

    return Case(url=url, raw=raw, status=413, code="request_too_large")


def deep(url: Any) -> Case:
    return Case(url=url, raw=deep_raw(DEEP), code="parse_error")


def raw(url: Any, body: bytes, status: int = 400, code: str = "parse_error", **kw: Any) -> Case:
    return Case(url=url, raw=body, status=status, code=code, **kw)


CASES: dict[str, Case] = {
    # --- Oversized ---------------------------------------------------------------------
    "sessions/5MiB_body": too_big(SESSIONS),
    "sync/5MiB_body": too_big(SYNC),
    "login/5MiB_body": too_big(LOGIN),
    "caseload/5MiB_body": too_big(CASELOAD),
    "adjust/5MiB_body": too_big(adjust_url),
    "sessions/whitespace_padding_over_limit": raw(
        SESSIONS, b"{}" + b" " * (LIMIT + 1), status=413, code="request_too_large"
    ),
    "sessions/content_length_lies_10GiB": Case(
        url=SESSIONS,
        raw=b"{}",
        status=413,
        code="request_too_large",
        headers={"CONTENT_LENGTH": str(10 * 1024**3)},
    ),
    "sync/501_records": c(SYNC, lambda c: {"records": [{"type": "session"}] * 501}, "records"),
    "sync/20000_tiny_records": c(SYNC, lambda c: {"records": [{}] * 20_000}, "records"),
    "sessions/skip_reason_100k": c(
        SESSIONS, session(status="skipped", skip_reason=HUGE), "skip_reason"
    ),
    "sessions/load_100k": c(SESSIONS, exercise(load=HUGE), "exercises.0.load"),
    "sessions/5000_exercises": c(
        SESSIONS,
        lambda c: session()(c) | {"exercises": [{"item_key": c.item}] * 5000},
        "exercises",
    ),
    "sessions/50_exercises_not_in_programme": c(
        SESSIONS,
        lambda c: (
            session()(c) | {"exercises": [{"item_key": str(uuid.uuid4())} for _ in range(50)]}
        ),
        "exercises",
    ),
    "check_ins/5000_red_flags": c(
        CHECK_INS, check_in(red_flags=["sudden_pop"] * 5000), "red_flags"
    ),
    "check_ins/red_flag_100k": c(CHECK_INS, check_in(red_flags=[HUGE]), "red_flags"),
    "responses/10000_answers": c(
        RESPONSES, response({f"k{n}": 1 for n in range(10_000)}), "answers"
    ),
    "responses/answer_key_100k": c(RESPONSES, response({HUGE: 1}), "answers"),
    "me/1000_session_times": c(
        ME, me(session_times=["08:00"] * 1000), "session_times", method="patch"
    ),
    "me/time_zone_100k": c(ME, me(time_zone=HUGE), "time_zone", method="patch"),
    "login/username_100k": c(LOGIN, login(username=HUGE), "username"),
    "login/password_100k": c(LOGIN, login(password=HUGE), "password"),
    "login/device_name_100k": c(LOGIN, login(device_name=HUGE), "device_name"),
    "caseload/username_100k": c(CASELOAD, new_patient(username=HUGE), "username"),
    "caseload/first_name_100k": c(CASELOAD, new_patient(first_name=HUGE), "first_name"),
    "caseload/email_100k": c(CASELOAD, new_patient(email=HUGE + "@example.org"), "email"),
    "preview/condition_100k": c(PREVIEW, intake(condition=HUGE), "condition"),
    "preview/5000_red_flags": c(PREVIEW, intake(red_flags=["sudden_pop"] * 5000), "red_flags"),
    "prescribe/notes_100k": c(prescribe_url, prescribe(notes=HUGE), "notes"),
    "adjust/reason_100k": c(adjust_url, adjust(reason=HUGE), "reason"),
    "adjust/override_reason_100k": c(adjust_url, adjust(override_reason=HUGE), "override_reason"),
    "adjust/dose_load_100k": c(adjust_url, dose(load=HUGE), "dose.load"),
    "adjust/exercise_100k": c(
        adjust_url, adjust(change="swap_exercise", exercise=HUGE), "exercise"
    ),
    "resolve/note_100k": c(resolve_url, resolve(note=HUGE), "note"),
    "mark_read/10000_ids": c(MARK_READ, lambda c: {"ids": [str(uuid.uuid4())] * 10_000}, "ids"),
    # --- Deep nesting ------------------------------------------------------------------
    "sessions/nested_10000": deep(SESSIONS),
    "sync/nested_10000": deep(SYNC),
    "login/nested_10000": deep(LOGIN),
    "caseload/nested_10000": deep(CASELOAD),
    "prescribe/nested_10000": deep(prescribe_url),
    "adjust/nested_10000": deep(adjust_url),
    "resolve/nested_10000": deep(resolve_url),
    "me/nested_10000": Case(url=ME, raw=deep_raw(DEEP), method="patch", code="parse_error"),
    "sessions/nested_200_lists": raw(SESSIONS, json.dumps(nested(200)).encode()),
    "sessions/nested_list_in_load": c(SESSIONS, exercise(load=nested(20, "x")), "exercises.0.load"),
    "responses/nested_answer": c(RESPONSES, response({"q1": nested(25)}), "q1"),
    "sync/nested_in_record": c(
        SYNC, lambda c: {"records": [{"type": "session", "deep": nested(25)}]}, None, status=200
    ),
    # --- Malformed JSON, wrong content type ---------------------------------------------
    "sessions/malformed": raw(SESSIONS, b"{not json"),
    "sessions/trailing_garbage": raw(SESSIONS, b'{"slot": 1} trailing'),
    "sessions/NaN": raw(SESSIONS, b'{"slot": NaN}'),
    "sessions/Infinity": raw(SESSIONS, b'{"pain_after_nrs": -Infinity}'),
    "sessions/5000_digit_number": raw(SESSIONS, b'{"slot": ' + b"9" * 5000 + b"}"),
    "sessions/invalid_utf8": raw(SESSIONS, b'{"skip_reason": "\xff\xfe"}'),
    "sessions/utf8_bom": raw(SESSIONS, b'\xef\xbb\xbf{"slot": 1}'),
    "sessions/empty_body_json": raw(SESSIONS, b"", code="invalid"),
    "sessions/text_plain": raw(
        SESSIONS, b"{}", status=415, code="unsupported_media_type", content_type="text/plain"
    ),
    "sessions/form_urlencoded": raw(
        SESSIONS,
        b"slot=1",
        status=415,
        code="unsupported_media_type",
        content_type="application/x-www-form-urlencoded",
    ),
    "sessions/no_content_type": raw(
        SESSIONS, b"{}", status=415, code="unsupported_media_type", content_type=""
    ),
    "sessions/json_lookalike_type": raw(
        SESSIONS, b"{}", status=415, code="unsupported_media_type", content_type="application/jsonx"
    ),
    **{
        f"sessions/charset_{charset}": raw(
            SESSIONS,
            b'{"slot": 1}',
            status=415,
            code="unsupported_media_type",
            content_type=f"application/json; charset={charset}",
        )
        for charset in ("utf-16", "rot13", "zlib", "base64", "hex", "bz2", "idna")
    },
    "sessions/charset_100k": raw(
        SESSIONS,
        b'{"slot": 1}',
        status=415,
        code="unsupported_media_type",
        content_type="application/json; charset=" + "x" * 10_000,
    ),
    "login/malformed": raw(LOGIN, b'{"username": '),
    "sync/malformed": raw(SYNC, b'{"records": [}'),
    "caseload/text_plain": raw(
        CASELOAD,
        b"username=x",
        status=415,
        code="unsupported_media_type",
        content_type="text/plain",
    ),
    # --- Wrong JSON types --------------------------------------------------------------
    "sessions/body_list": c(SESSIONS, lambda c: [1, 2], "non_field_errors"),
    "sessions/body_string": c(SESSIONS, lambda c: "session", "non_field_errors"),
    "sessions/body_number": c(SESSIONS, lambda c: 7, "non_field_errors"),
    "sessions/body_null": c(SESSIONS, lambda c: None, "non_field_errors"),
    "sessions/body_true": c(SESSIONS, lambda c: True, "non_field_errors"),
    "sessions/slot_string": c(SESSIONS, session(slot="1"), "slot"),
    "sessions/slot_float": c(SESSIONS, session(slot=1.5), "slot"),
    "sessions/slot_bool": c(SESSIONS, session(slot=True), "slot"),
    "sessions/slot_null": c(SESSIONS, session(slot=None), "slot"),
    "sessions/slot_list": c(SESSIONS, session(slot=[1]), "slot"),
    "sessions/slot_1e400": Case(url=SESSIONS, raw=b'{"slot": 1e400}', field="slot", code="invalid"),
    "sessions/pain_string": c(SESSIONS, session(pain_after_nrs="3"), "pain_after_nrs"),
    "sessions/pain_float": c(SESSIONS, session(pain_after_nrs=3.0), "pain_after_nrs"),
    "sessions/pain_bool": c(SESSIONS, session(pain_after_nrs=False), "pain_after_nrs"),
    "sessions/local_date_number": c(SESSIONS, session(local_date=20261103), "local_date"),
    "sessions/local_date_null": c(SESSIONS, session(local_date=None), "local_date"),
    "sessions/client_uuid_number": c(SESSIONS, session(client_uuid=12345), "client_uuid"),
    "sessions/client_uuid_false": c(SESSIONS, session(client_uuid=False), "client_uuid"),
    "sessions/client_uuid_null": c(SESSIONS, session(client_uuid=None), "client_uuid"),
    "sessions/client_uuid_object": c(SESSIONS, session(client_uuid={"a": 1}), "client_uuid"),
    "sessions/status_bool": c(SESSIONS, session(status=True), "status"),
    "sessions/status_list": c(SESSIONS, session(status=["done"]), "status"),
    "sessions/status_unknown": c(SESSIONS, session(status="exploded"), "status"),
    "sessions/skip_reason_number": c(SESSIONS, session(skip_reason=5), "skip_reason"),
    "sessions/skip_reason_object": c(SESSIONS, session(skip_reason={"a": "b"}), "skip_reason"),
    "sessions/exercises_object": c(SESSIONS, session(exercises={"a": 1}), "exercises"),
    "sessions/exercises_string": c(SESSIONS, session(exercises="all"), "exercises"),
    "sessions/exercises_null": c(SESSIONS, session(exercises=None), "exercises"),
    "sessions/exercises_numbers": c(SESSIONS, session(exercises=[1, 2]), "exercises"),
    "sessions/exercises_nested_list": c(SESSIONS, session(exercises=[[]]), "exercises"),
    "sessions/item_key_number": c(SESSIONS, exercise(item_key=5), "exercises.0.item_key"),
    "sessions/item_key_bad": c(SESSIONS, exercise(item_key="not-a-uuid"), "exercises.0.item_key"),
    "sessions/sets_string": c(SESSIONS, exercise(sets_done="3"), "exercises.0.sets_done"),
    "sessions/sets_bool": c(SESSIONS, exercise(sets_done=True), "exercises.0.sets_done"),
    "sessions/sets_float": c(SESSIONS, exercise(sets_done=2.5), "exercises.0.sets_done"),
    "sessions/load_number": c(SESSIONS, exercise(load=5), "exercises.0.load"),
    "sessions/load_null": c(SESSIONS, exercise(load=None), "exercises.0.load"),
    "sessions/logged_at_number": c(SESSIONS, session(logged_at=1_700_000_000), "logged_at"),
    "sessions/logged_at_bool": c(SESSIONS, session(logged_at=True), "logged_at"),
    "check_ins/pain_string": c(CHECK_INS, check_in(morning_pain_nrs="3"), "morning_pain_nrs"),
    "check_ins/pain_float": c(CHECK_INS, check_in(morning_pain_nrs=3.5), "morning_pain_nrs"),
    "check_ins/pain_bool": c(CHECK_INS, check_in(morning_pain_nrs=True), "morning_pain_nrs"),
    "check_ins/pain_null": c(CHECK_INS, check_in(morning_pain_nrs=None), "morning_pain_nrs"),
    "check_ins/stiffness_string": c(
        CHECK_INS, check_in(stiffness_minutes="10"), "stiffness_minutes"
    ),
    "check_ins/red_flags_object": c(
        CHECK_INS, check_in(red_flags={"sudden_pop": True}), "red_flags"
    ),
    "check_ins/red_flags_string": c(CHECK_INS, check_in(red_flags="sudden_pop"), "red_flags"),
    "check_ins/red_flags_numbers": c(CHECK_INS, check_in(red_flags=[1]), "red_flags"),
    "check_ins/red_flags_null_item": c(CHECK_INS, check_in(red_flags=[None]), "red_flags"),
    "check_ins/red_flag_unknown": c(CHECK_INS, check_in(red_flags=["itchy"]), "red_flags"),
    "responses/answers_list": c(RESPONSES, response(answers=[7, 7]), "answers"),
    "responses/answers_string": c(RESPONSES, response(answers="all sevens"), "answers"),
    "responses/answers_null": c(RESPONSES, response(answers=None), "answers"),
    "responses/answer_string": c(RESPONSES, response({"q1": "7"}), "q1"),
    "responses/answer_float": c(RESPONSES, response({"q1": 7.0}), "q1"),
    "responses/answer_bool": c(RESPONSES, response({"q1": True}), "q1"),
    "responses/answer_object": c(RESPONSES, response({"q1": {"value": 7}}), "q1"),
    "responses/questionnaire_unknown": c(
        RESPONSES, response(questionnaire="sf36"), "questionnaire"
    ),
    "responses/questionnaire_number": c(RESPONSES, response(questionnaire=1), "questionnaire"),
    "me/time_zone_number": c(ME, me(time_zone=1), "time_zone", method="patch"),
    "me/time_zone_null": c(ME, me(time_zone=None), "time_zone", method="patch"),
    "me/session_times_string": c(ME, me(session_times="08:00"), "session_times", method="patch"),
    "me/session_times_object": c(
        ME, me(session_times={"a": "08:00"}), "session_times", method="patch"
    ),
    "me/session_times_numbers": c(ME, me(session_times=[8]), "session_times", method="patch"),
    "me/session_times_null_item": c(ME, me(session_times=[None]), "session_times", method="patch"),
    "me/email_reminders_string": c(
        ME, me(email_reminders="true"), "email_reminders", method="patch"
    ),
    "me/email_reminders_number": c(ME, me(email_reminders=1), "email_reminders", method="patch"),
    "me/email_reminders_null": c(ME, me(email_reminders=None), "email_reminders", method="patch"),
    "me/body_list": c(ME, lambda c: ["time_zone"], "non_field_errors", method="patch"),
    "log/put_body_list": c(log_url, lambda c: [], "non_field_errors", method="put"),
    "log/patch_body_string": c(log_url, lambda c: "done", "non_field_errors", method="patch"),
    "log/patch_pain_string": c(
        log_url, change(pain_after_nrs="4"), "pain_after_nrs", method="patch"
    ),
    "log/put_exercises_object": c(log_url, change(exercises={}), "exercises", method="put"),
    "sync/records_object": c(SYNC, lambda c: {"records": {"0": {}}}, "records"),
    "sync/records_string": c(SYNC, lambda c: {"records": "all of them"}, "records"),
    "sync/records_numbers": c(SYNC, lambda c: {"records": [1, 2]}, "records"),
    "sync/records_null": c(SYNC, lambda c: {"records": None}, "records"),
    "sync/body_list": c(SYNC, lambda c: [{"type": "session"}], "non_field_errors"),
    "login/username_number": c(LOGIN, login(username=12345), "username"),
    "login/username_null": c(LOGIN, login(username=None), "username"),
    "login/username_list": c(LOGIN, login(username=["a"]), "username"),
    "login/password_number": c(LOGIN, login(password=123456789), "password"),
    "login/body_list": c(LOGIN, lambda c: ["user", "pass"], "non_field_errors"),
    "caseload/username_number": c(CASELOAD, new_patient(username=5), "username"),
    "caseload/date_of_birth_number": c(
        CASELOAD, new_patient(date_of_birth=19850302), "date_of_birth"
    ),
    "caseload/password_bool": c(CASELOAD, new_patient(password=True), "password"),
    "preview/condition_number": c(PREVIEW, intake(condition=5), "condition"),
    "preview/condition_null": c(PREVIEW, intake(condition=None), "condition"),
    "preview/condition_list": c(PREVIEW, intake(condition=["achilles_midportion"]), "condition"),
    "preview/age_string": c(PREVIEW, intake(age="44"), "age"),
    "preview/age_float": c(PREVIEW, intake(age=44.5), "age"),
    "preview/age_bool": c(PREVIEW, intake(age=True), "age"),
    "preview/swelling_string": c(PREVIEW, intake(swelling="maybe"), "swelling"),
    "preview/swelling_number": c(PREVIEW, intake(swelling=1), "swelling"),
    "preview/red_flags_string": c(PREVIEW, intake(red_flags="sudden_pop"), "red_flags"),
    "preview/red_flags_numbers": c(PREVIEW, intake(red_flags=[1]), "red_flags"),
    "preview/side_unknown": c(PREVIEW, intake(side="up"), "side"),
    "prescribe/intake_string": c(prescribe_url, prescribe(intake="achilles"), "intake"),
    "prescribe/intake_list": c(prescribe_url, prescribe(intake=[INTAKE]), "intake"),
    "prescribe/intake_null": c(prescribe_url, prescribe(intake=None), "intake"),
    "prescribe/started_on_number": c(prescribe_url, prescribe(started_on=20261102), "started_on"),
    "prescribe/notes_number": c(prescribe_url, prescribe(notes=5), "notes"),
    "adjust/change_unknown": c(adjust_url, adjust(change="explode"), "change"),
    "adjust/change_null": c(adjust_url, adjust(change=None), "change"),
    "adjust/item_number": c(adjust_url, adjust(item=5), "item"),
    "adjust/item_not_uuid": c(adjust_url, adjust(item="not-a-uuid"), "item"),
    "adjust/item_unknown": c(adjust_url, adjust(item=str(uuid.uuid4())), "item"),
    "adjust/dose_list": c(adjust_url, adjust(dose=[2]), "dose"),
    "adjust/dose_string": c(adjust_url, adjust(dose="3x15"), "dose"),
    "adjust/sets_string": c(adjust_url, dose(sets="3"), "dose.sets"),
    "adjust/sets_bool": c(adjust_url, dose(sets=True), "dose.sets"),
    "adjust/phase_string": c(
        adjust_url, adjust(change="add_exercise", phase="1", exercise="calf_raise"), "phase"
    ),
    "adjust/to_phase_bool": c(adjust_url, adjust(change="move_phase", to_phase=True), "to_phase"),
    "adjust/reason_number": c(adjust_url, adjust(reason=5), "reason"),
    "adjust/reason_null": c(adjust_url, adjust(reason=None), "reason"),
    "adjust/reason_blank": c(adjust_url, adjust(reason=""), "reason"),
    "adjust/exercise_number": c(adjust_url, adjust(change="swap_exercise", exercise=5), "exercise"),
    "resolve/note_number": c(resolve_url, resolve(note=5), "note"),
    "resolve/note_null": c(resolve_url, resolve(note=None), "note"),
    "resolve/note_list": c(resolve_url, resolve(note=["Phoned."]), "note"),
    "resolve/note_blank": c(resolve_url, resolve(note="   "), "note"),
    "resolve/body_list": c(resolve_url, lambda c: ["Phoned."], "non_field_errors"),
    "mark_read/ids_string": c(MARK_READ, lambda c: {"ids": "all"}, "ids"),
    "mark_read/ids_numbers": c(MARK_READ, lambda c: {"ids": [5]}, "ids"),
    "mark_read/ids_bad_uuid": c(MARK_READ, lambda c: {"ids": ["nope"]}, "ids"),
    # --- Out of range ------------------------------------------------------------------
    "sessions/pain_-1": c(SESSIONS, session(pain_after_nrs=-1), "pain_after_nrs"),
    "sessions/pain_11": c(SESSIONS, session(pain_after_nrs=11), "pain_after_nrs"),
    "sessions/pain_1e9": c(SESSIONS, session(pain_after_nrs=10**9), "pain_after_nrs"),
    "sessions/pain_2^70": c(SESSIONS, session(pain_after_nrs=2**70), "pain_after_nrs"),
    "sessions/slot_0": c(SESSIONS, session(slot=0), "slot"),
    "sessions/slot_7": c(SESSIONS, session(slot=7), "slot"),
    "sessions/slot_-1": c(SESSIONS, session(slot=-1), "slot"),
    "sessions/slot_65536": c(SESSIONS, session(slot=65536), "slot"),
    "sessions/slot_2^63": c(SESSIONS, session(slot=2**63), "slot"),
    "sessions/sets_-1": c(SESSIONS, exercise(sets_done=-1), "exercises.0.sets_done"),
    "sessions/sets_101": c(SESSIONS, exercise(sets_done=101), "exercises.0.sets_done"),
    "sessions/sets_32768": c(SESSIONS, exercise(sets_done=32768), "exercises.0.sets_done"),
    "sessions/sets_65536": c(SESSIONS, exercise(sets_done=65536), "exercises.0.sets_done"),
    "sessions/sets_2^63": c(SESSIONS, exercise(sets_done=2**63), "exercises.0.sets_done"),
    "sessions/reps_-5": c(SESSIONS, exercise(reps_done=-5), "exercises.0.reps_done"),
    "sessions/reps_65536": c(SESSIONS, exercise(reps_done=65536), "exercises.0.reps_done"),
    "sessions/hold_99999": c(SESSIONS, exercise(hold_s_done=99_999), "exercises.0.hold_s_done"),
    "sessions/pain_during_11": c(
        SESSIONS, exercise(pain_during_nrs=11), "exercises.0.pain_during_nrs"
    ),
    "sessions/pain_during_-1": c(
        SESSIONS, exercise(pain_during_nrs=-1), "exercises.0.pain_during_nrs"
    ),
    "check_ins/pain_-1": c(CHECK_INS, check_in(morning_pain_nrs=-1), "morning_pain_nrs"),
    "check_ins/pain_11": c(CHECK_INS, check_in(morning_pain_nrs=11), "morning_pain_nrs"),
    "check_ins/pain_1e9": c(CHECK_INS, check_in(morning_pain_nrs=10**9), "morning_pain_nrs"),
    "check_ins/stiffness_-1": c(CHECK_INS, check_in(stiffness_minutes=-1), "stiffness_minutes"),
    "check_ins/stiffness_1441": c(CHECK_INS, check_in(stiffness_minutes=1441), "stiffness_minutes"),
    "check_ins/stiffness_65536": c(
        CHECK_INS, check_in(stiffness_minutes=65536), "stiffness_minutes"
    ),
    "check_ins/stiffness_1e12": c(
        CHECK_INS, check_in(stiffness_minutes=10**12), "stiffness_minutes"
    ),
    "responses/answer_11": c(RESPONSES, response({"q1": 11}), "q1"),
    "responses/answer_-1": c(RESPONSES, response({"q1": -1}), "q1"),
    "responses/answer_1e9": c(RESPONSES, response({"q2": 10**9}), "q2"),
    "responses/q8_group_9": c(RESPONSES, response({"q8_group": 9}), "q8_group"),
    "responses/unknown_key": c(RESPONSES, response({"q99": 1}), "q99"),
    "responses/missing_answer": c(
        RESPONSES, lambda c: response()(c) | {"answers": {"q1": 7}}, "q2"
    ),
    "responses/na_not_allowed": c(RESPONSES, response({"q1": "na"}), "q1"),
    "preview/age_-1": c(PREVIEW, intake(age=-1), "age"),
    "preview/age_121": c(PREVIEW, intake(age=121), "age"),
    "preview/age_1e9": c(PREVIEW, intake(age=10**9), "age"),
    "preview/weeks_since_surgery_65536": c(
        PREVIEW, intake(weeks_since_surgery=65536), "weeks_since_surgery"
    ),
    "preview/red_flag_unknown": c(PREVIEW, intake(red_flags=["itchy"]), "red_flags"),
    "preview/condition_unknown": c(PREVIEW, intake(condition="gout"), "condition"),
    "adjust/sets_0": c(adjust_url, dose(sets=0), "dose.sets"),
    "adjust/sets_21": c(adjust_url, dose(sets=21), "dose.sets"),
    "adjust/sets_65536": c(adjust_url, dose(sets=65536), "dose.sets"),
    "adjust/reps_-1": c(adjust_url, dose(reps=-1), "dose.reps"),
    "adjust/reps_65536": c(adjust_url, dose(reps=65536), "dose.reps"),
    "adjust/hold_601": c(adjust_url, dose(hold_s=601), "dose.hold_s"),
    "adjust/rest_1e9": c(adjust_url, dose(rest_s=10**9), "dose.rest_s"),
    "adjust/times_per_day_7": c(adjust_url, dose(times_per_day=7), "dose.times_per_day"),
    "adjust/phase_0": c(adjust_url, adjust(change="add_exercise", phase=0, exercise="x"), "phase"),
    "adjust/phase_65536": c(
        adjust_url, adjust(change="add_exercise", phase=65536, exercise="x"), "phase"
    ),
    "adjust/to_phase_0": c(adjust_url, adjust(change="move_phase", to_phase=0), "to_phase"),
    "adjust/to_phase_2^63": c(adjust_url, adjust(change="move_phase", to_phase=2**63), "to_phase"),
    "adjust/to_phase_missing_phase": c(
        adjust_url, adjust(change="move_phase", to_phase=20), "to_phase"
    ),
    "me/session_time_25:00": c(ME, me(session_times=["25:00"]), "session_times", method="patch"),
    "me/session_times_7": c(
        ME,
        me(session_times=["06:00", "07:00", "08:00", "09:00", "10:00", "11:00", "12:00"]),
        "session_times",
        method="patch",
    ),
    "me/session_times_empty": c(ME, me(session_times=[]), "session_times", method="patch"),
    # --- Dates and times ---------------------------------------------------------------
    "sessions/local_date_year_1": c(SESSIONS, session(local_date="0001-01-01"), "local_date"),
    "sessions/local_date_9999": c(SESSIONS, session(local_date="9999-12-31"), "local_date"),
    "sessions/local_date_2100": c(SESSIONS, session(local_date="2100-01-01"), "local_date"),
    "sessions/local_date_in_2_days": c(SESSIONS, session(local_date=_days(2)), "local_date"),
    "sessions/local_date_1999": c(SESSIONS, session(local_date="1999-12-31"), "local_date"),
    "sessions/local_date_feb_30": c(SESSIONS, session(local_date="2026-02-30"), "local_date"),
    "sessions/local_date_month_13": c(SESSIONS, session(local_date="2026-13-01"), "local_date"),
    "sessions/local_date_blank": c(SESSIONS, session(local_date=""), "local_date"),
    "sessions/local_date_words": c(SESSIONS, session(local_date="today"), "local_date"),
    "sessions/local_date_datetime": c(
        SESSIONS, session(local_date="2026-11-03T00:00:00Z"), "local_date"
    ),
    "sessions/logged_at_year_1": c(
        SESSIONS, session(logged_at="0001-01-01T00:00:00Z"), "logged_at"
    ),
    "sessions/logged_at_year_1_plus_offset": c(
        SESSIONS, session(logged_at="0001-01-01T00:00:00+23:59"), "logged_at"
    ),
    "sessions/logged_at_9999_minus_offset": c(
        SESSIONS, session(logged_at="9999-12-31T23:59:59-23:59"), "logged_at"
    ),
    "sessions/logged_at_9999": c(SESSIONS, session(logged_at="9999-12-31T23:59:59Z"), "logged_at"),
    "sessions/logged_at_2100": c(SESSIONS, session(logged_at="2100-01-01T00:00:00Z"), "logged_at"),
    "sessions/logged_at_1999": c(SESSIONS, session(logged_at="1999-12-31T23:59:59Z"), "logged_at"),
    "sessions/logged_at_naive": c(SESSIONS, session(logged_at="2026-11-03T08:25:00"), "logged_at"),
    "sessions/logged_at_offset_+99:00": c(
        SESSIONS, session(logged_at="2026-11-03T08:25:00+99:00"), "logged_at"
    ),
    "sessions/logged_at_offset_+24:00": c(
        SESSIONS, session(logged_at="2026-11-03T08:25:00+24:00"), "logged_at"
    ),
    "sessions/logged_at_hour_25": c(
        SESSIONS, session(logged_at="2026-11-03T25:00:00Z"), "logged_at"
    ),
    "sessions/logged_at_garbage": c(SESSIONS, session(logged_at="yesterday-ish"), "logged_at"),
    "sessions/logged_at_in_3_days": c(
        SESSIONS,
        session(logged_at=lambda c: (timezone.now() + timedelta(days=3)).isoformat()),
        "logged_at",
    ),
    "check_ins/local_date_year_1": c(CHECK_INS, check_in(local_date="0001-01-01"), "local_date"),
    "check_ins/local_date_9999": c(CHECK_INS, check_in(local_date="9999-12-31"), "local_date"),
    "check_ins/local_date_in_2_days": c(CHECK_INS, check_in(local_date=_days(2)), "local_date"),
    "check_ins/local_date_1999": c(CHECK_INS, check_in(local_date="1999-12-31"), "local_date"),
    "check_ins/logged_at_naive": c(
        CHECK_INS, check_in(logged_at="2026-11-03T07:00:00"), "logged_at"
    ),
    "responses/local_date_9999": c(RESPONSES, response(local_date="9999-12-31"), "local_date"),
    "responses/local_date_year_1": c(RESPONSES, response(local_date="0001-01-01"), "local_date"),
    "responses/local_date_in_2_days": c(RESPONSES, response(local_date=_days(2)), "local_date"),
    "responses/logged_at_+99:00": c(
        RESPONSES, response(logged_at="2026-11-03T08:00:00+99:00"), "logged_at"
    ),
    "caseload/date_of_birth_9999": c(
        CASELOAD, new_patient(date_of_birth="9999-12-31"), "date_of_birth"
    ),
    "caseload/date_of_birth_year_1": c(
        CASELOAD, new_patient(date_of_birth="0001-01-01"), "date_of_birth"
    ),
    "caseload/date_of_birth_tomorrow_plus": c(
        CASELOAD, new_patient(date_of_birth=_days(2)), "date_of_birth"
    ),
    "prescribe/started_on_9999": c(prescribe_url, prescribe(started_on="9999-12-31"), "started_on"),
    "prescribe/started_on_year_1": c(
        prescribe_url, prescribe(started_on="0001-01-01"), "started_on"
    ),
    "prescribe/started_on_in_a_year": c(
        prescribe_url, prescribe(started_on=_days(365)), "started_on"
    ),
    "prescribe/made_on_9999": c(prescribe_url, prescribe(made_on="9999-12-31"), "made_on"),
    "prescribe/made_on_year_1": c(prescribe_url, prescribe(made_on="0001-01-01"), "made_on"),
    "prescribe/made_on_next_week": c(prescribe_url, prescribe(made_on=_days(7)), "made_on"),
    "prescribe/onset_after_assessment": c(
        prescribe_url,
        prescribe(intake=INTAKE | {"onset_date": "9999-12-31", "assessed_on": "2026-11-01"}),
        "intake",  # now named where it is: intake.onset_date
    ),
    "preview/onset_without_assessment": c(PREVIEW, intake(onset_date="0001-01-01"), "assessed_on"),
    "preview/assessed_on_bad_date": c(PREVIEW, intake(assessed_on="2026-02-31"), "assessed_on"),
    # --- Time zones ----------------------------------------------------------------------
    **{
        f"me/time_zone_{name}": c(ME, me(time_zone=zone), "time_zone", method="patch")
        for name, zone in {
            "mars": "Mars/Olympus",
            "blank": "",
            "nul": "UTC\x00",
            "traversal": "../../etc/passwd",
            "absolute": "/etc/localtime",
            "directory": "Europe",
            "inner_space": "Europe/ London",
            "lowercase": "europe/london",
            "dot": ".",
            "surrogate": "Europe/" + LONE_HIGH,
            "500_chars": "A" * 500,
            "64_chars": "A" * 64,
            "posix_rules": "posixrules",
        }.items()
    },
    **{
        f"caseload/time_zone_{name}": c(CASELOAD, new_patient(time_zone=zone), "time_zone")
        for name, zone in {
            "mars": "Mars/Olympus",
            "blank": "",
            "nul": "UTC\x00",
            "traversal": "../../etc/passwd",
            "directory": "America",
            "500_chars": "A" * 500,
            "60_chars": "A" * 60,
        }.items()
    },
    # --- NUL and unpaired surrogates ----------------------------------------------------
    **{
        f"sessions/skip_reason_{name}": c(
            SESSIONS, session(status="skipped", skip_reason=f"sore{char}calf"), "skip_reason"
        )
        for name, char in {
            "nul": NUL,
            "high_surrogate": LONE_HIGH,
            "low_surrogate": LONE_LOW,
        }.items()
    },
    **{
        f"sessions/load_{name}": c(SESSIONS, exercise(load=f"5{char}kg"), "exercises.0.load")
        for name, char in {"nul": NUL, "surrogate": LONE_HIGH}.items()
    },
    "sessions/status_surrogate": c(SESSIONS, session(status="done" + LONE_HIGH), "status"),
    "sessions/status_nul": c(SESSIONS, session(status="done" + NUL), "status"),
    "sessions/client_uuid_surrogate": c(SESSIONS, session(client_uuid=LONE_HIGH), "client_uuid"),
    "sessions/local_date_nul": c(SESSIONS, session(local_date="2026-11-03\x00"), "local_date"),
    "sessions/logged_at_surrogate": c(
        SESSIONS, session(logged_at="2026-11-03T08:00:00Z" + LONE_HIGH), "logged_at"
    ),
    "sessions/item_key_surrogate": c(SESSIONS, exercise(item_key=LONE_LOW), "exercises.0.item_key"),
    "log/patch_skip_reason_nul": c(
        log_url,
        lambda c: {"status": "skipped", "skip_reason": "a\x00b"},
        "skip_reason",
        method="patch",
    ),
    "log/put_skip_reason_surrogate": c(
        log_url, change(status="skipped", skip_reason="a" + LONE_HIGH), "skip_reason", method="put"
    ),
    "log/put_load_nul": c(
        log_url,
        lambda c: {"exercises": [{"item_key": c.item, "load": "\x00"}]},
        "exercises.0.load",
        method="put",
    ),
    "check_ins/red_flag_nul": c(CHECK_INS, check_in(red_flags=["sudden_pop\x00"]), "red_flags"),
    "check_ins/red_flag_surrogate": c(CHECK_INS, check_in(red_flags=[LONE_HIGH]), "red_flags"),
    "responses/answer_key_nul": c(RESPONSES, response({"q1\x00": 7}), "answers"),
    "responses/answer_key_surrogate": c(RESPONSES, response({LONE_HIGH: 7}), "answers"),
    "responses/answer_value_nul": c(RESPONSES, response({"q1": "na\x00"}), "answers"),
    "responses/answer_value_surrogate": c(RESPONSES, response({"q1": LONE_LOW}), "answers"),
    "responses/questionnaire_surrogate": c(
        RESPONSES, response(questionnaire="visa_a" + LONE_HIGH), "questionnaire"
    ),
    "me/session_time_nul": c(ME, me(session_times=["08:00\x00"]), "session_times", method="patch"),
    "me/session_time_surrogate": c(
        ME, me(session_times=[LONE_HIGH]), "session_times", method="patch"
    ),
    "login/username_nul": c(LOGIN, login(username="pat\x00"), "username"),
    "login/username_surrogate": c(LOGIN, login(username="pat" + LONE_HIGH), "username"),
    "login/password_nul": c(LOGIN, login(password="secret\x00"), "password"),
    "login/password_surrogate": c(LOGIN, login(password=LONE_LOW), "password"),
    "login/device_name_nul": c(LOGIN, login(device_name="Pixel\x00"), "device_name"),
    "caseload/username_nul": c(CASELOAD, new_patient(username="sam\x00heel"), "username"),
    "caseload/username_surrogate": c(CASELOAD, new_patient(username="sam" + LONE_HIGH), "username"),
    "caseload/username_rtl": c(CASELOAD, new_patient(username="sam\u202eheel"), "username"),
    "caseload/username_html": c(CASELOAD, new_patient(username="<script>"), "username"),
    "caseload/first_name_nul": c(CASELOAD, new_patient(first_name="Sam\x00"), "first_name"),
    "caseload/last_name_surrogate": c(CASELOAD, new_patient(last_name=LONE_HIGH), "last_name"),
    "caseload/email_nul": c(CASELOAD, new_patient(email="sam@exam\x00ple.org"), "email"),
    "caseload/email_surrogate": c(CASELOAD, new_patient(email=LONE_HIGH + "@example.org"), "email"),
    "caseload/password_nul": c(CASELOAD, new_patient(password="long-enough\x00pass"), "password"),
    "preview/condition_nul": c(PREVIEW, intake(condition="achilles_midportion\x00"), "condition"),
    "preview/condition_surrogate": c(PREVIEW, intake(condition=LONE_HIGH), "condition"),
    "preview/red_flag_nul": c(PREVIEW, intake(red_flags=["\x00"]), "red_flags"),
    "preview/protocol_surrogate": c(PREVIEW, intake(protocol=LONE_LOW), "protocol"),
    "preview/side_nul": c(PREVIEW, intake(side="right\x00"), "side"),
    "prescribe/notes_nul": c(prescribe_url, prescribe(notes="seen\x00today"), "notes"),
    "prescribe/notes_surrogate": c(prescribe_url, prescribe(notes=LONE_HIGH), "notes"),
    "prescribe/intake_condition_nul": c(
        prescribe_url, prescribe(intake=INTAKE | {"condition": "x\x00"}), "intake.condition"
    ),
    "adjust/reason_nul": c(adjust_url, adjust(reason="settled\x00"), "reason"),
    "adjust/reason_surrogate": c(adjust_url, adjust(reason=LONE_HIGH), "reason"),
    "adjust/override_reason_nul": c(
        adjust_url, adjust(override_reason="ok\x00"), "override_reason"
    ),
    "adjust/exercise_nul": c(
        adjust_url, adjust(change="swap_exercise", exercise="\x00"), "exercise"
    ),
    "adjust/dose_load_nul": c(adjust_url, dose(load="5 kg\x00"), "dose.load"),
    "adjust/dose_tempo_surrogate": c(adjust_url, dose(tempo=LONE_LOW), "dose.tempo"),
    "resolve/note_nul": c(resolve_url, resolve(note="phoned\x00"), "note"),
    "resolve/note_surrogate": c(resolve_url, resolve(note="phoned" + LONE_HIGH), "note"),
    "mark_read/id_nul": c(MARK_READ, lambda c: {"ids": ["\x00"]}, "ids"),
    "mark_read/id_surrogate": c(MARK_READ, lambda c: {"ids": [LONE_HIGH]}, "ids"),
    # --- Headers -----------------------------------------------------------------------
    "caseload/idempotency_key_10k": c(
        CASELOAD, new_patient(), "Idempotency-Key", headers={"HTTP_IDEMPOTENCY_KEY": "k" * 10_000}
    ),
    "caseload/idempotency_key_empty": c(
        CASELOAD, new_patient(), "Idempotency-Key", headers={"HTTP_IDEMPOTENCY_KEY": ""}
    ),
    "caseload/idempotency_key_nul": c(
        CASELOAD, new_patient(), "Idempotency-Key", headers={"HTTP_IDEMPOTENCY_KEY": "key\x00one"}
    ),
    "caseload/idempotency_key_control": c(
        CASELOAD, new_patient(), "Idempotency-Key", headers={"HTTP_IDEMPOTENCY_KEY": "key\x1b[2J"}
    ),
    "caseload/idempotency_key_latin1": c(
        CASELOAD, new_patient(), "Idempotency-Key", headers={"HTTP_IDEMPOTENCY_KEY": "clé\xff"}
    ),
    "resolve/idempotency_key_nul": c(
        resolve_url, resolve(), "Idempotency-Key", headers={"HTTP_IDEMPOTENCY_KEY": "\x00"}
    ),
    **{
        f"sessions/authorization_{name}": Case(
            url=SESSIONS,
            body=session(),
            status=401,
            code=code,
            headers={"HTTP_AUTHORIZATION": value},
            who="anonymous",
        )
        for name, value, code in [
            ("token_100k", "Token " + "a" * 100_000, "authentication_failed"),
            ("token_nul", "Token abcdef\x00123456", "authentication_failed"),
            ("token_latin1", "Token \xff\xfe\xfd", "authentication_failed"),
            ("token_control", "Token abc\x1bdef", "authentication_failed"),
            ("token_two_words", "Token abc def", "authentication_failed"),
            ("token_no_value", "Token", "authentication_failed"),
            ("bearer", "Bearer abc", "not_authenticated"),
        ]
    },
    **{
        f"{path.strip('/').replace('/', '_')}/authorization_{name}": Case(
            url=f"/api/v1/{path}",
            raw=b"",
            status=401,
            code="authentication_failed",
            headers={"HTTP_AUTHORIZATION": value},
            who="anonymous",
        )
        for path in ("auth/logout/", "auth/logout-all/")
        for name, value in [("token_latin1", "Token \xff\xfe"), ("token_nul", "Token ab\x00cd")]
    },
}


@pytest.mark.parametrize("case", [pytest.param(v, id=k) for k, v in CASES.items()])
def test_hostile_input_is_refused_cleanly_and_stores_nothing(
    case: Case, ctx: SimpleNamespace, request: pytest.FixtureRequest
) -> None:
    url = case.url(ctx) if callable(case.url) else case.url
    who = case.who or WHO.get(case.url, "patient")
    client: APIClient = {
        "patient": lambda: request.getfixturevalue("as_patient"),
        "therapist": lambda: request.getfixturevalue("as_therapist"),
        "anonymous": lambda: APIClient(),
    }[who]()
    if case.raw is not None:
        body = case.raw() if callable(case.raw) else case.raw
    else:
        body = json.dumps(case.body(ctx)).encode()  # ASCII escapes: lone surrogates survive
    before = stored_state()

    response = client.generic(  # the body exactly as given, under the content type given
        case.method.upper(), url, body, content_type=case.content_type, **(case.headers or {})
    )

    assert response.status_code == case.status, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    assert b"Traceback" not in response.content
    payload = response.json()
    if case.status != 200:
        assert set(payload) == {"code", "message", "fields"}, payload
        assert payload["message"]
        if case.code:
            assert payload["code"] == case.code, payload
        if case.field:
            names = payload["fields"]
            assert any(n == case.field or n.startswith(f"{case.field}.") for n in names), payload
        assert stored_state() == before
    else:  # a sync batch answers per record
        assert payload["rejected"] == len(payload["results"]), payload


def test_the_limits_are_documented_numbers() -> None:
    """The body limit is explicit (rehab/settings.py) and large enough for a full batch."""
    assert int(2.5 * MiB) == settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def test_a_full_500_record_batch_fits_under_the_body_limit(
    as_patient: Any, patient: Any, programme: Any
) -> None:
    """The largest batch a phone sends (500 sessions, every item of the programme, long
    free text) stays under the limit, so the limit never refuses a legitimate batch."""
    items = [str(item.key) for item in current_items(programme)]
    record = session_body(patient, programme) | {
        "type": "session",
        "skip_reason": "",
        "exercises": [
            {
                "item_key": key,
                "sets_done": 100,
                "reps_done": 1000,
                "hold_s_done": 3600,
                "load": "x" * 100,
                "pain_during_nrs": 10,
            }
            for key in items
        ],
    }
    batch = json.dumps({"records": [record] * 500}, indent=2).encode()
    assert len(batch) < LIMIT / 2


# --- Per-record refusals in an offline batch -------------------------------------------------


SYNC_RECORDS: dict[str, tuple[Callable[[SimpleNamespace], dict[str, Any]], str]] = {
    "skip_reason_nul": (session(status="skipped", skip_reason="a\x00b"), "skip_reason"),
    "skip_reason_surrogate": (session(status="skipped", skip_reason=LONE_HIGH), "skip_reason"),
    "load_surrogate": (exercise(load=LONE_LOW), "exercises.0.load"),
    "local_date_9999": (session(local_date="9999-12-31"), "local_date"),
    "local_date_year_1": (session(local_date="0001-01-01"), "local_date"),
    "local_date_1999": (session(local_date="1999-12-31"), "local_date"),
    "logged_at_year_1_offset": (session(logged_at="0001-01-01T00:00:00+23:59"), "logged_at"),
    "logged_at_naive": (session(logged_at="2026-11-03T08:00:00"), "logged_at"),
    "pain_11": (session(pain_after_nrs=11), "pain_after_nrs"),
    "sets_65536": (exercise(sets_done=65536), "exercises.0.sets_done"),
    "slot_string": (session(slot="1"), "slot"),
    "5000_exercises": (
        lambda c: session()(c) | {"exercises": [{"item_key": c.item}] * 5000},
        "exercises",
    ),
    "load_nested": (exercise(load=nested(20)), "exercises.0.load"),
    "check_in_pain_-1": (check_in(morning_pain_nrs=-1), "morning_pain_nrs"),
    "check_in_stiffness_65536": (check_in(stiffness_minutes=65536), "stiffness_minutes"),
    "check_in_red_flag_nul": (check_in(red_flags=["\x00"]), "red_flags"),
    "check_in_future": (check_in(local_date=_days(30)), "local_date"),
    "answers_key_nul": (response({"\x00": 1}), "answers"),
    "answers_value_surrogate": (response({"q1": LONE_HIGH}), "answers"),
    "answers_out_of_range": (response({"q1": 99}), "q1"),
    "type_surrogate": (lambda c: {"type": "session" + LONE_HIGH}, "type"),
    "type_nul": (lambda c: {"type": "session\x00"}, "type"),
    "type_number": (lambda c: {"type": 5}, "type"),
    "type_object": (lambda c: {"type": {"session": 1}}, "type"),
    "client_uuid_surrogate": (lambda c: session()(c) | {"client_uuid": LONE_HIGH}, "client_uuid"),
}
_KIND = {"check_in": "check_in", "answers": "questionnaire"}


@pytest.mark.parametrize(
    ("build", "field"), [pytest.param(*v, id=k) for k, v in SYNC_RECORDS.items()]
)
def test_a_hostile_record_in_a_batch_is_rejected_alone(
    build: Callable[[SimpleNamespace], dict[str, Any]],
    field: str,
    ctx: SimpleNamespace,
    as_patient: APIClient,
    request: pytest.FixtureRequest,
) -> None:
    record = build(ctx)
    name = request.node.callspec.id
    kind = next((k for prefix, k in _KIND.items() if name.startswith(prefix)), "session")
    record = {"type": kind} | record
    good = check_in(local_date=lambda c: c.today.isoformat())(ctx) | {"type": "check_in"}
    before = stored_state()

    response = as_patient.post(
        SYNC, data=json.dumps({"records": [record, good]}), content_type="application/json"
    )

    assert response.status_code == 200, response.content[:500]
    body = response.json()
    bad, fine = body["results"]
    assert (bad["status"], fine["status"]) == ("rejected", "created"), body
    assert any(n == field or n.startswith(f"{field}.") for n in bad["fields"]), bad
    after = stored_state()
    assert after["check_ins"] == before["check_ins"] + 1
    assert {k: v for k, v in after.items() if k != "check_ins"} == {
        k: v for k, v in before.items() if k != "check_ins"
    }


# --- Odd but legitimate text: stored verbatim, returned as JSON text ---------------------


@pytest.mark.parametrize("text", [pytest.param(v, id=k) for k, v in ODD_TEXTS.items()])
def test_odd_text_is_kept_verbatim_and_returned_as_json_text(
    text: str,
    ctx: SimpleNamespace,
    as_patient: APIClient,
    as_therapist: APIClient,
) -> None:
    def post(client: APIClient, url: str, body: Any) -> Any:
        response = client.post(url, data=json.dumps(body), content_type="application/json")
        assert response.status_code in (200, 201), response.content[:500]
        assert response["Content-Type"].startswith("application/json")
        return response.json()

    skipped = post(as_patient, SESSIONS, session(status="skipped", skip_reason=text, slot=1)(ctx))
    assert skipped["skip_reason"] == text.strip()
    load = text[:100]
    done = post(as_patient, SESSIONS, exercise(load=load)(ctx) | {"slot": 3})
    assert done["exercises"][0]["load"] == load
    flag = post(as_therapist, resolve_url(ctx), {"note": text})
    assert flag["resolution_note"] == text.strip()
    revision = post(as_therapist, adjust_url(ctx), adjust(reason=text)(ctx))
    assert revision["reason"] == text
    name = text[:150]
    created = post(as_therapist, CASELOAD, new_patient(first_name=name, last_name=name)(ctx))
    assert created["name"] == f"{name} {name}".strip()
    programme = post(as_therapist, prescribe_url(ctx), prescribe(notes=text)(ctx))
    assert Diagnosis.objects.get(programme__pk=programme["id"]).notes == text

    # Read back through the API: still the same text, as JSON.
    logs = as_patient.get(SESSIONS).json()["results"]
    assert text.strip() in [log["skip_reason"] for log in logs]
    detail = as_therapist.get(f"/api/v1/patients/{ctx.patient.pk}/").json()
    assert text.strip() in [log["skip_reason"] for log in detail["recent_sessions"]]
    revisions = as_therapist.get(f"/api/v1/programmes/{ctx.programme.pk}/revisions/").json()
    assert revisions["results"][0]["reason"] == text
