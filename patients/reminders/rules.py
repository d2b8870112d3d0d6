"""Which reminders fall due on a patient's local date: pure, given the facts.

Times are wall-clock times in the patient's IANA zone, converted to UTC per date, so 08:00
stays 08:00 across daylight-saving changes. A time inside a spring-forward gap maps to the
instant after the gap; in an autumn overlap the first occurrence is used (fold=0). Either way
the unique key (patient, local date, slot) gives exactly one reminder per slot and day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from patients.schedule import WEEK, questionnaire_due_on, training_weekdays

# What a red flag pauses until a clinician resolves it (F3): the exercises, ice and heat, and
# the weekly questionnaire (it asks about hopping and heel raises). The check-in goes on.
PAUSED_KINDS = frozenset({"session", "ice", "heat", "questionnaire"})


@dataclass(frozen=True, slots=True)
class ReminderFacts:
    zone: ZoneInfo
    started_on: date
    session_times: tuple[time, ...]
    sessions_per_day: int
    training_days_per_week: int
    ice_heat: tuple[tuple[str, tuple[time, ...], int, int | None], ...]  # modality, times, days
    quiet_start: time
    quiet_end: time
    daily_cap: int
    # The injury's onset date: ice/heat days count from it when known, else from started_on
    # (F22: ice for the first days after the injury).
    injured_on: date | None = None
    # The last weekly questionnaire response: the next is due a week later (schedule.py).
    last_questionnaire_on: date | None = None


@dataclass(frozen=True, slots=True)
class PlannedReminder:
    slot: str
    kind: str
    local_time: time
    due_at: datetime  # UTC


def in_quiet_hours(moment: time, start: time, end: time) -> bool:
    if start == end:
        return False
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end  # wraps midnight, e.g. 21:00–07:00


def to_utc(day: date, moment: time, zone: ZoneInfo) -> datetime:
    local = datetime.combine(day, moment).replace(tzinfo=zone)
    # Round-trip through UTC: a time in a spring-forward gap becomes the real instant after it.
    return local.astimezone(UTC)


def reminders_for(
    facts: ReminderFacts, day: date, *, paused: bool = False
) -> list[PlannedReminder]:
    """What is due on `day`, within quiet hours and the daily cap; `paused` (an unresolved red
    flag) leaves only what PAUSED_KINDS does not hold. The one rule for the planned reminders
    and the calendar feed (patients/calendar/)."""
    day_index = (day - facts.started_on).days
    if day_index < 0:
        return []
    planned: list[tuple[str, str, time]] = [("check_in", "check_in", facts.session_times[0])]
    if day.weekday() in training_weekdays(facts.training_days_per_week):
        times = facts.session_times[: facts.sessions_per_day]
        planned += [(f"session:{n}", "session", t) for n, t in enumerate(times, start=1)]
    injury_index = (day - min(facts.injured_on or facts.started_on, facts.started_on)).days
    for modality, times, from_day, to_day in facts.ice_heat:
        if from_day <= injury_index and (to_day is None or injury_index <= to_day):
            planned += [(f"{modality}:{n}", modality, t) for n, t in enumerate(times, start=1)]
    due_on = questionnaire_due_on(last_on=facts.last_questionnaire_on, started_on=facts.started_on)
    if day >= due_on and (day - due_on).days % WEEK == 0:  # on the day, then weekly if overdue
        planned.append(("questionnaire", "questionnaire", facts.session_times[0]))
    kept = sorted(
        (p for p in planned if not in_quiet_hours(p[2], facts.quiet_start, facts.quiet_end)),
        key=lambda p: (p[2], p[0]),
    )[: facts.daily_cap]
    return [
        PlannedReminder(slot=slot, kind=kind, local_time=t, due_at=to_utc(day, t, facts.zone))
        for slot, kind, t in kept
        if not (paused and kind in PAUSED_KINDS)  # after the cap, as the planner always did
    ]
