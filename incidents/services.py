"""Incidents: open one, let matching conversations join, answer them all personally, close the loop.

Every write is keyword-only, atomic where it can be and audited. Replies go through the inbox's
own outbox (`inbox.reply_services.reply_submit`), so each is an ordinary reply in its
conversation: guarded, approved where the rules say so, visible, withdrawable while queued,
sent exactly once. This module only chooses who gets one, when (batches within each network's
rate limits and the private-message windows), and who is held back for a person.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from bankbuzz.accounts import roles
from bankbuzz.accounts.models import User
from bankbuzz.api.webhooks import emit
from bankbuzz.audit.services import audit_record
from inbox import reply_services
from inbox.models import Conversation, ConversationEvent, Reply, Tag
from inbox.services import InboxError, StaleAction, conversation_event_record, conversation_set_status
from incidents.models import Incident, IncidentConversation, Post, PostDelivery
from listening.models import Mention, Network, SpikeAlert

logger = logging.getLogger(__name__)

Kind = ConversationEvent.Kind
Status = Conversation.Status

VARIABLES = (*reply_services.VARIABLES, "status_link")
MAX_TERMS = 20
# A conversation whose customer said one of these (the understanding layer's intent, whatever its
# confidence: holding back is the safe side) says more than the incident: a person answers it.
DEFAULT_HOLD_INTENTS = ("fraud",)
# Money taken or a payment not recognised, in the customer's own words: a fraud report whatever
# the model made of the rest ("app down and someone took £200, I did not make that payment" reads
# as an outage to it). Matched on the understanding layer's normalised text, beside its own fraud
# cues (listening.enrichment.features.CUES).
MONEY_AT_RISK = re.compile(
    r"(?<!\w)(?:did not make|did not authori[sz]|never authori[sz]|someone took|took £|took \$|took €|"
    r"taken from my|missing from my|gone from my|emptied my|drained my|not me who)",
    re.IGNORECASE,
)


class IncidentError(Exception):
    """An incident action refused, with what to do instead."""


def hold_intents() -> frozenset[str]:
    return frozenset(getattr(settings, "INCIDENT_HOLD_INTENTS", DEFAULT_HOLD_INTENTS))


def reply_pace() -> dict[str, tuple[int, int]]:
    """Per network: at most this many incident replies per this many seconds (settings.INCIDENT_REPLY_PACE).

    Below each network's write limit (X: 200 posts per 15 minutes per user; Facebook: about 300
    comments an hour per page in practice; LinkedIn: a daily member quota), leaving room for
    the replies agents write by hand at the same time.
    """
    return getattr(settings, "INCIDENT_REPLY_PACE", {})


# --- Who may do what ------------------------------------------------------------------------------------


def can_read(user: User) -> bool:
    return roles.can_read_inbox(user)


def can_lead(user: User) -> bool:
    """Open, answer in bulk and resolve an incident: social leads."""
    return roles.has_role(user, roles.LEAD)


def can_work(user: User) -> bool:
    """Add a conversation to an incident or take one out: whoever works the inbox."""
    return roles.can_work_inbox(user)


# --- Matching ---------------------------------------------------------------------------------------------


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


def _tag_name(incident: Incident) -> str:
    words = re.sub(r"[^\w &'./+-]", " ", incident.name)
    return " ".join(f"Incident {incident.pk} {words}".split())[:40]


def _join(incident: Incident, conversation_ids: list[int], *, actor: User | None, how: str) -> list[int]:
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
                joined[incident.pk] = _join(incident, ids, actor=None, how=IncidentConversation.How.MATCHED)
    return joined


def incident_backfill(*, incident: Incident, since: dt.datetime) -> list[int]:
    """The open conversations that already match when the incident is opened."""
    active = Conversation.objects.filter(status__in=Conversation.ACTIVE, network__in=incident.networks)
    keys = active.values("thread_key")
    mentions = Mention.objects.filter(created_at__gte=since, thread_key__in=keys)
    ids = _conversations_matching(incident, mentions)
    ids = list(active.filter(pk__in=ids).values_list("pk", flat=True))
    return _join(incident, ids, actor=None, how=IncidentConversation.How.MATCHED)


# --- Opening and membership ------------------------------------------------------------------------------


def _payload(incident: Incident) -> dict:
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


def terms_from_spike(alert: SpikeAlert) -> tuple[list[str], list[str]]:
    """The spike's terms and the networks of what spiked (accounts and queries)."""
    networks = set(alert.accounts.values_list("network", flat=True))
    for query_networks in alert.queries.values_list("networks", flat=True):
        networks.update(query_networks or [])
    return clean_terms(alert.terms), sorted(n for n in networks if n in Network.values) or list(
        Network.values
    )


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
    tag, _ = Tag.objects.get_or_create(name=_tag_name(incident), defaults={"created_by": actor})
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
    emit("incident.opened", _payload(incident))
    return incident


