"""An escalation's webhook events (`escalation.*` in `bankbuzz.api.webhooks.EVENTS`), with the
payload built here, where the escalation lives: ids and the API path, never a customer's words."""

from __future__ import annotations

from bankbuzz.api.webhooks import emit
from escalations.models import Escalation


def emit_escalation(event: str, escalation: Escalation) -> None:
    emit(
        event,
        {
            "id": escalation.pk,
            "state": escalation.state,
            "department": escalation.department_id,
            "conversation": escalation.conversation_id,
            "priority": escalation.priority,
            "url": f"/api/v1/escalations/{escalation.pk}/",
        },
    )
