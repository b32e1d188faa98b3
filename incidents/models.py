"""Posts of the bank's own (publishing, with maker-checker) and incidents.

A Post is written once for one or more of the bank's accounts; each account's copy is a
PostDelivery, the outbox row its worker claims (the same state machine and exactly-once
rules as inbox.Reply: conditional UPDATEs, a lease, a check on the network before any
second attempt). An Incident groups the conversations one outage brings in.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from bankbuzz.cardmask import CardMaskedCharField, CardMaskedJSONField, CardMaskedTextField
from inbox.models import Conversation, OutboxRow, Reply, Tag
from listening.models import SocialAccount, SpikeAlert, network_labels


class Post(models.Model):
    """A post of the bank's own: written by one person, approved by another, then published."""

    class State(models.TextChoices):
        AWAITING_APPROVAL = "awaiting_approval", "Waiting for approval"
        SCHEDULED = "scheduled", "Approved, scheduled"
        PUBLISHING = "publishing", "Publishing"
        PUBLISHED = "published", "Published"
        FAILED = "failed", "Failed"
        REJECTED = "rejected", "Sent back"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class Purpose(models.TextChoices):
        STATUS = "status", "Status post"
        FOLLOW_UP = "follow_up", "Follow-up post"
        OTHER = "other", "Post"

    # Before anything left: the author or a lead may still edit or withdraw it.
    CHANGEABLE = (State.AWAITING_APPROVAL, State.SCHEDULED, State.REJECTED)

    text = CardMaskedTextField(max_length=3000)
    purpose = models.CharField(max_length=12, choices=Purpose.choices, default=Purpose.OTHER)
    incident = models.ForeignKey(
        "incidents.Incident", null=True, blank=True, on_delete=models.SET_NULL, related_name="posts"
    )
    state = models.CharField(max_length=20, choices=State.choices, default=State.AWAITING_APPROVAL)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Null: as soon as it is approved.
    scheduled_for = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_comment = CardMaskedTextField(blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            # The calendar: scheduled and published posts by their date.
            models.Index(fields=["state", "scheduled_for"], name="post_calendar_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} {self.pk}"

    @property
    def goes_out_at(self):
        return self.published_at or self.scheduled_for or self.decided_at


class PostDelivery(OutboxRow):
    """One account's copy of a post: the outbox row (waiting -> queued -> sending -> sent | failed)."""

    class State(models.TextChoices):
        WAITING = "waiting", "Waiting for approval"
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Published"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="deliveries")
    account = models.ForeignKey(SocialAccount, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=12, choices=State.choices, default=State.WAITING)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post", "account"], name="uniq_post_delivery_account"),
            models.CheckConstraint(
                condition=~models.Q(state="sent") | ~models.Q(external_id=""),
                name="post_sent_has_external_id",
            ),
        ]
        indexes = [
            # The publishing relay, every few seconds: queued copies no task carries yet, due now.
            models.Index(
                fields=["not_before"],
                name="post_delivery_due_idx",
                condition=models.Q(state="queued"),
            ),
        ]

    def __str__(self) -> str:
        return f"Post {self.post_id} on {self.account}"


class Incident(models.Model):
    """An outage or event that brings many customers with the same question."""

    class State(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved"

    name = CardMaskedCharField(max_length=120)
    terms = CardMaskedJSONField(default=list)
    networks = models.JSONField(default=list)
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    spike = models.ForeignKey(SpikeAlert, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Mirrors membership in the inbox: the inbox's tag filter is the incident's view there.
    tag = models.ForeignKey(Tag, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reply_text = CardMaskedTextField(blank=True)
    follow_up_text = CardMaskedTextField(blank=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(default=timezone.now)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-opened_at", "-id")

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN

    @property
    def network_labels(self) -> list[str]:
        return network_labels(self.networks)


class IncidentConversation(models.Model):
    """A conversation in an incident; removed ones stay (with removed_at) so matching skips them."""

    class How(models.TextChoices):
        MATCHED = "matched", "Matched its terms"
        ADDED = "added", "Added by a person"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="members")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    how = models.CharField(max_length=8, choices=How.choices, default=How.MATCHED)
    joined_at = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Why the incident reply was not sent (fraud, the guard, a closed window): a person answers.
    held_reason = CardMaskedCharField(max_length=300, blank=True)
    reply = models.ForeignKey(Reply, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    follow_up = models.ForeignKey(Reply, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["incident", "conversation"], name="uniq_incident_conversation"),
        ]
        indexes = [models.Index(fields=["incident", "joined_at"], name="incident_member_joined_idx")]

    def __str__(self) -> str:
        return f"{self.conversation_id} in incident {self.incident_id}"
