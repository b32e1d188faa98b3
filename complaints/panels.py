"""The complaint panel of the conversation pane (registered in apps.py, slot "conversation_side")."""

from __future__ import annotations

import unicodedata

from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from django.utils.translation import pgettext

from complaints import permissions, selectors, services
from complaints.models import Category, Complaint, Vulnerability
from escalations.selectors import CustomerMessage, customer_message_rows, newest_customer_messages


def message_options(messages: list[CustomerMessage]) -> SafeString:
    """The "first message of dissatisfaction" `<option>`s: time and the masked text cut to 60
    characters, escaped (what `{{ m.created_at|date:"j M H:i" }}: {{ m.masked_text|truncatechars:60 }}`
    printed). The month names and the ellipsis are translated once, not once a message."""
    months = {number: str(name).title() for number, name in MONTHS_3.items()}
    ending = pgettext("String to return when truncating text", "%(truncated_text)s…")

    def when(at) -> str:
        local = timezone.localtime(at)
        return f"{local.day} {months[local.month]} {local.hour:02d}:{local.minute:02d}"

    def cut(text: str) -> str:
        normal = unicodedata.normalize("NFC", text)
        return normal if len(normal) <= 60 else Truncator(text).chars(60, truncate=ending)

    return format_html_join(
        "",
        '<option value="{}">{}: {}</option>',
        ((m.pk, when(m.created_at), cut(m.masked_text)) for m in messages),
    )


def category_options() -> dict[str, SafeString]:
    """The active categories' `<option>`s by kind (products, causes), in one query, escaped."""
    by_kind: dict[str, list[tuple[int, str]]] = {Category.Kind.PRODUCT: [], Category.Kind.CAUSE: []}
    rows = Category.objects.filter(kind__in=list(by_kind), is_active=True).values_list("kind", "pk", "name")
    for kind, pk, name in rows:
        by_kind[kind].append((pk, name))
    return {
        kind: format_html_join("", '<option value="{}">{}</option>', pairs) for kind, pairs in by_kind.items()
    }


def conversation_panel(request, conversation) -> dict | None:
    user = getattr(request, "user", None)
    if not permissions.can_read(user):
        return None
    return panel_context(user, conversation)


def panel_context(user, conversation, *, error: str = "", notice: str = "") -> dict:
    complaints = list(
        Complaint.objects.filter(conversation=conversation)
        .select_related("regime")
        .order_by("-received_at")[:5]
    )
    open_complaint = next((c for c in complaints if c.is_open), None)
    can_work = permissions.can_work(user)
    suggested = []
    customer_messages = []
    options = {}
    if can_work and open_complaint is None:
        suggested = customer_message_rows(services.suggested_messages(conversation)[:5])
        customer_messages = newest_customer_messages(conversation)
        if customer_messages:
            options = category_options()
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
        "cp_chips": _chips(open_complaint) if open_complaint else [],
        "cp_closed": [c for c in complaints if not c.is_open],
        "cp_suggested": suggested,
        "cp_messages": customer_messages,
        "cp_message_options": message_options(customer_messages),
        "cp_can_work": can_work,
        "cp_product_options": options.get(Category.Kind.PRODUCT, ""),
        "cp_cause_options": options.get(Category.Kind.CAUSE, ""),
        "cp_regime": _regime_name(conversation) if suggested else "",
        "cp_can_see_vulnerability": can_see_vulnerability,
        "cp_can_set_vulnerability": permissions.can_set_vulnerability(user),
        "cp_vulnerability": vulnerability,
        "cp_drivers": Vulnerability.Driver.choices,
        "cp_error": error,
        "cp_notice": notice,
    }


def _chips(complaint: Complaint) -> list:
    """The open complaint's clocks (the bank holidays are read only then)."""
    return selectors.chips(complaint, cal=services.calendar(), now=timezone.now())


def _regime_name(conversation) -> str:
    try:
        return services.default_regime(conversation.account_id).name
    except services.ComplaintError:
        return ""
