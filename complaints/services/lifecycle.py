"""Recording a complaint (confirmed from suggestions or raised by hand), categorising it, and
moving it to another regime.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from bankbuzz import cardmask
from bankbuzz.accounts.models import User
from bankbuzz.api.webhooks import emit
from bankbuzz.audit.services import audit_record
from complaints import permissions
from complaints.models import Category, Complaint, ComplaintRegime
from complaints.services.regimes import calendar, default_regime, set_clocks
from complaints.services.steps import (
    ComplaintError,
    check_version,
    lock_complaint,
    post_to_thread,
    save_with_version,
    webhook_payload,
)
from complaints.services.suggestions import customer_messages, suggested_messages
from inbox.models import Conversation
from listening.pan_vault import mask_cards


def _category(pk, kind: str) -> Category | None:
    if pk in (None, ""):
        return None
    category = Category.objects.filter(pk=pk, kind=kind, is_active=True).first()
    if category is None:
        raise ComplaintError(f"Choose a {kind} category from the list.")
    return category


def complaint_confirm(
    *,
    actor: User,
    conversation: Conversation,
    mention_ids: list[int] | None = None,
    product=None,
    cause=None,
    summary: str = "",
    regime: ComplaintRegime | None = None,
) -> Complaint:
    """Record the conversation's complaint.

    `mention_ids`: the customer's messages it is about (by hand: the ones the agent chose);
    none given, the suggested ones. The earliest is the first message of dissatisfaction: the
    complaint's receipt, from which the clocks count.
    """
    permissions.work_access(actor)
    product = _category(product, Category.Kind.PRODUCT)
    cause = _category(cause, Category.Kind.CAUSE)
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update(of=("self",)).get(pk=conversation.pk)
        if conversation.complaints.filter(status=Complaint.Status.OPEN).exists():
            raise ComplaintError("This conversation already has an open complaint.")
        if mention_ids:
            messages = list(
                customer_messages(conversation).filter(pk__in=mention_ids).order_by("created_at", "id")
            )
            if len(messages) != len(set(mention_ids)):
                raise ComplaintError("Choose the customer's own messages in this conversation.")
        else:
            messages = list(suggested_messages(conversation))
        if not messages:
            raise ComplaintError("Choose the customer's message that expresses the dissatisfaction.")
        regime = regime or default_regime(conversation.account_id)
        now = timezone.now()
        complaint = Complaint(
            conversation=conversation,
            customer_id=conversation.customer_id,
            account_id=conversation.account_id,
            network=conversation.network,
            first_message=messages[0],
            received_at=min(messages[0].created_at, now),
            summary=(summary or "").strip()[:300],
            product=product,
            cause=cause,
            confirmed_by=actor,
            created_at=now,
            updated_at=now,
        )
        set_clocks(complaint, regime, cal=calendar())
        try:
            with transaction.atomic():
                complaint.save()
        except IntegrityError:
            raise ComplaintError("This conversation already has an open complaint.") from None
        complaint.messages.set(messages)
        audit_record(
            actor=actor,
            verb="complaint.confirm",
            obj=complaint,
            after={
                "conversation": conversation.pk,
                "messages": [m.pk for m in messages],
                "received_at": complaint.received_at,
                "regime": regime.code,
                "final_due_at": complaint.final_due_at,
                "product": product.name if product else None,
                "cause": cause.name if cause else None,
                "by_hand": bool(mention_ids),
            },
        )
        post_to_thread(
            conversation,
            actor=actor,
            text=f"confirmed complaint {complaint.reference} under {regime.name}",
            data={"complaint": complaint.pk},
        )
        emit("complaint.opened", webhook_payload(complaint))
    return complaint


def complaint_categorise(
    *,
    actor: User,
    complaint: Complaint,
    product=None,
    cause=None,
    summary: str | None = None,
    seen_version=None,
) -> Complaint:
    permissions.work_access(actor)
    product = _category(product, Category.Kind.PRODUCT)
    cause = _category(cause, Category.Kind.CAUSE)
    with transaction.atomic():
        complaint = lock_complaint(complaint)
        check_version(complaint, seen_version)
        before = {
            "product": complaint.product.name if complaint.product else None,
            "cause": complaint.cause.name if complaint.cause else None,
            "summary": complaint.summary,
        }
        complaint.product, complaint.cause = product, cause
        if summary is not None:
            complaint.summary = summary.strip()[:300]
        save_with_version(complaint, ["product", "cause", "summary"])
        audit_record(
            actor=actor,
            verb="complaint.categorise",
            obj=complaint,
            before=before,
            after={
                "product": product.name if product else None,
                "cause": cause.name if cause else None,
                "summary": complaint.summary,
            },
        )
    return complaint


def complaint_change_regime(
    *, actor: User, complaint: Complaint, regime: ComplaintRegime, reason: str, seen_version=None
) -> Complaint:
    """Move an open complaint to another regime: its clocks are computed again from its receipt."""
    if not permissions.can_change_regime(actor):
        raise ComplaintError("Only social leads move a complaint to another regime.")
    reason = mask_cards((reason or "").strip())
    if not reason:
        raise ComplaintError("Say why the regime changes: it moves the complaint's deadlines.")
    with transaction.atomic():
        complaint = lock_complaint(complaint)
        check_version(complaint, seen_version)
        if not complaint.is_open:
            raise ComplaintError("This complaint is closed: its regime no longer changes.")
        if regime.pk == complaint.regime_id:
            raise ComplaintError(f"This complaint is already under {regime.name}.")
        before = {
            "regime": complaint.regime.code,
            "summary_due_at": complaint.summary_due_at,
            "acknowledge_due_at": complaint.acknowledge_due_at,
            "final_due_at": complaint.final_due_at,
        }
        set_clocks(complaint, regime, cal=calendar())
        complaint.notices = []
        save_with_version(
            complaint,
            [
                "regime",
                "regime_snapshot",
                "counts_from",
                "summary_due_at",
                "acknowledge_due_at",
                "final_due_at",
                "notices",
            ],
        )
        audit_record(
            actor=actor,
            verb="complaint.regime_change",
            obj=complaint,
            before=before,
            after={
                "regime": regime.code,
                "summary_due_at": complaint.summary_due_at,
                "acknowledge_due_at": complaint.acknowledge_due_at,
                "final_due_at": complaint.final_due_at,
                "reason": cardmask.shorten(reason, 500),
            },
        )
        post_to_thread(
            complaint.conversation,
            actor=actor,
            text=f"moved complaint {complaint.reference} to {regime.name}: {cardmask.shorten(reason, 150)}",
            data={"complaint": complaint.pk},
        )
    return complaint
