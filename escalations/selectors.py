"""Reads that span relations: routing suggestions, the queue, an escalation's page."""

from __future__ import annotations

import base64
import datetime as dt
import functools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from escalations import permissions
from escalations.models import Department, Escalation, Holiday, RoutingRule, SlaPolicy
from escalations.sla import WorkingHours
from inbox.models import Conversation
from listening.enrichment.understanding import CONFIDENT
from listening.models import Mention

QUEUE_PAGE_SIZE = 50
# How much of the thread a routing rule reads (newest customer messages).
ROUTING_MESSAGES = 20


# --- Departments and their clocks ------------------------------------------------------------


def working_hours(department: Department) -> WorkingHours:
    return WorkingHours.of(
        department.time_zone,
        days=department.work_days,
        start=department.day_start,
        end=department.day_end,
        holidays=department.holidays.values_list("date", flat=True),
    )


# Used when a department has no policy for a priority yet: a working day to answer, three to resolve.
DEFAULT_SLA_MINUTES = (8 * 60, 3 * 8 * 60)


def sla_minutes(department: Department, priority: int) -> tuple[int, int]:
    policy = SlaPolicy.objects.filter(department=department, priority=priority).first()
    if policy is None:
        return DEFAULT_SLA_MINUTES
    return policy.first_response_minutes, policy.resolution_minutes


def departments_clocks(
    department_ids: Iterable[int],
) -> tuple[dict[int, list[dt.date]], dict[tuple[int, int], tuple[int, int]]]:
    """The holidays of these departments and their SLA minutes by (department, priority), in two queries.

    What `working_hours` and `sla_minutes` read, for a page of escalations at once.
    """
    ids = sorted(set(department_ids))
    holidays: dict[int, list[dt.date]] = {pk: [] for pk in ids}
    for department_id, date in Holiday.objects.filter(department_id__in=ids).values_list(
        "department_id", "date"
    ):
        holidays[department_id].append(date)
    minutes = {
        (department_id, priority): (response, resolution)
        for department_id, priority, response, resolution in SlaPolicy.objects.filter(
            department_id__in=ids
        ).values_list("department_id", "priority", "first_response_minutes", "resolution_minutes")
    }
    return holidays, minutes


def active_departments() -> QuerySet[Department]:
    return Department.objects.filter(is_active=True).order_by("name")


# --- Routing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    rule: RoutingRule
    department: Department
    priority: int


def customer_mentions(conversation: Conversation) -> QuerySet[Mention]:
    """Every message the conversation's customer wrote in its thread (no one else's)."""
    return Mention.objects.filter(
        network=conversation.network,
        thread_key=conversation.thread_key,
        direction=Mention.Direction.IN,
        author_id=conversation.customer_id,
    )


def customer_messages(conversation: Conversation, *, limit: int = ROUTING_MESSAGES) -> list[Mention]:
    """The customer's messages in the thread, oldest first (the newest `limit`)."""
    newest = list(
        customer_mentions(conversation)
        # Rules and pages read the text and its enrichment, never the network's payload.
        .defer("raw", "edit_history")
        .order_by("-created_at", "-id")[:limit]
    )
    return newest[::-1]


# What the routing rules and the conversation pane's side panels (escalations, complaints) read
# of the customer's newest messages, as rows: both panels show on every open of the pane.
_CUSTOMER_MESSAGE_FIELDS = (
    "id", "created_at", "text", "has_pii", "pii_findings", "intent", "intent_confidence", "priority_hint",
)  # fmt: skip


class CustomerMessage:
    """A row of `Mention` (the fields above), with the model's masking."""

    __slots__ = _CUSTOMER_MESSAGE_FIELDS
    masked_text = Mention.masked_text

    def __init__(self, row: tuple) -> None:
        for name, value in zip(_CUSTOMER_MESSAGE_FIELDS, row, strict=True):
            setattr(self, name, value)

    @property
    def pk(self) -> int:
        return self.id


def customer_message_rows(queryset: QuerySet[Mention]) -> list[CustomerMessage]:
    return [CustomerMessage(row) for row in queryset.values_list(*_CUSTOMER_MESSAGE_FIELDS)]


