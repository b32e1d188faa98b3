"""Thin tasks: webhook delivery attempts (a batch, or one) with backoff, and the relay."""

from celery import shared_task

from bankbuzz.api import webhooks


@shared_task(name="api.deliver_webhook", bind=True, max_retries=None)
def deliver_webhook(self, delivery_id: int) -> None:
    # The state (attempts, next attempt) lives in the database; Celery only carries the countdown.
    delay = webhooks.webhook_deliver(delivery_id=delivery_id)
    if delay is not None:
        raise self.retry(countdown=delay)


@shared_task(name="api.deliver_webhooks")
def deliver_webhooks(delivery_ids: list[int]) -> None:
    # A page's deliveries in one message; each failure is retried as `deliver_webhook`.
    webhooks.webhooks_deliver(delivery_ids=delivery_ids)


@shared_task(name="api.relay_webhooks", soft_time_limit=15, time_limit=20)
def relay_webhooks() -> int:
    """Beat, every 20 s: deliveries whose message never reached the broker, or whose worker died."""
    return len(webhooks.webhooks_relay())
