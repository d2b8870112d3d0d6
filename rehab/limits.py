"""The bounds of every number a person types, in one place: the web forms and the API
serializers both read them, so a value the web refuses the API refuses too.

These are plausibility bounds against typing errors (a sets field of 99), not clinical rules:
what a patient is prescribed comes from the catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Bounds:
    minimum: int
    maximum: int

    @property
    def message(self) -> str:
        return f"Enter a whole number from {self.minimum} to {self.maximum}."


# A prescribed dose (the therapist's "change a dose", "add" and "swap").
DOSE_SETS = Bounds(1, 20)
DOSE_REPS = Bounds(1, 200)
DOSE_HOLD_S = Bounds(1, 600)
DOSE_TIMES_PER_DAY = Bounds(1, 6)
DOSE_DAYS_PER_WEEK = Bounds(1, 7)
DOSE_REST_S = Bounds(0, 600)

# Each numeric dose field's bounds, for code that reads a dose by name (ChangeDose.from_dict).
DOSE_BOUNDS = {
    "sets": DOSE_SETS,
    "reps": DOSE_REPS,
    "reps_max": DOSE_REPS,
    "hold_s": DOSE_HOLD_S,
    "times_per_day": DOSE_TIMES_PER_DAY,
    "days_per_week": DOSE_DAYS_PER_WEEK,
    "rest_s": DOSE_REST_S,
}

# What the patient logs for one exercise of a session.
DONE_SETS = Bounds(0, 50)
DONE_REPS = Bounds(0, 500)
DONE_HOLD_S = Bounds(0, 600)
