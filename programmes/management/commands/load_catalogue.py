from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from programmes.catalogue_files import CATALOGUE_DIR, CatalogueFileError
from programmes.services import load_catalogue
from rehab.exceptions import DomainError


class Command(BaseCommand):
    help = (
        "Load the clinical catalogue (programmes/catalogue/*.yaml) into the database. Idempotent."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--directory", type=Path, default=CATALOGUE_DIR)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = load_catalogue(directory=options["directory"])
        except (CatalogueFileError, DomainError, ValidationError) as error:
            raise CommandError(f"catalogue not loaded: {error}", returncode=2) from None
        for line in report.lines():
            self.stdout.write(line)
        self.stdout.write(
            self.style.SUCCESS(f"catalogue loaded: {report.changed} row(s) created or updated")
        )
