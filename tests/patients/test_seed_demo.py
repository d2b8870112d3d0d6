"""`manage.py seed_demo` (issue 17, requirement 7): a caseload whose history tells five stories,
written by the real services, and a second run that changes nothing."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from patients.models import (
    CheckIn,
    Flag,
    Notification,
    Patient,
    QuestionnaireResponse,
    SessionLog,
)
from patients.monitoring.selectors import pause_for
from programmes.models import Programme, ProgrammeRevision
from tests import factories

pytestmark = pytest.mark.django_db


def counts() -> dict[str, int]:
    models = (Patient, Programme, ProgrammeRevision, SessionLog, CheckIn, QuestionnaireResponse)
    return {m.__name__: m.objects.count() for m in (*models, Flag, Notification)} | {
        "open flags": Flag.objects.exclude(status="resolved").count()
    }


def open_kinds(username: str) -> set[str]:
    flags = Flag.objects.filter(patient__user__username=username).exclude(status="resolved")
    return set(flags.values_list("kind", flat=True))


def test_the_demo_tells_each_story_and_a_second_run_changes_nothing() -> None:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    first = counts()

    # Weeks of history for everyone, the banner naming each account.
    for username in ("pat.achilles", "pat.insertional", "pat.busy", "pat.redflag", "pat.ready"):
        patient = Patient.objects.get(user__username=username)
        assert SessionLog.objects.filter(patient=patient).count() >= 10, username
        assert CheckIn.objects.filter(patient=patient).count() >= 7, username
        assert patient.phone, username
        assert username in out.getvalue()
    assert "demo.therapist" in out.getvalue()
    assert "rehab-demo-2026" in out.getvalue()

    # Improving: moved on through the phases, VISA-A up, nothing open.
    improving = Programme.objects.get(patient__user__username="pat.achilles")
    assert improving.current_revision.current_phase > 1
    scores = list(
        QuestionnaireResponse.objects.filter(patient=improving.patient)
        .order_by("local_date")
        .values_list("score", flat=True)
    )
    assert scores[-1] - scores[0] >= 14
    assert open_kinds("pat.achilles") == set()
    # Stalling: a "doing it, not improving" flag from the 12-week review.
    assert Flag.Kind.NOT_IMPROVING in open_kinds("pat.insertional")
    # Not adhering.
    assert Flag.Kind.NOT_ADHERING in open_kinds("pat.busy")
    # A red flag: open, urgent, the programme paused, the therapist told.
    red = Patient.objects.get(user__username="pat.redflag")
    assert open_kinds("pat.redflag") == {Flag.Kind.RED_FLAG}
    assert pause_for(red) is not None
    assert Notification.objects.filter(flag__patient=red).exists()
    # Ready to progress, and nothing else.
    assert open_kinds("pat.ready") == {Flag.Kind.READY_TO_PROGRESS}
    # Flags the therapist dealt with say how.
    assert Flag.objects.filter(status="resolved").exclude(resolution_note="").exists()

    call_command("seed_demo", stdout=io.StringIO())
    assert counts() == first


def test_the_banner_alone_writes_nothing(capsys: Any) -> None:
    out = io.StringIO()
    call_command("seed_demo", "--banner", stdout=out)
    assert Patient.objects.count() == 0
    assert "http://127.0.0.1:" in out.getvalue()
    assert "pat.redflag" in out.getvalue()


def test_the_demo_therapist_signs_in_with_the_key_the_banner_prints(settings: Any) -> None:
    """Therapists sign in in two steps: the banner prints the demo app's key, and
    `seed_demo --code` (DEBUG only) the code it shows now."""
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    key = re.search(r"add the key ([A-Z2-7 ]+) to an", out.getvalue())
    assert key
    client = Client()
    client.post(reverse("login"), {"username": "demo.therapist", "password": "rehab-demo-2026"})
    code = factories.code_from_secret(key[1])
    assert client.post(reverse("two_factor_code"), {"code": code})["Location"] == reverse("home")

    settings.DEBUG = True
    printed = io.StringIO()
    call_command("seed_demo", "--code", stdout=printed)
    assert printed.getvalue().strip() != code  # that one was used: the next one
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG on"):
        call_command("seed_demo", "--code", stdout=io.StringIO())
