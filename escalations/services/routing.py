"""Routing rules, and the escalations they open by themselves for new customer messages."""

from __future__ import annotations

import json

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from bankbuzz.accounts.models import User
from bankbuzz.audit.services import audit_record
from escalations import selectors
from escalations.models import RoutingRule
from escalations.services.departments import require_department_manager
from escalations.services.opening import RuleEscalation, escalations_open_by_rules
from inbox.models import Conversation
from listening.models import Mention

Status = Conversation.Status


# --- Routing rules (social leads) ---------------------------------------------------------------

RULE_FIELDS = (
    "name",
    "position",
    "is_active",
    "phrases",
    "intent",
    "priority_hint",
    "network",
    "language",
    "min_followers",
    "has_pii",
    "department",
    "priority",
    "auto_escalate",
)


def _rule_snapshot(rule: RoutingRule) -> dict:
    data = {name: getattr(rule, name) for name in RULE_FIELDS if name != "department"}
    data["department"] = rule.department.name if rule.department_id else None
    return data


@transaction.atomic
def routing_rule_save(*, actor: User | None, rule: RoutingRule | None = None, fields: dict) -> RoutingRule:
    if actor is not None:
        require_department_manager(actor)
    creating = rule is None or rule.pk is None
    rule = rule or RoutingRule(created_by=actor)
    before = None if creating else _rule_snapshot(RoutingRule.objects.get(pk=rule.pk))
    for name, value in fields.items():
        if name not in RULE_FIELDS:
            raise ValueError(f"not a routing rule field: {name}")
        setattr(rule, name, value)
    rule.updated_at = timezone.now()
    rule.full_clean()
    rule.save()
    audit_record(
        actor=actor,
        verb="routing_rule.create" if creating else "routing_rule.update",
        obj=rule,
        before=before,
        after=_rule_snapshot(rule),
    )
    return rule


@transaction.atomic
def routing_rule_delete(*, actor: User, rule: RoutingRule) -> None:
    require_department_manager(actor)
    audit_record(actor=actor, verb="routing_rule.delete", obj=rule, before=_rule_snapshot(rule))
    rule.delete()


# --- From new mentions: automatic escalations and kudos ---------------------------------------


def threads_q(keys) -> Q:
    """Rows of the conversations (or mentions) of these (network, thread_key) pairs."""
    by_network: dict[str, set[str]] = {}
    for network, thread_key in keys:
        by_network.setdefault(network, set()).add(thread_key)
    where = Q(pk__in=[])
    for network, thread_keys in by_network.items():
        where |= Q(network=network, thread_key__in=thread_keys)
    return where


def _customer_messages(conversations: list[Conversation]) -> dict[int, list[selectors.CustomerMessage]]:
    """`selectors.customer_messages` of many conversations in one query, by conversation id."""
    if not conversations:
        return {}
    row = "(%s::bigint, %s::varchar, %s::varchar, %s::bigint)"
    values = ", ".join([row] * len(conversations))
    params = [value for c in conversations for value in (c.pk, c.network, c.thread_key, c.customer_id)]
    messages: dict[int, list[selectors.CustomerMessage]] = {c.pk: [] for c in conversations}
    fields = selectors.CustomerMessage.__slots__
    findings_at = fields.index("pii_findings")
    with connection.cursor() as cursor:
        # The newest of each thread through the (network, thread_key, created_at) index; a long
        # OR of conditions would cost more to plan than to run.
        cursor.execute(
            f"""
            SELECT t.conversation_id, {", ".join(f"m.{name}" for name in fields)}
            FROM (VALUES {values}) AS t (conversation_id, network, thread_key, author_id)
            CROSS JOIN LATERAL (
                SELECT * FROM {Mention._meta.db_table}
                WHERE network = t.network AND thread_key = t.thread_key
                  AND direction = %s AND author_id = t.author_id
                ORDER BY created_at DESC, id DESC LIMIT %s
            ) AS m
            ORDER BY t.conversation_id, m.created_at, m.id
            """,  # noqa: S608 - table and column names from the model, values bound
            [*params, Mention.Direction.IN.value, selectors.ROUTING_MESSAGES],
        )
        for conversation_id, *row in cursor.fetchall():
            findings = row[findings_at]
            row[findings_at] = (json.loads(findings) if isinstance(findings, str) else findings) or []
            messages[conversation_id].append(selectors.CustomerMessage(tuple(row)))
    return messages


def _deciding_rules(rules: list[RoutingRule]) -> list[RoutingRule]:
    """The rules, by position, up to the last that escalates by itself: those that can decide.

    The first rule that matches is the suggestion; one after the last automatic rule can only
    be a suggestion for a person, never an automatic escalation, so it need not be evaluated.
    """
    last = max((index for index, rule in enumerate(rules) if rule.auto_escalate), default=-1)
    return rules[: last + 1]


def escalations_auto_open(*, mention_ids: list[int]) -> list[int]:
    """Conversations touched by new customer messages, escalated by a rule that says so.

    Only a conversation that was never escalated: once people have handled one, a rule does not
    second-guess them. The rules are read once and matched in memory against the customer
    messages of all the page's conversations, read in one query; the escalations they open are
    written together (`escalations_open_by_rules`), so a page costs the same statements whatever
    the number of its conversations and of its escalations.
    """
    rules = list(
        RoutingRule.objects.filter(is_active=True, department__is_active=True).select_related(
            "department", "created_by"
        )
    )
    rules = _deciding_rules(rules)
    if not rules:
        return []
    keys = set(
        Mention.objects.filter(pk__in=mention_ids, direction=Mention.Direction.IN).values_list(
            "network", "thread_key"
        )
    )
    if not keys:
        return []
    candidates = list(
        # Locked (in id order, as the attach locks them) so that their status and version hold
        # until the escalations are written.
        Conversation.objects.select_for_update(of=("self",))
        .filter(threads_q(keys))
        .filter(status__in=(Status.NEW, Status.OPEN))
        .exclude(escalations__isnull=False)
        .select_related("customer")
        .defer("search_vector")  # rebuilt by the attach, never read here
        .order_by("id")
    )
    messages = _customer_messages(candidates)
    wanted = []
    for conversation in candidates:
        suggestion = selectors.routing_suggest(conversation, rules=rules, messages=messages[conversation.pk])
        if suggestion is None or not suggestion.rule.auto_escalate:
            continue
        question = selectors.question_prefill(conversation, messages=messages[conversation.pk])
        wanted.append(
            RuleEscalation(
                conversation=conversation,
                rule=suggestion.rule,
                priority=suggestion.priority,
                question=question + f"(escalated automatically by the rule “{suggestion.rule.name}”)",
            )
        )
    return escalations_open_by_rules(wanted=wanted) if wanted else []
