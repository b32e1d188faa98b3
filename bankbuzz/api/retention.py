"""The webhook delivery log: ids and API paths only, but no reason to keep it for ever."""

from __future__ import annotations

from bankbuzz.api.models import WebhookDelivery
from bankbuzz.audit import retention as r


def register() -> None:
    r.register_kind(
        r.Kind(
            key="api.webhook_deliveries",
            label="Webhook deliveries",
            covers="the delivery log of webhooks that were delivered or gave up (pending ones are kept)",
            action=r.DELETE,
            default_days=90,
            minimum_days=7,
            since="when queued",
            candidates=lambda cutoff: WebhookDelivery.objects.filter(
                created_at__lt=cutoff,
                state__in=[WebhookDelivery.State.DELIVERED, WebhookDelivery.State.FAILED],
            ),
            apply=r.deleter(WebhookDelivery),
        )
    )