def newest_customer_messages(conversation: Conversation) -> list[CustomerMessage]:
    """`customer_messages` as rows, newest first, read once per conversation object: the pane's
    escalation and complaint panels both use them."""
    rows = getattr(conversation, "_newest_customer_messages", None)
    if rows is None:
        rows = customer_message_rows(
            customer_mentions(conversation).order_by("-created_at", "-id")[:ROUTING_MESSAGES]
        )
        conversation._newest_customer_messages = rows
    return rows


@functools.lru_cache(maxsize=1024)
def _phrase_pattern(phrase: str) -> re.Pattern:
    # Whole words: "card" must not match "discarded".
    return re.compile(rf"(?<!\w){re.escape(phrase)}(?!\w)")


def _phrase_matches(phrase: str, text: str) -> bool:
    return _phrase_pattern(phrase).search(text) is not None


def _confident(message: Mention) -> bool:
    # A guess (low confidence) never routes or escalates; no confidence at all is a label stored
    # before labels had one, or one a person set, and counts as before.
    return message.intent_confidence is None or message.intent_confidence >= CONFIDENT


def rule_matches(rule: RoutingRule, conversation: Conversation, messages: list[Mention]) -> bool:
    if rule.network and rule.network != conversation.network:
        return False
    if rule.language and rule.language != conversation.lang:
        return False
    if rule.has_pii is not None and rule.has_pii != conversation.has_pii:
        return False
    if rule.min_followers is not None and (conversation.customer.followers or 0) < rule.min_followers:
        return False
    if rule.intent and not any(m.intent == rule.intent and _confident(m) for m in messages):
        return False
    if rule.priority_hint and not any(m.priority_hint == rule.priority_hint for m in messages):
        return False
    phrases = rule.phrase_list
    if phrases:
        texts = [" ".join(m.text.lower().split()) for m in messages]
        if not any(_phrase_matches(p, t) for p in phrases for t in texts):
            return False
    return True


def routing_suggest(
    conversation: Conversation,
    *,
    rules: list[RoutingRule] | None = None,
    messages: list[Mention] | None = None,
) -> Suggestion | None:
    """The first active rule (by position) that matches the conversation, as a suggestion."""
    if rules is None:
        rules = list(
            RoutingRule.objects.filter(is_active=True, department__is_active=True).select_related(
                "department"
            )
        )
    if not rules:
        return None
    if messages is None:
        messages = newest_customer_messages(conversation)[::-1]
    for rule in rules:
        if rule_matches(rule, conversation, messages):
            priority = rule.priority if rule.priority is not None else conversation.priority
            return Suggestion(rule=rule, department=rule.department, priority=priority)
    return None


def question_prefill(conversation: Conversation, *, messages: list[Mention] | None = None) -> str:
    """The customer's words, masked, as the start of the question to the expert.

    `messages`: the conversation's `customer_messages`, when the caller read them already.
    """
    lines = [f"{conversation.customer} wrote:"]
    for mention in customer_messages(conversation) if messages is None else messages:
        text = " ".join(mention.masked_text.split())
        lines.append(f"> {text}")
    lines.append("")
    lines.append("Question: ")
    return "\n".join(lines)[:4800]


# --- The queue ---------------------------------------------------------------------------------


class BadCursor(ValueError):
    pass


FAR_FUTURE = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)


