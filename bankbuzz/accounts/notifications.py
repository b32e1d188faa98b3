"""In-app notifications (the menu in the top bar) and their e-mails.

Any app may notify people: `notify(recipients=[...], verb=..., text=..., url=...)`.
The e-mail goes through a Celery task queued on commit, so a slow or broken mail
relay never holds up the person whose action caused the notification.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from bankbuzz.accounts.models import Notification, User
from bankbuzz.cardmask import shorten

logger = logging.getLogger(__name__)

MENU_SIZE = 12
UNREAD_CAP = 99


@transaction.atomic
def notify(
    *, recipients: Iterable[User], verb: str, text: str, url: str, email: bool = True
) -> list[Notification]:
    """Notify each active recipient once; e-mail those with an address after commit."""
    unique = {user.pk: user for user in recipients if user is not None and user.is_active}
    text = shorten(text, 300)
    notifications = Notification.objects.bulk_create(
        [Notification(recipient=user, verb=verb, text=text, url=url[:500]) for user in unique.values()]
    )
    to_email = [n.pk for n in notifications if email and n.recipient.email]
    if to_email:
        transaction.on_commit(lambda: _queue_emails(to_email))
    return notifications


def notify_many(
    notices: Iterable[tuple[Iterable[User], str, str, str]], *, email: bool = True
) -> list[Notification]:
    """`notify` of several notices at once (recipients, verb, text, url): one INSERT, one e-mail task."""
    rows = []
    for recipients, verb, text, url in notices:
        unique = {user.pk: user for user in recipients if user is not None and user.is_active}
        text = shorten(text, 300)
        rows.extend(
            Notification(recipient=user, verb=verb, text=text, url=url[:500]) for user in unique.values()
        )
    notifications = Notification.objects.bulk_create(rows) if rows else []
    to_email = [n.pk for n in notifications if email and n.recipient.email]
    if to_email:
        transaction.on_commit(lambda: _queue_emails(to_email))
    return notifications


def _queue_emails(notification_ids: list[int]) -> None:
    from bankbuzz.accounts.tasks import send_notification_emails

    try:
        send_notification_emails.delay(notification_ids)
    except Exception:
        # The in-app notification is stored; only the e-mail copy is lost.
        logger.exception("could not queue notification e-mails %s", notification_ids)


def notification_emails_send(*, notification_ids: list[int]) -> int:
    """Send the e-mail copy of each notification once (idempotent: guarded by emailed_at)."""
    sent = 0
    for pk in notification_ids:
        with transaction.atomic():
            notification = (
                Notification.objects.select_for_update(skip_locked=True)
                .select_related("recipient")
                .filter(pk=pk, emailed_at__isnull=True)
                .first()
            )
            if notification is None or not notification.recipient.email:
                continue
            send_mail(
                subject=f"BankBuzz: {notification.text}"[:150],
                message=(
                    f"{notification.text}\n\n"
                    f"Open it in BankBuzz: {settings.SITE_URL}{notification.url}\n\n"
                    "You get this e-mail because BankBuzz notifies you of work given to you, "
                    "colleagues mentioning you, and the SLA and listening alerts of your role."
                ),
                from_email=None,
                recipient_list=[notification.recipient.email],
            )
            notification.emailed_at = timezone.now()
            notification.save(update_fields=["emailed_at"])
            sent += 1
    return sent


def notifications_for(user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-id")[:MENU_SIZE]


def unread_count(user: User) -> int:
    """Capped, like every count in BankBuzz: the badge says "99+" at most."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True)[: UNREAD_CAP + 1].count()


def notification_mark_read(*, user: User, notification_id: int) -> Notification | None:
    notification = Notification.objects.filter(recipient=user, pk=notification_id).first()
    if notification is not None and notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())
