"""Anonymise one patient on their request: `manage.py anonymise_patient ID --reason "…"`.

Exit status 0 done, 2 bad input (unknown id, no reason, already anonymised)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from patients.privacy.services import anonymise_patient, patient_by_id
from rehab.cli import EXIT_BAD_INPUT
from rehab.exceptions import DomainError


class Command(BaseCommand):
    help = "Remove what identifies a patient; keep their anonymous clinical history."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("patient_id", help="The patient's id (a UUID).")
        parser.add_argument("--reason", required=True, help="The request this answers.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            patient = patient_by_id(options["patient_id"])
            anonymise_patient(
                patient=patient, by=None, reason=options["reason"], now=timezone.now()
            )
        except DomainError as error:
            raise CommandError(error.message, returncode=EXIT_BAD_INPUT) from None
        self.stdout.write(f"Anonymised patient {patient.pk}.")
