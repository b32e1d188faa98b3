"""Thin tasks: one webhook delivery attempt; the next attempt is scheduled with backoff."""

from celery import shared_task

from bankbuzz.api import webhooks


@shared_task(name="api.deliver_webhook", bind=True, max_retries=None)
def deliver_webhook(self, delivery_id: int) -> None:
    # The state (attempts, next attempt) lives in the database; Celery only carries the countdown.
    delay = webhooks.webhook_deliver(delivery_id=delivery_id)
    if delay is not None:
        raise self.retry(countdown=delay)
