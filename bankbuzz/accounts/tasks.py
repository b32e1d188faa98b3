"""Thin Celery tasks of the accounts app."""

from __future__ import annotations

from celery import shared_task


@shared_task(
    name="accounts.send_notification_emails",
    autoretry_for=(OSError,),
    retry_backoff=30,
    retry_jitter=True,
    max_retries=5,
)
def send_notification_emails(notification_ids: list[int]) -> int:
    from bankbuzz.accounts.notifications import notification_emails_send

    return notification_emails_send(notification_ids=notification_ids)
