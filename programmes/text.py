"""A plan as plain, readable text (the CLI's default output), and doses in plain words."""

from __future__ import annotations

import re

from programmes.knowledge import Catalogue, DoseSpec
from programmes.models import Dose
from programmes.planner import Note, PlanResult, Referral


def describe_dose(dose: DoseSpec | Dose) -> str:
    """A dose in plain words, only the parts it sets: '3 sets of 15, twice a day, every day';
    '5 holds of 45 seconds, rest 2 minutes in between'. The one wording of a dose everywhere
    (Today, My programme, the handout, the therapist's pages, revision summaries). A
    catalogue or planned dose, or a prescribed one (a programme item)."""
    if not isinstance(dose, DoseSpec):
        dose = DoseSpec(**{k: v for k, v in dose.dose_dict().items() if v is not None})
    reps = None
    if dose.reps is not None:
        reps = f"{dose.reps}–{dose.reps_max}" if dose.reps_max else str(dose.reps)
    parts = []
    if dose.hold_s is not None:
        hold = plain_duration(dose.hold_s)
        if dose.sets is not None and reps and reps != "1":
            parts.append(f"{dose.sets} sets of {reps}, holding each for {hold}")
        elif dose.sets is not None or reps:
            count = str(dose.sets) if dose.sets is not None else str(reps)
            parts.append(f"{count} {'hold' if count == '1' else 'holds'} of {hold}")
        else:
            parts.append(f"hold for {hold}")
    elif dose.sets is not None and reps:
        parts.append(f"{dose.sets} {'set' if dose.sets == 1 else 'sets'} of {reps}")
    elif dose.sets is not None:
        parts.append(f"{dose.sets} {'set' if dose.sets == 1 else 'sets'}")
    elif reps:
        parts.append(f"{reps} {'time' if reps == '1' else 'times'}")
    if dose.load:
        parts.append(plain_load(dose.load))
    if dose.tempo:
        parts.append(plain_tempo(dose.tempo))
    if dose.rest_s is not None and parts:
        parts.append(f"rest {plain_duration(dose.rest_s)} in between")
    if dose.times_per_day is not None:
        parts.append(
            {1: "once a day", 2: "twice a day"}.get(
                dose.times_per_day, f"{dose.times_per_day} times a day"
            )
        )
    if dose.days_per_week is not None:
        parts.append(
            "every day" if dose.days_per_week == 7 else f"{dose.days_per_week} days a week"
        )
    return ", ".join(parts) or "dose set by your clinician"


def plain_duration(seconds: int) -> str:
    """45 → '45 seconds'; 60 → '1 minute'; 150 → '150 seconds' (whole minutes only)."""
    if seconds >= 60 and seconds % 60 == 0:
        minutes = seconds // 60
        return f"{minutes} minute{'' if minutes == 1 else 's'}"
    return f"{seconds} second{'' if seconds == 1 else 's'}"


_REPETITION_MAXIMUM = re.compile(r"^\s*(\d+)\s*RM\s*$", re.IGNORECASE)


def plain_load(load: str) -> str:
    """The catalogue's load in words a patient understands (F40).

    "15RM" (a repetition maximum) becomes "a weight you can lift 15 times but not 16": that is
    the definition of the term, not a new number."""
    match = _REPETITION_MAXIMUM.match(load)
    if match:
        reps = int(match.group(1))
        return f"with a weight you can lift {reps} times but not {reps + 1}"
    if load.strip().lower() == "body weight":
        return "your own body weight"
    return load


def plain_tempo(tempo: str) -> str:
    """'3 s up, 3 s down' → 'slowly: 3 seconds up, 3 seconds down' (F40)."""

    def seconds(match: re.Match[str]) -> str:
        count = match.group(1)
        return f"{count} second{'' if count == '1' else 's'}"

    return "slowly: " + re.sub(r"(\d+)\s*s\b", seconds, tempo)


def _notes(title: str, notes: tuple[Note, ...]) -> list[str]:
    if not notes:
        return []
    lines = ["", title]
    lines += [f"  - {n.message} [{', '.join(n.sources)}]" for n in notes]
    return lines


def plan_as_text(result: PlanResult, catalogue: Catalogue) -> str:
    condition = catalogue.conditions[result.condition]
    if isinstance(result, Referral):
        lines = [
            f"REFERRAL — {condition.name}",
            f"Urgency: {result.urgency}",
            "No home programme: refer instead.",
        ]
        lines += _notes("Reasons:", result.reasons)
        lines += _notes("Warnings:", result.warnings)
        return "\n".join(lines)

    protocol = catalogue.protocols[result.protocol]
    lines = [f"PROGRAMME — {condition.name}", f"Protocol: {protocol.name}"]
    if result.side:
        lines.append(f"Side: {result.side}")
    for phase in result.phases:
        weeks = f"week {phase.start_week}" + (
            f"–{phase.end_week}"
            if phase.end_week and phase.end_week != phase.start_week
            else ("" if phase.end_week else " onwards")
        )
        lines += ["", f"Phase {phase.position}: {phase.name} ({weeks})"]
        for item in phase.items:
            lines.append(f"  - {item.name}: {describe_dose(item.dose)} [{', '.join(item.sources)}]")
        for criterion in phase.progression_criteria:
            lines.append(f"    move on when: {criterion}")
    if result.ice_heat:
        lines += ["", "Ice / heat:"]
        for slot in result.ice_heat:
            days = f"days {slot.from_day}–{slot.to_day}" if slot.to_day is not None else "ongoing"
            lines.append(
                f"  - {slot.modality}: up to {slot.max_minutes} min at {', '.join(slot.times)} "
                f"(at least {slot.min_gap_hours} h apart; {days}) [{', '.join(slot.sources)}]"
            )
    if result.checkpoints:
        lines += ["", "Review checkpoints:"]
        for checkpoint in result.checkpoints:
            lines.append(
                f"  - day {checkpoint.after_days}: {checkpoint.rule} → {checkpoint.action} "
                f"[{', '.join(checkpoint.sources)}]"
            )
    lines += _notes("Warnings for the clinician:", result.warnings)
    return "\n".join(lines)
