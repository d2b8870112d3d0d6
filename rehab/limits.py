"""The bounds of every number a person types, in one place: the web forms and the API
serializers both read them, so a value the web refuses the API refuses too.

These are plausibility bounds against typing errors (a sets field of 99), not clinical rules:
what a patient is prescribed comes from the catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


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

# How many days of history a page shows (?days= on the therapist's patient page).
HISTORY_DAYS = Bounds(1, 3660)

# Which dates a record may carry (web pages and the API both come here, through the recording
# services). A session is dated from its programme's start, a check-in from the patient's
# first diagnosis, both up to the patient's own today in their zone (the Today the app shows);
# a date in between is accepted however late it arrives (an offline phone keeps what it logged
# on the day). A questionnaire may come from the week before the start (a baseline), so it
# keeps the wide window: EARLIEST_DATE to today + DATE_SLACK (a phone a little ahead across a
# zone edge).
DATE_SLACK = timedelta(days=1)

# A patient may change (PUT, PATCH, or log the slot again) or delete a session log for this
# long after its local date: long enough to fix a mistake made on the phone, short enough that
# the history a therapist has reviewed (adherence, pain trends, the flags raised from them)
# does not change under them. A product rule, not a clinical timeframe.
CHANGE_WINDOW = timedelta(days=7)


# The floor of every date the clinic records (as for device clocks, rehab/api_fields.py).
EARLIEST_DATE = date(2000, 1, 1)


EARLIEST_BIRTH = date(1900, 1, 1)


# How far ahead a programme may be scheduled to start; later means reassess first. These
# date limits guard input (typos, 9999-12-31); they are not clinical timeframes, which live in
# the catalogue with their sources.
MAX_START_AHEAD = timedelta(days=90)
