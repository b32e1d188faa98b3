"""The complaint panel of the conversation pane (registered in apps.py, slot "conversation_side")."""

from __future__ import annotations

from django.utils import timezone

from complaints import permissions, selectors, services
from complaints.models import Category, Complaint, Vulnerability


def conversation_panel(request, conversation) -> dict | None:
    user = getattr(request, "user", None)
    if not permissions.can_read(user):
        return None
    return panel_context(user, conversation)


def panel_context(user, conversation, *, error: str = "", notice: str = "") -> dict:
    now = timezone.now()
    cal = services.calendar()
    complaints = list(
        Complaint.objects.filter(conversation=conversation)
        .select_related("regime")
        .order_by("-received_at")[:5]
    )
    open_complaint = next((c for c in complaints if c.is_open), None)
    can_work = permissions.can_work(user)
    suggested = []
    customer_messages = []
    if can_work and open_complaint is None:
        suggested = list(services.suggested_messages(conversation)[:5])
        customer_messages = list(services.customer_messages(conversation).order_by("-created_at", "-id")[:20])
    vulnerability = None
    can_see_vulnerability = permissions.can_see_vulnerability(user)
    if (
        can_see_vulnerability
        and conversation.customer_id
        and (Vulnerability.objects.filter(customer_id=conversation.customer_id).exists())
    ):
        vulnerability = services.vulnerability_view(actor=user, customer=conversation.customer)
    return {
        "cp_conversation": conversation,
        "cp_open": open_complaint,
        "cp_chips": selectors.chips(open_complaint, cal=cal, now=now) if open_complaint else [],
        "cp_closed": [c for c in complaints if not c.is_open],
        "cp_suggested": suggested,
        "cp_messages": customer_messages,
        "cp_can_work": can_work,
        "cp_products": Category.objects.filter(kind=Category.Kind.PRODUCT, is_active=True),
        "cp_causes": Category.objects.filter(kind=Category.Kind.CAUSE, is_active=True),
        "cp_regime": _regime_name(conversation),
        "cp_can_see_vulnerability": can_see_vulnerability,
        "cp_can_set_vulnerability": permissions.can_set_vulnerability(user),
        "cp_vulnerability": vulnerability,
        "cp_drivers": Vulnerability.Driver.choices,
        "cp_error": error,
        "cp_notice": notice,
    }


def _regime_name(conversation) -> str:
    try:
        return services.default_regime(conversation.account_id).name
    except services.ComplaintError:
        return ""
