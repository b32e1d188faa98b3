"""Erasure requests: one person's data anonymised where nothing obliges the bank to keep it.

The audit app does not know what a person's data is: listening registers how to find the
person (`register_erasure_subject`), and the apps that hold their data register erasers
(`register_eraser`) that anonymise what they may and say what they kept and why in the
report. The report names objects by type and id, never by their text.

The audit log is not rewritten. It is append-only in PostgreSQL, its exports are hash-chained,
and it is the bank's own record of what it did (a legal obligation of its own). What it holds
about a person is counted in the report and kept; see README "Erasure".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from bankbuzz.audit.models import AuditEvent, ErasureRequest
from bankbuzz.audit.retention import Holds, RetentionError, hold_lock_exclusive, registry
from bankbuzz.audit.services import audit_record


@dataclass
class ErasureReport:
    """What an eraser did. Each line: object ("inbox.conversation:12"), what it is, why."""

    anonymised: list[dict] = field(default_factory=list)
    kept: list[dict] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def did(self, obj: str, what: str, how: str = "anonymised") -> None:
        self.anonymised.append({"object": obj, "what": what, "how": how})

    def keep(self, obj: str, what: str, reason: str) -> None:
        self.kept.append({"object": obj, "what": what, "reason": reason})

    def count(self, name: str, n: int) -> None:
        self.counts[name] = self.counts.get(name, 0) + n

    def as_json(self) -> dict:
        return {"anonymised": self.anonymised, "kept": self.kept, "counts": self.counts}


@dataclass
class ErasureContext:
    subject: object  # the person (listening.Author)
    holds: Holds
    report: ErasureReport
    now: object
    # Audit-log references: (object_type, [ids]) the erasers add, counted at the end.
    audit_refs: list[tuple[str, list]] = field(default_factory=list)


def register_erasure_subject(find: Callable[..., object | None], *, networks=()) -> None:
    """`find(network=, handle=, author_id=)` -> the person, or None; `networks`: the form's choices."""
    registry.erasure_subject = find
    registry.erasure_networks = list(networks)


def register_eraser(eraser: Callable[[ErasureContext], None]) -> None:
    registry.erasers.append(eraser)


def _audit_references(refs: list[tuple[str, list]]) -> int:
    total = 0
    for object_type, ids in refs:
        if ids:
            total += AuditEvent.objects.filter(
                object_type=object_type, object_id__in=[str(i) for i in ids]
            ).count()
    return total


@transaction.atomic
def erasure_request_create(
    *, actor, network: str = "", handle: str = "", author_id: int | None = None, reference: str = ""
) -> ErasureRequest:
    """Record the request and carry it out at once; the report is on the request."""
    handle = handle.strip().lstrip("@")
    if not author_id and not (network and handle):
        raise RetentionError("Name the person: a network and handle, or the person's id.")
    if registry.erasure_subject is None:
        raise RetentionError("Erasure is not set up: no app registered who a person is.")
    hold_lock_exclusive()  # no retention batch runs meanwhile
    subject = registry.erasure_subject(network=network, handle=handle, author_id=author_id)
    request = ErasureRequest.objects.create(
        network=network,
        handle=handle,
        author_id=author_id,
        reference=reference.strip()[:100],
        requested_by=actor,
        state=ErasureRequest.State.NOT_FOUND if subject is None else ErasureRequest.State.DONE,
    )
    if subject is None:
        request.report = {"anonymised": [], "kept": [], "counts": {}, "subject": None}
        request.save(update_fields=["report"])
        audit_record(
            actor=actor, verb="erasure.not_found", obj=request, after={"reference": request.reference}
        )
        return request
    context = ErasureContext(subject=subject, holds=Holds.load(), report=ErasureReport(), now=timezone.now())
    for eraser in registry.erasers:
        eraser(context)
    references = _audit_references(context.audit_refs)
    if references:
        context.report.keep(
            "audit.auditevent",
            f"{references} audit log events about this person's profile, conversations and messages",
            "the audit log is the bank's append-only record of what it did: kept as written "
            "(ids, the handle at the time in the object description, staff-written step texts); "
            "PostgreSQL refuses to change it and exported hash chains depend on it",
        )
    request.author_id = subject.pk
    request.report = {**context.report.as_json(), "subject": f"{subject._meta.label_lower}:{subject.pk}"}
    request.save(update_fields=["author_id", "report"])
    audit_record(
        actor=actor,
        verb="erasure.complete",
        obj=request,
        after={
            "subject": request.report["subject"],
            "reference": request.reference,
            "anonymised": len(context.report.anonymised),
            "kept": len(context.report.kept),
            "counts": context.report.counts,
        },
    )
    return request
