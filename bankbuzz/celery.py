"""The Celery application.

Options, and why:
- JSON only: a task message is data, never pickled code.
- `task_acks_late` with `task_reject_on_worker_lost`: a task whose worker dies
  mid-run is delivered again. Only safe because every task is idempotent
  (unique constraints and state-guarded updates in the database).
- `worker_prefetch_multiplier=1`: a slow poll does not hold other tasks hostage.
- Soft and hard time limits: a hung network call cannot pin a worker forever.
- The broker's visibility timeout is longer than the longest retry countdown,
  otherwise Redis would hand a delayed retry to a second worker too.
- Beat takes a lock in Redis before its first tick (`bankbuzz.beatlock`): a
  second beat started by mistake exits instead of sending every schedule twice.
- Each worker process loads the enrichment models as it starts: `listening` connects that to
  `worker_process_init` itself (listening/apps.py), so this module names no app's code.
"""

import os

from celery import Celery
from celery.schedules import crontab
from celery.signals import beat_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bankbuzz.settings")

app = Celery("bankbuzz")

LONGEST_COUNTDOWN = 60 * 60  # seconds; no task schedules a retry further out

app.conf.update(
    accept_content=["json"],
    task_serializer="json",
    result_serializer="json",
    task_ignore_result=True,
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_soft_time_limit=120,
    task_time_limit=180,
    broker_connection_retry_on_startup=True,
    broker_transport_options={"visibility_timeout": LONGEST_COUNTDOWN + 600},
    worker_hijack_root_logger=False,
    timezone="UTC",
    worker_send_task_events=False,
)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The request id travels on task headers (connects its signal handlers).
import bankbuzz.logcontext  # noqa: E402, F401

HEARTBEAT_EVERY = 15  # seconds
DISPATCH_EVERY = 5  # seconds
WEBHOOK_RELAY_EVERY = 20  # seconds

app.conf.beat_schedule = {
    # Proves beat and at least one worker are alive (see bankbuzz.health).
    "heartbeat": {"task": "bankbuzz.heartbeat", "schedule": HEARTBEAT_EVERY, "options": {"expires": 60}},
    "escalations-check-slas": {"task": "escalations.check_slas", "schedule": 60, "options": {"expires": 55}},
    # Complaint clocks (complaints/services/clock_notices.py): due-soon and breach notices, each once.
    "complaints-check-clocks": {
        "task": "complaints.check_clocks",
        "schedule": 60,
        "options": {"expires": 55},
    },
    "dashboards-rollups": {"task": "dashboards.refresh_rollups", "schedule": 60, "options": {"expires": 55}},
    "listening-spikes": {"task": "listening.detect_spikes", "schedule": 60, "options": {"expires": 55}},
    # The outbox relay (inbox.reply_services.replies_dispatch): a reply queued while the broker
    # was down goes out seconds after it is back. Expires before the next run is due.
    "inbox-dispatch-replies": {
        "task": "inbox.dispatch_replies",
        "schedule": DISPATCH_EVERY,
        "options": {"expires": DISPATCH_EVERY},
    },
    # The publishing relay (incidents.publishing.posts_dispatch): approved posts, scheduled at their time.
    "incidents-dispatch-posts": {
        "task": "incidents.dispatch_posts",
        "schedule": DISPATCH_EVERY,
        "options": {"expires": DISPATCH_EVERY},
    },
    # The webhooks' relay (bankbuzz.api.webhooks.webhooks_relay): a delivery whose message never
    # reached the broker, or whose worker died mid-send, is queued again. Every 20 s: a minute
    # behind its time at the most, well inside the webhooks' own 30 s to 1 h backoff, for one
    # indexed query a run. Expires before the next run is due.
    "api-relay-webhooks": {
        "task": "api.relay_webhooks",
        "schedule": WEBHOOK_RELAY_EVERY,
        "options": {"expires": WEBHOOK_RELAY_EVERY},
    },
    "inbox-attach-orphans": {"task": "inbox.attach_orphans", "schedule": 60, "options": {"expires": 55}},
    "listening-avatars": {"task": "listening.fetch_avatars", "schedule": 60, "options": {"expires": 55}},
    # The learning loop (learning/outcomes.py): what replies that used the library led to.
    "learning-outcomes": {
        "task": "learning.update_outcomes",
        "schedule": 15 * 60,
        "options": {"expires": 14 * 60},
    },
    # Advice articles past their review date, told to their department's leads each morning.
    "learning-review-due": {
        "task": "learning.review_due",
        "schedule": crontab(hour=7, minute=0),
        "options": {"expires": 6 * 60 * 60},
    },
    # Each expert hears how often their answers in the library were used in the past week.
    "learning-weekly-usage": {
        "task": "learning.weekly_usage",
        "schedule": crontab(hour=8, minute=0, day_of_week=1),
        "options": {"expires": 6 * 60 * 60},
    },
    # Department leads and social leads: last week's learning digest is ready.
    "learning-weekly-digest": {
        "task": "learning.weekly_digest",
        "schedule": crontab(hour=7, minute=30, day_of_week=1),
        "options": {"expires": 6 * 60 * 60},
    },
    # Retention (bankbuzz/audit/retention.py): nightly, in the quiet hours; a missed night is
    # made up by the next one, so a copy that waited all day is dropped.
    "audit-retention": {
        "task": "audit.retention_run",
        "schedule": crontab(hour=2, minute=30),
        "options": {"expires": 6 * 60 * 60},
    },
    # A signed checkpoint of the audit log outside the database (bankbuzz/audit/checkpoints.py);
    # a copy that waited past the next hour is dropped for the next one.
    "audit-checkpoint": {
        "task": "audit.checkpoint",
        "schedule": crontab(minute=0),
        "options": {"expires": 55 * 60},
    },
}


@app.task(name="bankbuzz.heartbeat", acks_late=False)
def heartbeat() -> None:
    from bankbuzz.health import heartbeat_record

    heartbeat_record()


@beat_init.connect
def take_beat_lock(sender=None, **kwargs) -> None:
    """Exactly one beat: exit here, before the first tick, if another one runs."""
    from django.conf import settings

    from bankbuzz.beatlock import hold_for_beat

    hold_for_beat(settings.REDIS_URL, queue=settings.CELERY_TASK_DEFAULT_QUEUE)
