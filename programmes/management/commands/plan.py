from __future__ import annotations

import json
import sys
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from programmes.planner import (
    Intake,
    IntakeError,
    PlanResult,
    Referral,
    as_dict,
    plan,
    validate_intake,
)
from programmes.selectors import catalogue_snapshot
from programmes.text import plan_as_text
from programmes.vocab import Answer, Comorbidity, DvtRisk, OttawaResult, ThompsonResult
from rehab.cli import EXIT_BAD_INPUT

EXIT_PROGRAMME = 0
EXIT_REFERRAL = 3


class Command(BaseCommand):
    help = (
        "Plan a home programme for a diagnosed condition and print it. Exit status: 0 programme, "
        "3 referral, 2 bad input."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("condition", help="condition slug, e.g. achilles_midportion")
        parser.add_argument("--side", choices=["left", "right", "both"])
        onset = parser.add_mutually_exclusive_group()
        onset.add_argument("--acute", dest="onset", action="store_const", const="acute")
        onset.add_argument("--chronic", dest="onset", action="store_const", const="chronic")
        parser.add_argument("--irritability", choices=["low", "moderate", "high"])
        for flag in ("--swelling", "--recent-injury"):
            parser.add_argument(
                flag,
                choices=Answer.values,
                nargs="?",
                const=Answer.YES.value,
                help="required: yes, no or unknown (the flag alone: yes)",
            )
        parser.add_argument(
            "--onset-date",
            type=date.fromisoformat,
            metavar="YYYY-MM-DD",
            help="when symptoms began (compared with today for the acute window)",
        )
        parser.add_argument("--weeks-since-surgery", type=int)
        parser.add_argument("--age", type=int)
        parser.add_argument("--activity", choices=["general", "runner", "dancer", "jumping_sport"])
        parser.add_argument(
            "--circulation-problems",
            action="store_true",
            help="circulation or sensation problems (no ice or heat)",
        )
        parser.add_argument("--cannot-bear-weight", action="store_true")
        parser.add_argument(
            "--ottawa",
            choices=OttawaResult.values,
            help="Ottawa ankle/foot rules; required for a sprain or a suspected fracture",
        )
        parser.add_argument(
            "--thompson",
            choices=ThompsonResult.values,
            help="Thompson test; required for acute calf or Achilles pain",
        )
        parser.add_argument(
            "--cauda-equina",
            choices=Answer.values,
            help="saddle numbness, bladder/bowel change or both legs; required for sciatica",
        )
        parser.add_argument(
            "--comorbidity",
            action="append",
            default=[],
            choices=Comorbidity.values,
            help="a comorbidity or medicine (repeatable)",
        )
        parser.add_argument(
            "--dvt-risk",
            action="append",
            default=[],
            choices=DvtRisk.values,
            help="a DVT risk factor (repeatable)",
        )
        parser.add_argument(
            "--red-flag",
            action="append",
            default=[],
            metavar="NAME",
            help="a red-flag answer (repeatable)",
        )
        parser.add_argument(
            "--cleared",
            action="store_true",
            help="a clinician has cleared/staged an after-clearance condition",
        )
        parser.add_argument("--protocol", help="protocol slug (default: the condition's default)")
        parser.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args: Any, **options: Any) -> None:
        catalogue = catalogue_snapshot()
        if not catalogue.conditions:
            raise CommandError(
                "The catalogue is empty: run `python manage.py load_catalogue` first.",
                returncode=EXIT_BAD_INPUT,
            )
        try:
            intake = Intake.from_dict(intake_data(options, assessed_on=timezone.localdate()))
            validate_intake(intake, catalogue, require_answers=True)
            result: PlanResult = plan(intake, catalogue)
        except IntakeError as error:
            messages = [
                m if name == "condition" else f"{_flag(name)}: {m}"
                for name, field in error.fields.items()
                for m in field
            ]
            raise CommandError("\n".join(messages), returncode=EXIT_BAD_INPUT) from None
        if options["format"] == "json":
            self.stdout.write(json.dumps(as_dict(result), indent=2, ensure_ascii=False))
        else:
            self.stdout.write(plan_as_text(result, catalogue))
        if isinstance(result, Referral):
            sys.exit(EXIT_REFERRAL)


def intake_data(options: dict[str, Any], *, assessed_on: date) -> dict[str, Any]:
    """The options in the shape of the API's intake body, for `Intake.from_dict`."""
    data = {name: options[name] for name in SAME_NAMES}
    return data | {
        "assessed_on": assessed_on,
        "circulation_or_sensation_problems": options["circulation_problems"],
        "able_to_bear_weight": not options["cannot_bear_weight"],
        "red_flags": options["red_flag"],
        "comorbidities": options["comorbidity"],
        "dvt_risks": options["dvt_risk"],
    }


# The options that carry an Intake field under its own name.
SAME_NAMES = (
    "condition",
    "side",
    "onset",
    "onset_date",
    "irritability",
    "swelling",
    "recent_injury",
    "weeks_since_surgery",
    "age",
    "activity",
    "cleared",
    "protocol",
    "ottawa",
    "thompson",
    "cauda_equina",
)


def _flag(field: str) -> str:
    """The option that sets an intake field, to name it in an error."""
    special = {
        "red_flags": "--red-flag",
        "able_to_bear_weight": "--cannot-bear-weight",
        "circulation_or_sensation_problems": "--circulation-problems",
        "comorbidities": "--comorbidity",
        "dvt_risks": "--dvt-risk",
    }
    return special.get(field, "--" + field.replace("_", "-"))
