"""The audit trail: who created, changed, deleted, viewed or exported each clinical record.

django-auditlog writes one `LogEntry` per create, update and delete of the models in
`settings.AUDITED_MODELS`, through model signals. This module adds what a clinic needs on top:

- **Actor, address and request id** on every entry (`AuditMiddleware` + `stamp`). The actor
  is read when the entry is written, so an API request authenticated by a token (which DRF
  does inside the view, after the middleware) is attributed too. The address comes from the
  same request header as the login lockout (`REHAB_AXES_IPWARE_META`), never from a header a
  client can forge when no proxy is configured.
- **No bypass by bulk operations** (`AuditedQuerySet`): `update()`, `bulk_create()` and
  `bulk_update()` send no signals, so the audited models' querysets log them themselves.
  `delete()` on a queryset already sends per-row signals.
- **No identifying text**: entries name an object by model and id, never by `str(obj)` (which
  holds a patient's name), carry no actor e-mail, and redact free text, phone numbers and dates
  of birth in their diffs (`redact`). So the trail can be kept for its full retention period
  and still holds nothing to erase when a patient is anonymised.
- **Append-only**: entries cannot be changed or deleted through the ORM (`_refuse_change`),
  the admin (read-only) or, on PostgreSQL and SQLite, SQL `UPDATE` (and on PostgreSQL
  `DELETE`) — database triggers, migration rehab 0002.
- **Reads**: `log_access` records a therapist's view or an export of a patient's record.
- **Sign-in security**: `log_account_event` records two-step sign-in events on an account.
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, TypeVar

from django.conf import settings
from django.db import models, transaction
from django.http import HttpRequest, HttpResponse

if TYPE_CHECKING:
    from auditlog.models import LogEntry

M = TypeVar("M", bound=models.Model)

_request: ContextVar[HttpRequest | None] = ContextVar("rehab_audit_request", default=None)
_request_id: ContextVar[str | None] = ContextVar("rehab_audit_request_id", default=None)

REQUEST_ID_HEADER = "X-Request-ID"
# Where the id is kept on the request too, for what is logged after the middleware has
# returned (Django logs a 4xx response then): rehab.log_format.RequestIdFilter.
REQUEST_ID_META = "rehab.request_id"
# A proxy's request id we keep (nginx's $request_id, a UUID, …): 8 to 128 letters, digits and
# . _ : - . Anything else (a client's junk, an attempt to forge log lines) gets our own id.
WELL_FORMED_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,127}")


def new_request_id(request: HttpRequest) -> str:
    """The reverse proxy's X-Request-ID when well-formed, so its access log, ours and the
    audit trail share one id; otherwise a fresh one."""
    sent = request.headers.get(REQUEST_ID_HEADER, "")
    return sent if WELL_FORMED_REQUEST_ID.fullmatch(sent) else uuid.uuid4().hex


class AuditMiddleware:
    """Remember the request (for `stamp`) and give it an id (`new_request_id`), returned as
    `X-Request-ID`, stored as the correlation id of every audit entry the request writes and
    carried by every log line (rehab/log_format.py) and error report (rehab/sentry.py)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = new_request_id(request)
        request.META[REQUEST_ID_META] = request_id
        tokens = (_request.set(request), _request_id.set(request_id))
        try:
            response = self.get_response(request)
        finally:
            _request.reset(tokens[0])
            _request_id.reset(tokens[1])
        response[REQUEST_ID_HEADER] = request_id
        return response


def request_id() -> str | None:
    """The current request's id (AUDITLOG_CID_GETTER); None outside a request (a task)."""
    return _request_id.get()


def client_address(request: HttpRequest) -> str | None:
    """The client's address from the configured header(s), as the lockout reads it: the first
    valid IP address, or None."""
    for key in settings.AXES_IPWARE_META_PRECEDENCE_ORDER:
        raw = request.META.get(key, "")
        for part in str(raw).split(","):
            candidate = part.strip()
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                continue
    return None


def redact(value: str) -> str:
    """AUDITLOG_MASK_CALLABLE: a masked field's diff says that it changed, not what it says."""
    return "" if value in ("", "None") else "[redacted]"


def stamp(entry: LogEntry) -> None:
    """Fill in what every audit entry carries: the request's actor and address, and an
    object representation by id (never `str(obj)`, which may hold a name)."""
    entry.object_repr = f"{entry.content_type.model} {entry.object_pk}"
    entry.actor_email = None
    request = _request.get()
    if request is None:
        return  # a task or command: the actor is the system
    user = getattr(request, "user", None)
    if entry.actor_id is None and user is not None and user.is_authenticated:
        entry.actor_id = user.pk
    entry.remote_addr = client_address(request)
    entry.cid = request_id()


def _stamp_on_save(sender: type, instance: LogEntry, **kwargs: Any) -> None:
    if not instance._state.adding:
        raise PermissionError("Audit entries are append-only.")
    stamp(instance)


def _refuse_delete(sender: type, instance: LogEntry, **kwargs: Any) -> None:
    raise PermissionError("Audit entries are append-only.")


def connect_signals() -> None:
    """Called from RehabConfig.ready()."""
    from auditlog.models import LogEntry
    from django.db.models.signals import pre_delete, pre_save

    pre_save.connect(_stamp_on_save, sender=LogEntry, dispatch_uid="rehab_audit_stamp")
    pre_delete.connect(_refuse_delete, sender=LogEntry, dispatch_uid="rehab_audit_no_delete")


