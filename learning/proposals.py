"""An expert's answer becomes the team's: proposed from an answered escalation, approved by a lead.

The draft is the expert's proposed public reply with variables suggested in place of the
customer's and the agent's names; the personal-data guard runs on it when it is proposed and
again when it is approved (a draft with findings cannot be approved until the text is changed).
"""

from __future__ import annotations

import datetime as dt
import re

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from bankbuzz.accounts import roles
from bankbuzz.accounts.models import User
from bankbuzz.accounts.notifications import notify
from bankbuzz.audit.services import audit_record
from escalations.models import Escalation
from inbox import guard, reply_services
from inbox.models import Reply
from learning.models import LibraryProposal
from learning.permissions import led_department_ids
from learning.services import LearningError, clean_topics


def can_propose(user, escalation: Escalation) -> bool:
    """The social team, or a lead of the department that answered."""
    return roles.can_work_inbox(user) or (
        roles.has_role(user, roles.SPECIALIST) and escalation.department_id in led_department_ids(user)
    )


def _replace_word(text: str, word: str, variable: str) -> str:
    if not word or len(word) < 2:
        return text
    return re.sub(rf"(?<![\w@]){re.escape(word)}(?!\w)", variable, text, flags=re.IGNORECASE)


def suggest_variables(text: str, *, escalation: Escalation) -> str:
    """The customer's handle and first name, the agent's first name and the bank's name as variables."""
    customer = escalation.conversation.customer
    text = (
        re.sub(rf"@{re.escape(customer.handle)}\b", "{handle}", text, flags=re.IGNORECASE)
        if customer.handle
        else text
    )
    first = (customer.name or "").split(" ")[0]
    text = _replace_word(text, first, "{customer_name}")
    text = _replace_word(text, customer.handle, "{customer_name}")
    agent = escalation.requested_by
    if agent is not None:
        text = _replace_word(text, agent.first_name, "{agent_first_name}")
    return _replace_word(text, settings.BANK_NAME, "{bank_name}")


def _findings(text: str, escalation: Escalation) -> list[dict]:
    emails, phones = reply_services.customer_contacts(escalation.conversation)
    result = guard.check(text, channel="public", customer_emails=emails, customer_phones=phones)
    return [hit.as_record() for hit in result.hits]


@transaction.atomic
def proposal_create(*, actor: User, escalation: Escalation) -> LibraryProposal:
    if not can_propose(actor, escalation):
        raise LearningError("Only the social team or the department's leads propose answers for the library.")
    source = (escalation.proposed_reply or "").strip()
    if escalation.answered_at is None or not source:
        raise LearningError("Only an answered escalation with a proposed public reply can be proposed.")
    existing = LibraryProposal.objects.filter(escalation=escalation, state__in=["draft", "approved"]).first()
    if existing is not None:
        return existing
    body = suggest_variables(source, escalation=escalation)[:2000]
    department = escalation.department.name
    try:
        with transaction.atomic():
            proposal = LibraryProposal.objects.create(
                escalation=escalation,
                expert=escalation.answered_by,
                proposed_by=actor,
                title=f"{department}: {escalation.question.splitlines()[0]}"[:100],
                body=body,
                tags=clean_topics([department]),
                guard_findings=_findings(body, escalation),
            )
    except IntegrityError:  # a colleague proposed it at the same moment
        return LibraryProposal.objects.get(escalation=escalation, state__in=["draft", "approved"])
    audit_record(
        actor=actor,
        verb="proposal.create",
        obj=proposal,
        after={
            "escalation": escalation.pk,
            "expert": proposal.expert_id,
            "findings": len(proposal.guard_findings),
        },
    )
    return proposal


@transaction.atomic
def proposal_approve(
    *, actor: User, proposal: LibraryProposal, title: str, body: str, shortcut: str = "", tags=()
) -> LibraryProposal:
    """A lead approves (after editing): it joins the saved replies, and its expert is told."""
    proposal = LibraryProposal.objects.select_for_update().get(pk=proposal.pk)
    if proposal.state != LibraryProposal.State.DRAFT:
        raise LearningError("This proposal was already decided.")
    findings = _findings(body or "", proposal.escalation)
    if findings:
        proposal.guard_findings = findings
        proposal.save(update_fields=["guard_findings"])
        raise LearningError(
            "Not approved: the text contains "
            + "; ".join(dict.fromkeys(f["reason"] for f in findings))
            + ". Remove it first."
        )
    saved = reply_services.saved_reply_create(
        actor=actor, title=title, body=body, shortcut=shortcut, tags=tags
    )
    proposal.state = LibraryProposal.State.APPROVED
    proposal.saved_reply = saved
    proposal.guard_findings = []
    proposal.decided_by = actor
    proposal.decided_at = timezone.now()
    proposal.save()
    audit_record(actor=actor, verb="proposal.approve", obj=proposal, after={"saved_reply": saved.pk})
    if proposal.expert is not None:
        notify(
            recipients=[proposal.expert],
            verb="proposal.approved",
            text=f"Your answer “{saved.title}” joined the library: agents can now use it.",
            url=reverse("learning:library") + f"#saved-{saved.pk}",
        )
    return proposal


@transaction.atomic
def proposal_reject(*, actor: User, proposal: LibraryProposal, comment: str) -> LibraryProposal:
    comment = (comment or "").strip()
    if not comment:
        raise LearningError("Say why it is not taken (the expert reads it).")
    updated = LibraryProposal.objects.filter(pk=proposal.pk, state=LibraryProposal.State.DRAFT).update(
        state=LibraryProposal.State.REJECTED,
        decided_by=actor,
        decided_at=timezone.now(),
        decision_comment=comment,
    )
    if not updated:
        raise LearningError("This proposal was already decided.")
    proposal.refresh_from_db()
    audit_record(
        actor=actor, verb="proposal.reject", obj=proposal, after={"comment": proposal.decision_comment[:300]}
    )
    return proposal


def weekly_usage_notify(*, now: dt.datetime | None = None) -> int:
    """Tell each expert how often their answers in the library were used in the past 7 days."""
    now = now or timezone.now()
    since = now - dt.timedelta(days=7)
    approved = LibraryProposal.objects.filter(
        state=LibraryProposal.State.APPROVED, saved_reply__isnull=False, expert__isnull=False
    ).select_related("expert", "saved_reply")
    uses = dict(
        Reply.objects.filter(
            saved_reply__in=[p.saved_reply_id for p in approved],
            state=Reply.State.SENT,
            sent_at__gt=since,
            sent_at__lte=now,
        )
        .values_list("saved_reply")
        .annotate(n=Count("pk"))
    )
    told = 0
    for proposal in approved:
        count = uses.get(proposal.saved_reply_id, 0)
        if not count:
            continue
        notify(
            recipients=[proposal.expert],
            verb="proposal.usage",
            text=f"Your answer “{proposal.saved_reply.title}” was used {count} "
            f"time{'s' if count != 1 else ''} this week.",
            url=reverse("learning:library") + f"#saved-{proposal.saved_reply_id}",
        )
        told += 1
    return told
