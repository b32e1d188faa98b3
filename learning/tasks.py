from celery import shared_task
from django.utils import timezone

from learning.digest import weekly_digest_notify
from learning.edits import collect_edits
from learning.outcomes import update_outcomes as outcomes_update
from learning.proposals import weekly_usage_notify
from learning.services import review_due_notify


@shared_task(name="learning.update_outcomes", acks_late=False, ignore_result=True)
def update_outcomes() -> dict:
    """Every 15 minutes (beat): what the replies that used the library led to, and how agents
    changed the saved replies they sent. Idempotent."""
    now = timezone.now()
    return {**outcomes_update(now=now), "edits": collect_edits(now=now)}


@shared_task(name="learning.review_due", acks_late=False, ignore_result=True)
def review_due() -> int:
    """Daily (beat): tell departments' leads about their articles past the review date, once each."""
    return review_due_notify()


@shared_task(name="learning.weekly_usage", acks_late=False, ignore_result=True)
def weekly_usage() -> int:
    """Monday mornings (beat): each expert hears how often their answers were used last week."""
    return weekly_usage_notify()


@shared_task(name="learning.weekly_digest", acks_late=False, ignore_result=True)
def weekly_digest() -> int:
    """Monday mornings (beat): leads hear that last week's learning digest is ready."""
    return weekly_digest_notify()
