"""Which conversations an incident holds: its terms, matched on ingest and when it is opened."""

from __future__ import annotations

import datetime as dt
import re

from django.db import transaction
from django.db.models import Q

from bankbuzz.accounts.models import User
from inbox.models import Conversation, ConversationEvent
from inbox.services import conversation_event_record
from incidents.models import Incident, IncidentConversation
from listening.models import Mention, Network, SpikeAlert

Kind = ConversationEvent.Kind
Status = Conversation.Status

MAX_TERMS = 20


def clean_terms(terms) -> list[str]:
    if isinstance(terms, str):
        terms = re.split(r"[,\n]", terms)
    cleaned: list[str] = []
    for term in terms or []:
        term = " ".join(str(term).split()).lower()[:60]
        if term and term not in cleaned:
            cleaned.append(term)
    return cleaned[:MAX_TERMS]


def match_q(terms: list[str]) -> Q:
    """Messages that contain one of the terms as whole words (PostgreSQL's \\m and \\M word edges)."""
    where = Q(pk__in=[])
    for term in terms:
        where |= Q(text__iregex=r"\m" + re.escape(term).replace(r"\ ", r"\s+") + r"\M")
    return where


def _conversations_matching(incident: Incident, mentions) -> list[int]:
    keys = set(
        mentions.filter(
            match_q(incident.terms), direction=Mention.Direction.IN, network__in=incident.networks
        )
        .exclude(author__external_id__in=models_account_ids(incident.networks))
        .values_list("network", "thread_key")
    )
    if not keys:
        return []
    where = Q(pk__in=[])
    for network, thread_key in keys:
        where |= Q(network=network, thread_key=thread_key)
    return list(Conversation.objects.filter(where).exclude(status=Status.SPAM).values_list("pk", flat=True))


def models_account_ids(networks):
    # Our own posts use the terms too ("the app is back"): they never bring a conversation in.
    from listening.models import SocialAccount

    return SocialAccount.objects.filter(network__in=networks).values("external_id")


def tag_name(incident: Incident) -> str:
    words = re.sub(r"[^\w &'./+-]", " ", incident.name)
    return " ".join(f"Incident {incident.pk} {words}".split())[:40]


def join_conversations(
    incident: Incident, conversation_ids: list[int], *, actor: User | None, how: str
) -> list[int]:
    """Add conversations (once: one taken out by a person stays out of automatic matching)."""
    existing = set(
        IncidentConversation.objects.filter(
            incident=incident, conversation_id__in=conversation_ids
        ).values_list("conversation_id", flat=True)
    )
    new = [pk for pk in dict.fromkeys(conversation_ids) if pk not in existing]
    if not new:
        return []
    IncidentConversation.objects.bulk_create(
        [IncidentConversation(incident=incident, conversation_id=pk, how=how) for pk in new],
        ignore_conflicts=True,
    )
    tag = incident.tag
    verb = "added it to" if how == IncidentConversation.How.ADDED else "it joined"
    for conversation in Conversation.objects.filter(pk__in=new):
        if tag is not None:
            conversation.tags.add(tag)
        conversation_event_record(
            conversation=conversation,
            actor=actor,
            kind=Kind.TAGGED,
            text=f"{verb} the incident “{incident.name}”",
            data={"incident": incident.pk, **({"tag": tag.pk} if tag else {})},
        )
    return new


def incidents_match_mentions(*, mention_ids: list[int]) -> dict[int, list[int]]:
    """On ingest: new customer messages that match an open incident bring their conversation in."""
    joined: dict[int, list[int]] = {}
    open_incidents = list(Incident.objects.filter(state=Incident.State.OPEN).select_related("tag"))
    if not open_incidents:
        return joined
    mentions = Mention.objects.filter(pk__in=mention_ids)
    for incident in open_incidents:
        with transaction.atomic():
            ids = _conversations_matching(incident, mentions)
            if ids:
                joined[incident.pk] = join_conversations(
                    incident, ids, actor=None, how=IncidentConversation.How.MATCHED
                )
    return joined


def incident_backfill(*, incident: Incident, since: dt.datetime) -> list[int]:
    """The open conversations that already match when the incident is opened."""
    active = Conversation.objects.filter(status__in=Conversation.ACTIVE, network__in=incident.networks)
    keys = active.values("thread_key")
    mentions = Mention.objects.filter(created_at__gte=since, thread_key__in=keys)
    ids = _conversations_matching(incident, mentions)
    ids = list(active.filter(pk__in=ids).values_list("pk", flat=True))
    return join_conversations(incident, ids, actor=None, how=IncidentConversation.How.MATCHED)


def terms_from_spike(alert: SpikeAlert) -> tuple[list[str], list[str]]:
    """The spike's terms and the networks of what spiked (accounts and queries)."""
    networks = set(alert.accounts.values_list("network", flat=True))
    for query_networks in alert.queries.values_list("networks", flat=True):
        networks.update(query_networks or [])
    return clean_terms(alert.terms), sorted(n for n in networks if n in Network.values) or list(
        Network.values
    )
