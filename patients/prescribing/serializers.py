"""The API's shape of a patient's own programme."""

from __future__ import annotations

from patients.monitoring.serializers import PauseOutput
from programmes.serializers import ProgrammeOutput


class MyProgrammeOutput(ProgrammeOutput):
    """The patient's own programme, with the pause (F3) so an app working offline from it
    stops offering sessions and ice/heat while a red flag is unresolved."""

    paused = PauseOutput(
        allow_null=True,
        help_text="Null unless a reported red flag has paused the programme (see PauseOutput).",
    )