def encode_cursor(escalation: Escalation) -> str:
    due = escalation.due_at or FAR_FUTURE
    raw = json.dumps([due.isoformat(), escalation.pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str) -> tuple[dt.datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        due, pk = json.loads(raw)
        return dt.datetime.fromisoformat(due), int(pk)
    except (ValueError, TypeError, json.JSONDecodeError) as exc:
        raise BadCursor("bad cursor") from exc


@dataclass
class QueueFilters:
    department: int | None = None
    state: str = "active"  # active, mine, unassigned, waiting_agent, answered, closed
    sla: str = ""  # "", "warning", "breach"


@dataclass
class QueuePage:
    rows: list[Escalation]
    next_cursor: str | None


def escalation_queue(
    *, user, filters: QueueFilters, cursor: str | None = None, size: int = QUEUE_PAGE_SIZE, now=None
) -> QueuePage:
    """The queue, soonest deadline first, keyset-paginated on (due_at, id). Three queries at most."""
    now = now or timezone.now()
    qs = permissions.escalations_visible_to(user)
    if filters.department:
        qs = qs.filter(department_id=filters.department)
    state = filters.state
    if state == "mine":
        qs = qs.filter(assignee=user, state__in=Escalation.ACTIVE)
    elif state == "unassigned":
        qs = qs.filter(assignee__isnull=True, state=Escalation.State.OPEN)
    elif state in (Escalation.State.WAITING_AGENT, Escalation.State.ANSWERED, Escalation.State.CLOSED):
        qs = qs.filter(state=state)
    else:
        qs = qs.filter(state__in=Escalation.ACTIVE)
    if filters.sla == "breach":
        qs = qs.filter(state=Escalation.State.OPEN, due_at__lte=now)
    elif filters.sla == "warning":
        qs = qs.filter(state=Escalation.State.OPEN).filter(
            Q(response_warn_at__lte=now) | Q(resolution_warn_at__lte=now)
        )
    # Null deadlines (paused, answered) sort last, as if due at the end of time: `due_at` ascending
    # with nulls last (PostgreSQL's order for ASC), which esc_active_due_idx and esc_state_due_idx
    # hold, so the page is read in order and stops at its LIMIT (a COALESCE would sort them all).
    if cursor:
        due, pk = decode_cursor(cursor)
        if due >= FAR_FUTURE:
            qs = qs.filter(due_at__isnull=True, pk__gt=pk)
        else:
            qs = qs.filter(Q(due_at__gt=due) | Q(due_at__isnull=True) | Q(due_at=due, pk__gt=pk))
    rows = list(
        qs.select_related(
            "department", "assignee", "requested_by", "conversation", "conversation__customer"
        ).order_by(F("due_at").asc(nulls_last=True), "id")[: size + 1]
    )
    next_cursor = encode_cursor(rows[size - 1]) if len(rows) > size else None
    return QueuePage(rows=rows[:size], next_cursor=next_cursor)


def queue_departments(user) -> list[Department]:
    """The departments offered in the queue's filter."""
    if permissions.can_see_all(user):
        return list(active_departments())
    return list(Department.objects.filter(pk__in=permissions.department_ids_of(user)).order_by("name"))


# --- One escalation ----------------------------------------------------------------------------


def escalation_history(escalation: Escalation):
    return escalation.events.select_related("actor").order_by("created_at", "id")


def conversation_escalations(conversation: Conversation) -> list[Escalation]:
    """The conversation's latest escalations with what the pane's panel and the specialists'
    conversation page print of them (the department, the assignee, who answered)."""
    return list(
        Escalation.objects.filter(conversation=conversation)
        .select_related("department", "assignee", "answered_by")
        .order_by("-opened_at", "-id")[:10]
    )


def transfer_targets(escalation: Escalation) -> list[Department]:
    return list(active_departments().exclude(pk=escalation.department_id))


def thread_messages(conversation: Conversation) -> list[Mention]:
    """The whole thread (both directions), oldest first, bounded."""
    newest = list(
        Mention.objects.filter(network=conversation.network, thread_key=conversation.thread_key)
        .select_related("author")
        .order_by("-created_at", "-id")[:200]
    )
    return newest[::-1]


@dataclass(frozen=True)
class TeamNote:
    author: str
    created_at: dt.datetime
    text: str  # personal data masked: the expert reads what they need, not the customer's card


def conversation_notes(conversation: Conversation, *, limit: int = 50) -> list[TeamNote]:
    """The social team's internal notes on the conversation, oldest first (the newest `limit`)."""
    from inbox.models import Note
    from listening.enrichment.stored import mask_pii

    notes = Note.objects.filter(conversation=conversation).select_related("author")
    newest = list(notes.order_by("-created_at", "-id")[:limit])
    return [TeamNote(n.author.display_name, n.created_at, mask_pii(n.text)) for n in reversed(newest)]


def thread_context(conversation: Conversation, *, limit: int = 20) -> list[Mention]:
    """The latest messages of the thread, both directions, oldest first: the context of a question."""
    return thread_messages(conversation)[-limit:]


def departments_overview() -> QuerySet[Department]:
    return Department.objects.prefetch_related("members", "leads", "sla_policies", "holidays").order_by(
        "name"
    )