def _require_open(incident: Incident) -> None:
    if not Incident.objects.filter(pk=incident.pk, state=Incident.State.OPEN).exists():
        raise IncidentError("This incident is resolved: open a new one if it started again.")


@transaction.atomic
def incident_conversation_add(
    *, actor: User, incident: Incident, conversation: Conversation
) -> IncidentConversation:
    if not can_work(actor):
        raise IncidentError("Your role may read incidents but not change them.")
    _require_open(incident)
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
        _join(incident, [conversation.pk], actor=actor, how=IncidentConversation.How.ADDED)
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


# --- Answering everyone --------------------------------------------------------------------------------


def status_post(incident: Incident, purpose: str = Post.Purpose.STATUS) -> Post | None:
    return (
        incident.posts.filter(purpose=purpose)
        .exclude(state__in=(Post.State.WITHDRAWN, Post.State.REJECTED))
        .order_by("-created_at")
        .first()
    )


def status_links(incident: Incident) -> dict[str, str]:
    """The published status post's URL per network."""
    post = status_post(incident)
    if post is None:
        return {}
    sent = PostDelivery.objects.filter(post=post, state=PostDelivery.State.SENT).exclude(url="")
    return dict(sent.values_list("account__network", "url"))


def _check_template(text: str, *, incident: Incident) -> str:
    text = (text or "").strip()
    if not text:
        raise IncidentError("Write the reply first: it is empty.")
    if len(text) > 2000:
        raise IncidentError("Keep the reply under 2,000 characters.")
    unknown = sorted({v for v in reply_services.VARIABLE_RE.findall(text) if v not in VARIABLES})
    if unknown:
        raise IncidentError(
            "Unknown variable "
            + ", ".join("{" + v + "}" for v in unknown)
            + "; use "
            + ", ".join("{" + v + "}" for v in VARIABLES)
            + "."
        )
    if "{status_link}" in text and not status_links(incident):
        raise IncidentError(
            "The reply links to the status post, which is not published yet: publish it first "
            "(or take {status_link} out)."
        )
    return text


def fill(text: str, *, conversation: Conversation, agent: User, links: dict[str, str]) -> str:
    link = links.get(conversation.network) or next(iter(links.values()), "")
    return reply_services.fill_variables(
        text.replace("{status_link}", link), conversation=conversation, agent=agent
    )


@transaction.atomic
def incident_replies_prepare(
    *, actor: User, incident: Incident, text: str, follow_up: bool = False
) -> Incident:
    """Store the incident's reply (or follow-up) and hand the sending to a worker after the commit."""
    from incidents.tasks import send_replies

    if not can_lead(actor):
        raise IncidentError("Only social leads send a reply to every conversation of an incident.")
    if not follow_up:
        _require_open(incident)
    text = _check_template(text, incident=incident)
    field_name = "follow_up_text" if follow_up else "reply_text"
    before = getattr(incident, field_name)
    Incident.objects.filter(pk=incident.pk).update(**{field_name: text})
    setattr(incident, field_name, text)
    audit_record(
        actor=actor,
        verb=f"incident.{'follow_up' if follow_up else 'reply'}_prepare",
        obj=incident,
        before={"text": before},
        after={"text": text},
    )
    pk, actor_id = incident.pk, actor.pk
    transaction.on_commit(lambda: send_replies.delay(pk, actor_id, follow_up), robust=True)
    return incident


@dataclass
class SendOutcome:
    queued: list[int] = field(default_factory=list)
    held: dict[int, str] = field(default_factory=dict)
    skipped: list[int] = field(default_factory=list)
    # More conversations than one run takes: the task queues another run.
    more: bool = False

    def as_dict(self) -> dict:
        return {
            "queued": len(self.queued),
            "held": len(self.held),
            "skipped": len(self.skipped),
            "more": self.more,
        }


