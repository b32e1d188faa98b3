from __future__ import annotations

import io
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from bankbuzz import cardmask
from bankbuzz.audit.context import client_address
from bankbuzz.audit.models import AuditEvent


def _jsonable(value: Any) -> Any:
    # Round-trip through Django's encoder so datetimes, UUIDs and decimals are stored as text.
    if value is None:
        return None
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def audit_fields(
    *,
    actor,
    verb: str,
    obj: models.Model | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
) -> dict[str, Any]:
    """The fields of one audit event: what `audit_record` appends, and what a service that writes a
    page of events in one statement (`inbox.services.insert_rows`) inserts."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or cardmask.shorten(str(obj), 200)
    is_person = actor is not None and getattr(actor, "is_authenticated", False)
    return {
        "actor": actor if is_person else None,
        "actor_label": actor.get_username() if is_person else "system",
        "verb": verb,
        "object_type": object_type,
        "object_id": object_id,
        "object_repr": cardmask.shorten(object_repr, 200),
        "before": _jsonable(before),
        "after": _jsonable(after),
        "client_address": client_address.get(),
    }


def audit_record(
    *,
    actor,
    verb: str,
    obj: models.Model | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
) -> AuditEvent:
    """Append one event. Called by services, inside their transaction."""
    fields = audit_fields(
        actor=actor,
        verb=verb,
        obj=obj,
        before=before,
        after=after,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr,
    )
    return AuditEvent.objects.create(**fields)


def audit_export(*, actor, start, end, fmt: str):
    """Write the events of [start, end] (whole days) as a hash-chained export; record the export.

    Returns (file positioned at 0, trailer). The `audit.export` event keeps the head hash, so a
    file whose whole chain was recomputed after an edit no longer matches what was exported.
    """
    import tempfile

    from django.utils import timezone

    from bankbuzz.audit import export

    if fmt not in export.FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    if end < start:
        raise ValueError("the end date is before the start date")
    out = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024, mode="w+b")  # noqa: SIM115 - returned
    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    events, log_prev = export.events_between(start, end, timezone.get_current_timezone())
    trailer = export.write(
        text,
        fmt,
        export.chained_rows(events, start, end),
        start=start,
        end=end,
        now=timezone.now(),
        log_prev=log_prev,
    )
    text.flush()
    text.detach()
    out.seek(0)
    audit_record(
        actor=actor,
        verb="audit.export",
        object_type="audit.export",
        object_id=trailer.head[:64],
        object_repr=f"{fmt} {trailer.start}..{trailer.end}",
        after={
            "format": fmt,
            "start": trailer.start,
            "end": trailer.end,
            "rows": trailer.rows,
            "head": trailer.head,
        },
    )
    return out, trailer


def audit_export_recorded(head: str) -> AuditEvent | None:
    """The `audit.export` event that produced a file with this head hash, if this database has one."""
    return AuditEvent.objects.filter(verb="audit.export", object_id=head[:64]).order_by("at").first()


# Fields whose values never go into the log, only the fact that they changed.
SECRET_FIELDS = frozenset({"password", "secret_encrypted", "credentials_encrypted", "key"})


def admin_change_record(*, actor, obj: models.Model, action: str, changed: dict[str, tuple]) -> AuditEvent:
    """Record a change made in the Django admin: `action` is add, change or delete.

    `changed` maps a field to its (before, after) values; secrets are logged as changed only.
    """
    before = {name: "(changed)" if name in SECRET_FIELDS else old for name, (old, _) in changed.items()}
    after = {name: "(changed)" if name in SECRET_FIELDS else new for name, (_, new) in changed.items()}
    return audit_record(
        actor=actor,
        verb=f"admin.{action}",
        obj=obj,
        before=before or None,
        after={"where": "admin", **after},
    )
