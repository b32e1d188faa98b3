"""Opening an incident, and a person adding a conversation to it or taking one out."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from bankbuzz.accounts.models import User
from bankbuzz.api.webhooks import emit
from bankbuzz.audit.services import audit_record
from inbox.models import Conversation, ConversationEvent, Tag
from inbox.services import conversation_event_record
from incidents.models import Incident, IncidentConversation
from incidents.services.access import IncidentError, can_lead, can_work
from incidents.services.matching import clean_terms, incident_backfill, join_conversations, tag_name
from listening.models import Network, SpikeAlert

Kind = ConversationEvent.Kind


def webhook_payload(incident: Incident) -> dict:
    """What the incident webhooks carry: ids, names and times, never a customer's words."""
    return {
        "id": incident.pk,
        "name": incident.name,
        "state": incident.state,
        "terms": incident.terms,
        "networks": incident.networks,
        "spike": incident.spike_id,
        "opened_at": incident.opened_at.isoformat(),
        "resolved_at": incident.resolved_at.isoformat() if incident.resolved_at else None,
        "conversations": IncidentConversation.objects.filter(
            incident=incident, removed_at__isnull=True
        ).count(),
        "url": reverse("api:incident-detail", args=[incident.pk]),
    }


@transaction.atomic
def incident_open(
    *,
    actor: User,
    name: str,
    terms,
    networks,
    spike: SpikeAlert | None = None,
    now: dt.datetime | None = None,
) -> Incident:
    if not can_lead(actor):
        raise IncidentError("Only social leads open incidents.")
    now = now or timezone.now()
    name = " ".join((name or "").split())[:120]
    if not name:
        raise IncidentError("Give the incident a name customers' questions can be filed under.")
    terms = clean_terms(terms)
    if not terms:
        raise IncidentError("Give at least one listening term (for example: app down, cannot log in).")
    networks = sorted({n for n in networks or [] if n in Network.values})
    if not networks:
        raise IncidentError("Choose at least one network.")
    incident = Incident.objects.create(
        name=name, terms=terms, networks=networks, spike=spike, opened_by=actor, opened_at=now
    )
    tag, _ = Tag.objects.get_or_create(name=tag_name(incident), defaults={"created_by": actor})
    Incident.objects.filter(pk=incident.pk).update(tag=tag)
    incident.tag = tag
    audit_record(
        actor=actor,
        verb="incident.open",
        obj=incident,
        after={"name": name, "terms": terms, "networks": networks, "spike": spike.pk if spike else None},
    )
    since = min(spike.started_at, now - dt.timedelta(hours=2)) if spike else now - dt.timedelta(hours=24)
    incident_backfill(incident=incident, since=since)
    emit("incident.opened", webhook_payload(incident))
    return incident


def require_open(incident: Incident) -> None:
    if not Incident.objects.filter(pk=incident.pk, state=Incident.State.OPEN).exists():
        raise IncidentError("This incident is resolved: open a new one if it started again.")


@transaction.atomic
def incident_conversation_add(
    *, actor: User, incident: Incident, conversation: Conversation
) -> IncidentConversation:
    if not can_work(actor):
        raise IncidentError("Your role may read incidents but not change them.")
    require_open(incident)
    member = IncidentConversation.objects.filter(incident=incident, conversation=conversation).first()
    if member is not None and member.removed_at is None:
        raise IncidentError("That conversation is in the incident already.")
    if member is not None:
        IncidentConversation.objects.filter(pk=member.pk).update(
            removed_at=None, removed_by=None, how=IncidentConversation.How.ADDED
        )
        if incident.tag:
            conversation.tags.add(incident.tag)
        conversation_event_record(
            conversation=conversation,
            actor=actor,
            kind=Kind.TAGGED,
            text=f"added it to the incident “{incident.name}” again",
            data={"incident": incident.pk},
        )
    else:
        join_conversations(incident, [conversation.pk], actor=actor, how=IncidentConversation.How.ADDED)
    audit_record(
        actor=actor, verb="incident.conversation_add", obj=incident, after={"conversation": conversation.pk}
    )
    return IncidentConversation.objects.get(incident=incident, conversation=conversation)


@transaction.atomic
def incident_conversation_remove(*, actor: User, incident: Incident, conversation: Conversation) -> None:
    if not can_work(actor):
        raise IncidentError("Your role may read incidents but not change them.")
    if not IncidentConversation.objects.filter(
        incident=incident, conversation=conversation, removed_at__isnull=True
    ).update(removed_at=timezone.now(), removed_by=actor):
        raise IncidentError("That conversation is not in the incident.")
    if incident.tag:
        conversation.tags.remove(incident.tag)
    conversation_event_record(
        conversation=conversation,
        actor=actor,
        kind=Kind.UNTAGGED,
        text=f"took it out of the incident “{incident.name}”",
        data={"incident": incident.pk},
    )
    audit_record(
        actor=actor,
        verb="incident.conversation_remove",
        obj=incident,
        before={"conversation": conversation.pk},
    )