def _held_reason(conversation: Conversation, incident: Incident) -> str:
    """Why this customer's words say more than the incident, or "" (see the module docstring).

    Held: a message the understanding layer reads as fraud (or another of INCIDENT_HOLD_INTENTS),
    whatever its confidence, or whose words report fraud (its fraud cues, MONEY_AT_RISK) whatever
    its label unless a person corrected it; a message it cannot read with confidence (below
    CONFIDENT); a message with personal data in it (a card
    number in public needs a person). A label an agent corrected has confidence 1.0, so correcting
    a held message's intent to "outage" lets the next run answer it.

    And what the message says beyond the incident: its words without the incident's terms and the
    handles are read again, so a fraud report inside an outage ("app down and someone took £200,
    I did not make that payment") is held even when the whole message reads as the outage.
    """
    from listening.enrichment.features import CUES, normalise
    from listening.enrichment.understanding import CONFIDENT

    rows = Mention.objects.filter(
        network=conversation.network,
        thread_key=conversation.thread_key,
        author=conversation.customer_id,
        direction=Mention.Direction.IN,
    ).values_list("intent", "intent_confidence", "has_pii", "text")
    intents = hold_intents()
    unsure = settings.INCIDENT_HOLD_UNSURE
    reasons: list[str] = []
    for intent, confidence, has_pii, text in rows:
        words = normalise(text or "")
        # A label a person gave (corrected in the inbox) is certain: it overrides the words.
        by_person = confidence is not None and confidence >= 1.0
        beyond = "" if by_person or intent in intents else _beyond_the_incident(text, incident)
        if intent in intents:
            reasons.append(f"the customer's message reads as {intent}")
        elif beyond in intents:
            reasons.append(f"beyond the incident, the customer's message reads as {beyond}")
        elif (
            "fraud" in intents
            and not by_person
            and (CUES["fraud"].search(words) or MONEY_AT_RISK.search(words))
        ):
            reasons.append("the customer's message reports fraud (money taken or a payment not recognised)")
        elif unsure and intent and confidence is not None and confidence < CONFIDENT:
            reasons.append(
                f"the understanding layer is unsure what the message says ({intent}, {confidence:.0%})"
            )
        if has_pii:
            reasons.append("the customer wrote personal data")
    if not reasons:
        return ""
    return "; ".join(dict.fromkeys(reasons)).capitalize() + ": a person answers it."


# Fewer words than this left once the incident's terms are taken out say nothing more.
BEYOND_MIN_WORDS = 4


def _beyond_the_incident(text: str, incident: Incident) -> str:
    """The intent of what `text` says besides the incident's terms, read with confidence, or ""."""
    from listening.enrichment.understanding import CONFIDENT, understand

    rest = re.sub(r"@\w+", " ", text or "")
    for term in incident.terms:
        rest = re.sub(rf"(?<!\w){re.escape(term)}(?!\w)", " ", rest, flags=re.IGNORECASE)
    if len(rest.split()) < BEYOND_MIN_WORDS:
        return ""
    understood = understand(rest)
    return understood.intent if understood.intent_confidence >= CONFIDENT else ""


class _Pace:
    """When the n-th incident reply on a network may go: batches of `size` per `window` seconds."""

    def __init__(self, incident: Incident, now: dt.datetime):
        self.now = now
        self.incident = incident
        self.counts: dict[str, int] = {}

    def slot(self, network: str) -> dt.datetime | None:
        size, window = reply_pace().get(network, (0, 0))
        if not size:
            return None
        if network not in self.counts:
            # Incident replies already on their way in the current window take their places first.
            self.counts[network] = Reply.objects.filter(
                conversation__network=network,
                created_at__gte=self.now - dt.timedelta(seconds=window),
                state__in=(*Reply.PENDING, Reply.State.SENT),
                pk__in=IncidentConversation.objects.filter(incident=self.incident).values("reply"),
            ).count()
        batch = self.counts[network] // size
        self.counts[network] += 1
        return self.now + dt.timedelta(seconds=batch * window) if batch else None


def _send_one(
    *, actor: User, member: IncidentConversation, text: str, links: dict, pace: _Pace, follow_up: bool
) -> tuple[str, str]:
    conversation = Conversation.objects.select_related("customer", "account").get(pk=member.conversation_id)
    reason = "" if follow_up else _held_reason(conversation, member.incident)
    if reason:
        return "held", reason
    routes = reply_services.reply_routes(conversation=conversation)
    public, private = routes[Reply.Channel.PUBLIC], routes[Reply.Channel.PRIVATE]
    route = public if public.available else private
    if not route.available:
        private_thread = conversation.kind == Mention.Kind.DIRECT or conversation.thread_key.startswith(
            ("dm:", "m:", "ig:")
        )
        return "held", private.note if private_thread else public.note
    not_before = pace.slot(conversation.network)
    if route.window_ends is not None and not_before is not None and route.window_ends <= not_before:
        return "held", f"The private-message window closes before this reply's batch: {route.note}"
    body = fill(text, conversation=conversation, agent=actor, links=links)
    try:
        reply = reply_services.reply_submit(
            actor=actor, conversation=conversation, channel=route.channel, text=body, seen_version=None
        )
    except reply_services.ReplyBlocked as exc:
        return "held", str(exc)
    except (InboxError, StaleAction) as exc:
        return "held", str(exc)
    if not_before is not None:
        Reply.objects.filter(pk=reply.pk).update(not_before=not_before)
    field_name = "follow_up" if follow_up else "reply"
    IncidentConversation.objects.filter(pk=member.pk).update(**{field_name: reply})
    return "queued", str(reply.pk)