def log_access(obj: models.Model, *, what: str, actor: Any = None, **details: Any) -> LogEntry:
    """Record that the current actor (or `actor`, for a request that signs nobody in, such as
    a calendar link) viewed or exported `obj` (`what`: "view", "export:json"…), with any
    `details` (ids and codes, never names)."""
    from auditlog.models import LogEntry

    entry = LogEntry.objects.log_create(
        obj,
        action=LogEntry.Action.ACCESS,
        force_log=True,
        additional_data={"access": what, **details},
        actor=actor,  # None: `stamp` fills in the signed-in user
    )
    assert entry is not None  # force_log always writes
    return entry


def log_account_event(
    user: Any, *, what: str, change: bool = False, actor: Any = None, **details: Any
) -> LogEntry:
    """Record a sign-in security event on `user`'s account (rehab/two_factor.py): a code
    accepted or refused at sign-in (an access), or two-step sign-in turned on or off, reset
    by an admin, recovery codes made again (`change`). `what` names it; `details` are codes
    and counts, never a secret. The actor is `actor`, else the signed-in user (none while a
    sign-in is still half-way)."""
    from auditlog.models import LogEntry

    entry = LogEntry.objects.log_create(
        user,
        action=LogEntry.Action.UPDATE if change else LogEntry.Action.ACCESS,
        force_log=True,
        additional_data={"account": what, **details},
        actor=actor,
    )
    assert entry is not None  # force_log always writes
    return entry


def log_view(user: Any, obj: models.Model, *, what: str = "view") -> None:
    """Record a view of a patient's record (`obj`: the patient, or a row with `.patient`
    loaded) by anyone but that patient: a therapist, clinic staff. A patient reading their
    own programme every day is not an audit event. Costs no query beyond the entry."""
    patient: Any = obj if obj._meta.label == "patients.Patient" else obj.patient  # type: ignore[attr-defined]
    if patient.user_id != user.pk:
        log_access(obj, what=what)


# --- Bulk operations ----------------------------------------------------------------------


def _auditing(model: type[models.Model]) -> bool:
    from auditlog.context import auditlog_disabled
    from auditlog.registry import auditlog

    return auditlog.contains(model) and not auditlog_disabled.get()


def _entries(
    model: type[models.Model],
    action: int,
    pairs: Iterable[tuple[models.Model | None, models.Model]],
    fields: Sequence[str] | None = None,
) -> list[LogEntry]:
    """Unsaved, stamped entries for (old, new) pairs, diffed as auditlog diffs a save."""
    from auditlog.diff import model_instance_diff
    from auditlog.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    content_type = ContentType.objects.get_for_model(model)
    entries = []
    for old, new in pairs:
        changes = model_instance_diff(old, new, fields_to_check=fields)
        if not changes:
            continue
        pk = new.pk
        entry = LogEntry(
            content_type=content_type,
            object_pk=str(pk),
            object_id=pk if isinstance(pk, int) else None,
            action=action,
            changes=changes,
        )
        stamp(entry)
        entries.append(entry)
    return entries


class AuditedQuerySet(models.QuerySet[M]):
    """The queryset of every audited model: bulk writes log an entry per row they touch,
    in the same transaction, exactly as a `save()` would have."""

    def update(self, **kwargs: Any) -> int:
        if not _auditing(self.model):
            return super().update(**kwargs)
        from auditlog.models import LogEntry

        with transaction.atomic(using=self.db):
            before = {obj.pk: obj for obj in self._chain()}  # type: ignore[attr-defined]
            count = super().update(**kwargs)
            after = self.model._base_manager.using(self.db).in_bulk(list(before))
            pairs = [(before[pk], after[pk]) for pk in before if pk in after]
            names = [self.model._meta.get_field(name).name for name in kwargs]
            LogEntry.objects.bulk_create(_entries(self.model, LogEntry.Action.UPDATE, pairs, names))
        return count

    def bulk_create(self, objs: Iterable[M], *args: Any, **kwargs: Any) -> list[M]:
        if not _auditing(self.model):
            return super().bulk_create(objs, *args, **kwargs)
        from auditlog.models import LogEntry

        if kwargs.get("update_conflicts"):
            raise NotImplementedError("update_conflicts is not audited; save the rows instead.")
        objs = list(objs)
        with transaction.atomic(using=self.db):
            created = super().bulk_create(objs, *args, **kwargs)
            if kwargs.get("ignore_conflicts"):
                # Rows that hit a conflict were not inserted. Primary keys made before the insert
                # (UUIDs) tell which ones were: those that now exist are ours.
                if any(obj.pk is None for obj in objs):
                    raise NotImplementedError("ignore_conflicts needs primary keys set in advance.")
                stored = set(
                    self.model._base_manager.using(self.db)
                    .filter(pk__in=[obj.pk for obj in objs])
                    .values_list("pk", flat=True)
                )
                created = [obj for obj in objs if obj.pk in stored]
            pairs = [(None, obj) for obj in created]
            LogEntry.objects.bulk_create(_entries(self.model, LogEntry.Action.CREATE, pairs))
        return created

    def bulk_update(
        self, objs: Iterable[M], fields: Iterable[str], batch_size: int | None = None
    ) -> int:
        if not _auditing(self.model):
            return super().bulk_update(objs, fields, batch_size)
        from auditlog.context import disable_auditlog
        from auditlog.models import LogEntry

        objs = list(objs)
        with transaction.atomic(using=self.db):
            before = self.model._base_manager.using(self.db).in_bulk([obj.pk for obj in objs])
            fields = list(fields)
            with disable_auditlog():  # Django's bulk_update calls update(): log once, here
                count = super().bulk_update(objs, fields, batch_size)
            pairs = [(before[obj.pk], obj) for obj in objs if obj.pk in before]
            LogEntry.objects.bulk_create(
                _entries(self.model, LogEntry.Action.UPDATE, pairs, fields)
            )
        return count
