"""The error summary every form page shows at the top (GOV.UK's pattern): one list of every
problem of every form on the page that was sent back with errors, each linking to its field.
base.html renders it, so no page has to remember it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django import forms, template
from django.core.exceptions import NON_FIELD_ERRORS

register = template.Library()


@dataclass(frozen=True)
class Problem:
    message: str
    href: str  # "#<id of the field's first control>", or "" for a whole-form problem
    label: str = ""  # the field's label, so "Sets: Enter a whole number…" reads on its own

    @property
    def text(self) -> str:
        if not self.label:
            return self.message
        joint = " " if self.label[-1] in "?:." else ": "
        return f"{self.label}{joint}{self.message}"


def _forms_in(values: Iterable[Any]) -> Iterator[forms.BaseForm]:
    for value in values:
        if isinstance(value, forms.BaseForm):
            yield value
        elif isinstance(value, list | tuple):
            yield from (v for v in value if isinstance(v, forms.BaseForm))


def field_anchor(form: forms.BaseForm, name: str) -> str:
    """The id a link to the field should target: the control itself, or the first radio or
    checkbox of a group (whose label has no single `for`)."""
    if name not in form.fields or form.fields[name].widget.is_hidden:
        return ""
    field = form[name]
    target = field.id_for_label or (f"{field.auto_id}_0" if field.auto_id else "")
    return f"#{target}" if target else ""


def problems_of(form: forms.BaseForm) -> list[Problem]:
    """The form's errors in the order its fields are shown, whole-form ones first."""
    problems = [Problem(str(m), "") for m in form.errors.get(NON_FIELD_ERRORS, [])]
    for name, field in form.fields.items():
        for message in form.errors.get(name, []):
            label = "" if field.widget.is_hidden else str(form[name].label)
            problems.append(Problem(str(message), field_anchor(form, name), label))
    return problems


@register.inclusion_tag("rehab/_error_summary.html", takes_context=True)
def error_summary(context: template.Context) -> dict[str, Any]:
    """Every bound form with errors in the page's context (`form`, a list of forms …)."""
    seen: set[int] = set()
    problems: list[Problem] = []
    for form in _forms_in(context.flatten().values()):
        if id(form) in seen or not form.is_bound or not form.errors:
            continue
        seen.add(id(form))
        problems += [p for p in problems_of(form) if p not in problems]
    return {"problems": problems}