# Conversations one run answers; a task's run stays well within its time limit, the next run
# (queued by the task) takes the rest.
RUN_SIZE = 200


def _run(
    *, actor: User, incident: Incident, follow_up: bool, now: dt.datetime | None = None, limit: int = RUN_SIZE
) -> SendOutcome:
    now = now or timezone.now()
    incident.refresh_from_db()
    text = incident.follow_up_text if follow_up else incident.reply_text
    outcome = SendOutcome()
    if not text:
        return outcome
    links = status_links(incident)
    pace = _Pace(incident, now)
    members = IncidentConversation.objects.filter(incident=incident, removed_at__isnull=True)
    if follow_up:
        members = members.filter(follow_up__isnull=True, reply__state=Reply.State.SENT)
    else:
        # Held ones are looked at again: a corrected label or a person's change may free them.
        members = members.filter(reply__isnull=True, conversation__first_response_at__isnull=True)
    ids = list(members.order_by("joined_at", "pk").values_list("pk", flat=True)[: limit + 1])
    outcome.more = len(ids) > limit
    for member_id in ids[:limit]:
        with transaction.atomic():
            # One conversation at a time, claimed under its row lock: two runs never answer it twice.
            member = (
                IncidentConversation.objects.select_for_update(skip_locked=True)
                .filter(pk=member_id, removed_at__isnull=True)
                .filter(Q(follow_up__isnull=True) if follow_up else Q(reply__isnull=True))
                .first()
            )
            if member is None:
                outcome.skipped.append(member_id)
                continue
            if follow_up and _wrote_since(member):
                outcome.skipped.append(member.conversation_id)
                continue
            member.incident = incident
            result, detail = _send_one(
                actor=actor, member=member, text=text, links=links, pace=pace, follow_up=follow_up
            )
            if result == "held":
                if not follow_up:
                    IncidentConversation.objects.filter(pk=member.pk).update(held_reason=detail[:300])
                outcome.held[member.conversation_id] = detail
            else:
                if member.held_reason:
                    IncidentConversation.objects.filter(pk=member.pk).update(held_reason="")
                outcome.queued.append(member.conversation_id)
            if follow_up and result == "queued":
                conversation = Conversation.objects.get(pk=member.conversation_id)
                if conversation.status in Conversation.ACTIVE:
                    conversation_set_status(
                        actor=actor, conversation=conversation, status=Status.RESOLVED, seen_version=None
                    )
    audit_record(
        actor=actor,
        verb=f"incident.{'follow_ups' if follow_up else 'replies'}_sent",
        obj=incident,
        after=outcome.as_dict(),
    )
    return outcome


def _wrote_since(member: IncidentConversation) -> bool:
    """The customer wrote after our incident reply went: they said something new, a person reads it."""
    sent_at = Reply.objects.filter(pk=member.reply_id).values_list("sent_at", flat=True).first()
    last = (
        Conversation.objects.filter(pk=member.conversation_id)
        .values_list("last_inbound_at", flat=True)
        .first()
    )
    return bool(sent_at and last and last > sent_at)


def incident_replies_send(
    *, actor: User, incident: Incident, now: dt.datetime | None = None, limit: int = RUN_SIZE
) -> SendOutcome:
    if not can_lead(actor):
        raise IncidentError("Only social leads send a reply to every conversation of an incident.")
    return _run(actor=actor, incident=incident, follow_up=False, now=now, limit=limit)


def incident_follow_ups_send(
    *, actor: User, incident: Incident, now: dt.datetime | None = None, limit: int = RUN_SIZE
) -> SendOutcome:
    if not can_lead(actor):
        raise IncidentError("Only social leads close an incident's loop.")
    return _run(actor=actor, incident=incident, follow_up=True, now=now, limit=limit)


# --- Closing the loop -------------------------------------------------------------------------------


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
        _check_template(follow_up_text, incident=incident)
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
    emit("incident.resolved", {**_payload(incident), "follow_up": bool(follow_up_text)})
    return incident
