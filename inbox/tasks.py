"""Thin Celery tasks of the inbox: one service call each."""

from celery import shared_task

from inbox import services


@shared_task(name="inbox.attach_orphans")
def attach_orphans() -> int:
    """Beat, every minute: customer messages a failed attach left without a conversation."""
    return len(services.conversations_attach_orphans())
