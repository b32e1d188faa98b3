from django.conf import settings
from django.db import models
from django.utils import timezone

from listening.models import Author, Network, SocialAccount


class Conversation(models.Model):
    """One thread with one customer that the team works on.

    Its messages are the mentions with its (network, thread_key).
    """

    class Status(models.TextChoices):
        NEW = "new", "New"
        OPEN = "open", "Open"
        WAITING_CUSTOMER = "waiting_customer", "Waiting on customer"
        WAITING_EXPERT = "waiting_expert", "Waiting on expert"
        RESOLVED = "resolved", "Resolved"
        SPAM = "spam", "Spam"

    class Priority(models.IntegerChoices):
        LOW = 0, "Low"
        NORMAL = 1, "Normal"
        HIGH = 2, "High"
        URGENT = 3, "Urgent"

    network = models.CharField(max_length=16, choices=Network.choices)
    thread_key = models.CharField(max_length=160)
    account = models.ForeignKey(SocialAccount, null=True, blank=True, on_delete=models.SET_NULL)
    customer = models.ForeignKey(Author, on_delete=models.PROTECT, related_name="conversations")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NORMAL)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="conversations",
    )
    preview = models.CharField(max_length=280, blank=True, help_text="The latest customer message, masked.")
    has_pii = models.BooleanField(default=False)
    sentiment_label = models.CharField(max_length=8, blank=True)
    lang = models.CharField(max_length=8, blank=True)
    kind = models.CharField(
        max_length=16, blank=True, help_text="Kind of the first message (mention, direct...)."
    )
    message_count = models.PositiveIntegerField(default=0)
    first_received_at = models.DateTimeField(default=timezone.now)
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    last_inbound_at = models.DateTimeField(default=timezone.now)
    last_activity_at = models.DateTimeField(default=timezone.now)
    # Bumped by every change; an action carries the version its user saw, so a
    # stale action is refused before it applies.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["network", "thread_key"], name="uniq_conversation_network_thread")
        ]
        indexes = [
            # Inbox list, newest first, keyset-paginated on (last_activity_at, id).
            models.Index(fields=["-last_activity_at", "-id"], name="conv_newest_idx"),
            # Saved views filter by status, then page by activity.
            models.Index(fields=["status", "-last_activity_at", "-id"], name="conv_status_newest_idx"),
            # "Mine" view.
            models.Index(fields=["assignee", "status", "-last_activity_at"], name="conv_assignee_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_network_display()} conversation {self.pk} with @{self.customer.handle}"

    @property
    def is_closed(self) -> bool:
        return self.status in (self.Status.RESOLVED, self.Status.SPAM)
