"""Small template helpers for the web pages: roles, doses, the unread-notification count."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import escape, format_html_join
from django.utils.safestring import SafeString

from patients.monitoring.selectors import group_flags
from patients.monitoring.selectors import rule_label as monitoring_rule_label
from patients.notifications.selectors import notifications_for
from programmes.knowledge import DoseSpec
from programmes.models import Dose, RedFlag
from programmes.selectors import INFERENCE, catalogue_snapshot, citations
from programmes.text import describe_dose
from programmes.vocab import Urgency
from rehab.roles import role_of

register = template.Library()


@register.filter
def role(user: Any) -> str:
    """'therapist', 'patient', 'staff' or '' — what the header shows."""
    return role_of(user)


# The pages each tab of the patient's tab bar stands for (rehab/_tab_bar.html): the log form
# belongs to Today and the check-in's result to Check-in; every other patient page is reached
# from More.
_TABS = {"today": "today", "check_in": "check_in", "progress": "progress"}


@register.filter
def patient_tab(nav: str) -> str:
    """The tab a page belongs to, from its `nav`: 'today', 'check_in', 'progress', 'more', or
    '' for a page of none (an error page)."""
    return _TABS.get(nav, "more") if nav else ""


@register.filter
def dose(row: Dose | DoseSpec) -> str:
    """A prescribed, planned or catalogue dose in words: '3 × 15, twice a day, every day'."""
    return describe_dose(row)


@register.filter
def patient_cautions(exercise: Any, condition: str) -> list[str]:
    """The plain-words cautions for a patient with `condition` (never another condition's,
    never the clinician's notes)."""
    return list(exercise.patient_cautions_for(condition))


INFERENCE_TITLE = "Our inference, not a source's figure: needs clinician sign-off."


@register.filter
def sources(codes: Any) -> SafeString:
    """Source ids ("R6", "SEED-001", "INFERENCE") as links to the references page, each with
    its citation as a tooltip: the one place therapist pages turn source ids into text. Never
    used on a patient's page (the references page is for clinicians)."""
    page = reverse("references")
    known = citations()

    def link(code: str) -> tuple[str, str, str, str]:
        if code == INFERENCE:
            return (f"{page}#inference", INFERENCE_TITLE, "source inference", code)
        cited = known.get(code)
        title = cited.citation if cited else "Not in the reference list"
        return (f"{page}#{code}", title, "source", code)

    return format_html_join(
        ", ", '<a href="{}" title="{}" class="{}">{}</a>', (link(str(c)) for c in codes or ())
    )


SOURCE_ID_IN_TEXT = re.compile(r"\b(SEED-00\d|R\d{1,2}[a-c]?|INFERENCE)\b")


@register.filter
def link_sources(text: str) -> SafeString:
    """Clinician text ("… [R6]", "R29, R30") with each source id in it linked as `sources`
    does; the rest escaped."""
    parts = SOURCE_ID_IN_TEXT.split(str(text or ""))
    # split() with one group: even indexes are the text between, odd ones the ids.
    return SafeString(
        "".join(sources([part]) if i % 2 else escape(part) for i, part in enumerate(parts))
    )


@register.filter
def condition_name(slug: str) -> str:
    condition = catalogue_snapshot().conditions.get(slug)
    return condition.name if condition else slug


@register.filter
def protocol_name(slug: str) -> str:
    protocol = catalogue_snapshot().protocols.get(slug)
    return protocol.name if protocol else slug


@register.simple_tag
def unread_notification_count(user: Any) -> int:
    return notifications_for(user).filter(read_at__isnull=True).count()


@register.filter
def nrs(value: float | None) -> str:
    """A 0–10 pain value (or a mean) for tables: '3', '2.5' or '–' when missing."""
    return "–" if value is None else f"{value:g}"


@register.filter
def percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f} %"


@register.filter
def minutes(value: timedelta) -> int:
    return round(value.total_seconds() / 60)


@register.filter
def urgency_label(value: str) -> str:
    """'urgent' → 'Same day' (the catalogue's urgency vocabulary in words)."""
    try:
        return str(Urgency(value).label)
    except ValueError:
        return value


def _amount(sets: int | None, reps: int | None, hold_s: int | None) -> str:
    each = f"{hold_s} s" if hold_s is not None else (str(reps) if reps is not None else "")
    if sets is not None and each:
        return f"{sets} × {each}"
    return f"{sets} sets" if sets is not None else each


@register.filter
def exercise_done(entry: Any) -> str:
    """'3 × 10 (of 3 × 15), 5 kg, pain 2/10' — what was done beside what was prescribed."""
    done = _amount(entry.sets_done, entry.reps_done, entry.hold_s_done) or "done"
    target = _amount(entry.target_sets, entry.target_reps, entry.target_hold_s)
    parts = [f"{done} (of {target})" if target else done]
    if entry.load:
        parts.append(entry.load)
    if entry.pain_during_nrs is not None:
        parts.append(f"pain {entry.pain_during_nrs}/10")
    return ", ".join(parts)


@register.filter
def red_flag_question(slug: str) -> str:
    """A check-in's red-flag answer as the question the patient said yes to (walk-through
    13: never the raw slug); the slug only if the catalogue no longer has it."""
    question = RedFlag.objects.filter(slug=slug).values_list("question", flat=True).first()
    return question or slug


@register.filter
def rule_label(rule: str) -> str:
    """A monitoring rule's name in words ("weekly_trend" → "Morning symptoms up on last week")."""
    return monitoring_rule_label(rule)


@register.filter
def flag_groups(flags: list[Any]) -> list[Any]:
    """Flags as the therapist sees them: one worsening's step-back findings as one."""
    return group_flags(list(flags))
