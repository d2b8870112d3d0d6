from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from patients.models import Patient, Therapist
from patients.people.services import create_patient, create_therapist, record_diagnosis
from programmes.planner import Intake, ProgrammePlan, plan
from programmes.selectors import catalogue_snapshot
from programmes.services import prescribe_programme

DEMO_PASSWORD = "rehab-demo-2026"
DEMO_PATIENTS = (
    # username, first, last, time zone, intake
    (
        "pat.achilles",
        "Alex",
        "Morgan",
        "Europe/London",
        Intake(
            condition="achilles_midportion",
            side="right",
            onset="chronic",
            swelling="no",
            recent_injury="no",
            age=44,
        ),
    ),
    (
        "pat.insertional",
        "Sam",
        "Rivera",
        "America/New_York",
        Intake(
            condition="achilles_insertional",
            side="left",
            onset="chronic",
            swelling="yes",
            recent_injury="no",
            age=52,
        ),
    ),
)


class Command(BaseCommand):
    help = "Create the demo therapist and two patients with prescribed programmes (idempotent)."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        therapist = Therapist.objects.filter(user__username="demo.therapist").first()
        if therapist is None:
            therapist = create_therapist(
                username="demo.therapist", password=DEMO_PASSWORD, first_name="Jo", last_name="Demo"
            )
        catalogue = catalogue_snapshot()
        today = timezone.localdate()
        for username, first, last, zone, intake in DEMO_PATIENTS:
            patient = Patient.objects.filter(user__username=username).first()
            if patient is None:
                patient = create_patient(
                    therapist=therapist,
                    username=username,
                    password=DEMO_PASSWORD,
                    first_name=first,
                    last_name=last,
                    time_zone=zone,
                    date_of_birth=date(1980, 5, 17),
                    now=timezone.now(),
                )
            if patient.programmes.filter(status="active").exists():
                continue
            result = plan(intake, catalogue)
            assert isinstance(result, ProgrammePlan), result
            diagnosis = record_diagnosis(
                patient=patient, therapist=therapist, intake=intake, made_on=today
            )
            prescribe_programme(
                diagnosis=diagnosis, plan=result, prescribed_by=therapist.user, started_on=today
            )
        self.stdout.write(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
        self.stdout.write("  therapist: demo.therapist")
        for username, *_ in DEMO_PATIENTS:
            self.stdout.write(f"  patient:   {username}")
