"""An escalation's webhook events (`escalation.*` in `bankbuzz.api.webhooks.EVENTS`), with the
payload built here, where the escalation lives: ids and the API path, never a customer's words."""

from __future__ import annotations

from collections.abc import Iterable

from bankbuzz.api.webhooks import emit, emit_many
from escalations.models import Escalation


def escalation_payload(escalation: Escalation) -> dict:
    return {
        "id": escalation.pk,
        "state": escalation.state,
        "department": escalation.department_id,
        "conversation": escalation.conversation_id,
        "priority": escalation.priority,
        "url": f"/api/v1/escalations/{escalation.pk}/",
    }


def emit_escalation(event: str, escalation: Escalation) -> None:
    emit(event, escalation_payload(escalation))


def emit_escalations(event: str, escalations: Iterable[Escalation]) -> None:
    """The same event for many escalations, queued in one batch."""
    emit_many(event, [escalation_payload(e) for e in escalations])
