from __future__ import annotations

import time
import uuid
from base64 import b32decode
from datetime import UTC, date, datetime, timedelta
from typing import Any

import factory
from django.contrib.auth import get_user_model
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken
from rest_framework.test import APIClient

from patients.models import Flag, Patient, Therapist
from patients.people.services import record_diagnosis
from programmes.models import ProgrammeItem
from programmes.planner import Intake, ProgrammePlan, plan
from programmes.selectors import catalogue_snapshot
from programmes.services import prescribe_programme
from rehab.two_factor import APP_DEVICE_NAME, authenticator, needs_second_step

PASSWORD = "correct-horse-battery"

# The cast's clock: the `programme` fixture starts on STARTED, and the web and API tests run
# frozen at NOW (the `frozen_clock` fixture in tests/conftest.py).
STARTED = date(2026, 11, 2)  # a Monday
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # Friday of week 3, 09:00 in London


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj: Any, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            obj.save()


class TherapistFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Therapist

    user = factory.SubFactory(UserFactory)


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    user = factory.SubFactory(UserFactory)
    therapist = factory.SubFactory(TherapistFactory)
    time_zone = "Europe/London"
    date_of_birth = date(1985, 3, 2)


# Every required intake answer given, each on its least alarming value (the web form, the
# API and the CLI refuse an intake without them; the planner reads a missing one as unknown).
ANSWERED: dict[str, Any] = {
    "swelling": "no",
    "recent_injury": "no",
    "age": 40,
    "ottawa": "negative",
    "thompson": "negative",
    "cauda_equina": "no",
}


def answered_intake(condition: str = "achilles_midportion", **changes: Any) -> Intake:
    """An intake as the edges accept it: side and every required answer given."""
    return Intake(condition=condition, **({"side": "right"} | ANSWERED | changes))


def prescribe(
    patient: Patient,
    intake: Intake | None = None,
    started_on: date = STARTED,
) -> Any:
    """Diagnose and prescribe through the real services, as the patient's therapist."""
    intake = intake or answered_intake()
    result = plan(intake, catalogue_snapshot())
    assert isinstance(result, ProgrammePlan), result
    diagnosis = record_diagnosis(
        patient=patient, therapist=patient.therapist, intake=intake, made_on=started_on
    )
    return prescribe_programme(
        diagnosis=diagnosis,
        plan=result,
        prescribed_by=patient.therapist.user,
        started_on=started_on,
    )


def due_session_reminder(patient: Patient) -> Any:
    """A patient on a programme started yesterday, with today's first session reminder due now."""
    from django.utils import timezone

    from patients.models import Reminder

    prescribe(patient, started_on=timezone.localdate() - timedelta(days=1))
    return Reminder.objects.create(
        patient=patient,
        local_date=timezone.localdate(),
        slot="session:1",
        kind="session",
        due_at=timezone.now(),
    )


def make_flag(patient: Patient, kind: str = Flag.Kind.STEP_BACK, **extra: Any) -> Flag:
    """An open flag for the therapist, as the monitoring rules would raise it."""
    return Flag.objects.create(
        patient=patient,
        rule=extra.pop("rule", f"rule-{uuid.uuid4().hex[:6]}"),
        episode="2026-11-05",
        kind=kind,
        severity=extra.pop("severity", Flag.Severity.REVIEW),
        message="Pain during exercise above 5/10.",
        **extra,
    )


def make_worsening(programme: Any) -> list[Flag]:
    """Three step-back findings of one worsening, as the sweep raises them (one card)."""
    return [
        make_flag(
            programme.patient,
            rule=rule,
            programme=programme,
            suggestion="Step back.",
            sources=[source],
            evidence=evidence,
        )
        for rule, source, evidence in (
            ("weekly_trend", "R5", {"this_week": 4.5, "last_week": 3.0}),
            ("next_morning_above_baseline_repeated", "R5b", {"mornings": 3}),
            ("pain_during_above_max", "R5", {"pain_during": 7, "limit": 5}),
        )
    ]


def current_items(programme: Any) -> list[ProgrammeItem]:
    """The items of the programme's current phase, in its current revision."""
    revision = programme.current_revision
    return list(
        ProgrammeItem.objects.filter(
            phase__revision=revision, phase__position=revision.current_phase
        ).select_related("exercise")
    )


def api_client_for(user: Any) -> APIClient:
    """An API client holding a fresh device token for `user`."""
    _, token = AuthToken.objects.create(user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def give_authenticator(user: Any) -> TOTPDevice:
    """A confirmed authenticator app for `user`, as setting one up leaves it (a therapist
    signs in with it; a patient with one has turned two-step sign-in on)."""
    return TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=True)


def code_for(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """The code the person's app shows now (`steps_ahead`: the one 30 s later, which is
    accepted too: a second sign-in at the same frozen instant needs it, as a code works once)."""
    value = totp(device.bin_key, step=device.step, t0=device.t0,
                 digits=device.digits, drift=device.drift + steps_ahead)  # fmt: skip
    return str(value).zfill(device.digits)


def unused_code(device: TOTPDevice) -> str:
    """A code the app shows now that was not used yet (a code works once: a second sign-in
    within the same 30 seconds takes the next one, which is accepted too)."""
    device.refresh_from_db()
    now_t = (int(time.time()) - device.t0) // device.step + device.drift
    return code_for(device, steps_ahead=max(0, device.last_t + 1 - now_t))


def code_from_secret(secret: str) -> str:
    """The code an authenticator app makes now from the secret typed in (the set-up page
    shows it in base32, in groups of four)."""
    return str(totp(b32decode(secret.replace(" ", "")))).zfill(6)


def give_recovery_codes(user: Any, codes: tuple[str, ...] = ("abcd2345", "efgh6723")) -> None:
    device = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    for code in codes:
        StaticToken.objects.create(device=device, token=code)


def sign_in(client: Client, user: Any) -> Client:
    """Log `user` in on `client`, past the second step when their account needs one (the
    session marked verified by their app, created if they have none), as a real sign-in
    leaves it. The sign-in itself is tested in tests/web/test_two_factor.py."""
    client.force_login(user)
    if needs_second_step(user):
        device = authenticator(user) or give_authenticator(user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def web_client_for(user: Any) -> Client:
    """A browser-like client with `user` signed in (past the second step if they need it)."""
    return sign_in(Client(), user)
