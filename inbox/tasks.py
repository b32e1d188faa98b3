"""Thin Celery tasks of the inbox: one service call each."""

from celery import shared_task

from inbox import events, services


@shared_task(name="inbox.attach_orphans")
def attach_orphans() -> int:
    """Beat, every minute: customer messages a failed attach left without a conversation, and the
    receivers of `conversations_touched` that failed (`inbox.events`), called again."""
    attached = len(services.conversations_attach_orphans())
    events.touched_retries_run()
    return attached
