"""Closing the loop: resolve the incident, follow up with everyone answered."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from bankbuzz.accounts.models import User
from bankbuzz.api.webhooks import emit
from bankbuzz.audit.services import audit_record
from incidents.models import Incident
from incidents.services.access import IncidentError, can_lead
from incidents.services.answering import check_template, incident_replies_prepare
from incidents.services.membership import webhook_payload


@transaction.atomic
def incident_resolve(
    *, actor: User, incident: Incident, follow_up_text: str = "", now: dt.datetime | None = None
) -> Incident:
    """Resolve: no more matching; the follow-up reply goes to everyone answered, and their
    conversations are resolved, unless the customer wrote again after our reply."""
    if not can_lead(actor):
        raise IncidentError("Only social leads resolve incidents.")
    now = now or timezone.now()
    if follow_up_text:
        check_template(follow_up_text, incident=incident)
    if not Incident.objects.filter(pk=incident.pk, state=Incident.State.OPEN).update(
        state=Incident.State.RESOLVED, resolved_at=now, resolved_by=actor
    ):
        raise IncidentError("This incident is resolved already.")
    audit_record(
        actor=actor, verb="incident.resolve", obj=incident, after={"follow_up": bool(follow_up_text)}
    )
    incident.refresh_from_db()
    if follow_up_text:
        incident_replies_prepare(actor=actor, incident=incident, text=follow_up_text, follow_up=True)
    emit("incident.resolved", {**webhook_payload(incident), "follow_up": bool(follow_up_text)})
    return incident
