"""Publishing and incident tasks: ids in, one service call, retries only for transient errors."""

from __future__ import annotations

from celery import shared_task


# Hard time limit 90 s, shorter than the copy's lease (120 s, publishing.SEND_LEASE).
@shared_task(
    name="incidents.publish_delivery", bind=True, max_retries=None, soft_time_limit=60, time_limit=90
)
def publish_delivery(self, delivery_id: int) -> str:
    from inbox.reply_tasks import send_with_retries
    from incidents.publishing import POSTS

    return send_with_retries(self, send=POSTS.send, give_up=POSTS.give_up, row_id=delivery_id)


@shared_task(name="incidents.dispatch_posts", soft_time_limit=20, time_limit=30)
def dispatch_posts() -> int:
    """Beat, every few seconds: due copies of approved posts (scheduled ones at their time)."""
    from incidents import publishing

    handed = publishing.posts_dispatch()
    for delivery_id in publishing.deliveries_recover():
        publish_delivery.delay(delivery_id)
    return len(handed)


@shared_task(name="incidents.send_replies", soft_time_limit=280, time_limit=300)
def send_replies(incident_id: int, actor_id: int, follow_up: bool = False) -> dict:
    """The incident's personal replies (or follow-ups), conversation by conversation, into the outbox."""
    from bankbuzz.accounts.models import User
    from incidents import services
    from incidents.models import Incident

    incident = Incident.objects.get(pk=incident_id)
    actor = User.objects.get(pk=actor_id)
    send = services.incident_follow_ups_send if follow_up else services.incident_replies_send
    outcome = send(actor=actor, incident=incident)
    if outcome.more:
        send_replies.delay(incident_id, actor_id, follow_up)
    return outcome.as_dict()
