"""Run the monitoring rules now: `manage.py monitor [--patient ID] [--now ISO-8601]`.

Every active programme (or one patient's) goes through the one monitoring pipeline, the same
as the hourly sweep; prints how many flags were raised, updated and left alone.
Exit status 0 done, 2 bad input (bad or unknown patient id, bad timestamp)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from patients.models import Patient
from patients.monitoring.sweep import SweepReport, evaluate_active_programmes, evaluate_programmes
from programmes.models import Programme
from rehab.cli import EXIT_BAD_INPUT, moment


class Command(BaseCommand):
    help = "Evaluate the monitoring rules now and store the flags they raise."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--patient", help="Only this patient (their id, a UUID).")
        parser.add_argument(
            "--now",
            help="Evaluate as at this moment, ISO-8601 with a UTC offset "
            "(e.g. 2026-11-20T08:00:00+00:00); default: the current time.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = moment(options["now"]) if options["now"] else timezone.now()
        if options["patient"]:
            patient = _patient(options["patient"])
            ids = list(
                Programme.objects.filter(
                    patient=patient, status=Programme.Status.ACTIVE
                ).values_list("pk", flat=True)
            )
            if not ids:
                self.stdout.write(
                    f"Patient {patient.pk} has no active programme: nothing evaluated."
                )
                return
            report = evaluate_programmes(programme_ids=ids, now=now)
        else:
            report = evaluate_active_programmes(now=now, chunk_size=settings.REHAB_SWEEP_CHUNK_SIZE)
        self.stdout.write(_summary(report, now))


def _patient(value: str) -> Patient:
    try:
        patient_id = uuid.UUID(value)
    except ValueError:
        raise CommandError(
            f"--patient {value!r} is not a valid patient id (a UUID).", returncode=EXIT_BAD_INPUT
        ) from None
    patient = Patient.objects.filter(pk=patient_id).first()
    if patient is None:
        raise CommandError(f"No patient with id {patient_id}.", returncode=EXIT_BAD_INPUT)
    return patient


def _summary(report: SweepReport, now: datetime) -> str:
    left_alone = report.findings - report.created - report.updated
    programmes = "programme" if report.programmes == 1 else "programmes"
    return (
        f"{report.programmes} {programmes} evaluated at {now.isoformat()}: "
        f"{report.findings} findings; flags {report.created} raised, {report.updated} updated, "
        f"{left_alone} left alone."
    )
