"""Personal API tokens, and the outgoing webhooks (endpoints and their delivery log)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from bankbuzz.cardmask import CardMaskedCharField, CardMaskedJSONField


class ApiToken(models.Model):
    """A personal token for the REST API, made by its owner on the profile page.

    The token itself is shown once, when it is made; only its SHA-256 digest is stored, so a
    copy of the database gives nobody a working token. A token carries at most the rights of its
    owner (the same permission helpers as the pages), narrowed by its scope; it expires, and its
    owner can revoke it.
    """

    class Scope(models.TextChoices):
        READ = "read", "Read"
        WRITE = "write", "Read and write"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = CardMaskedCharField(max_length=80, help_text="What it is for (\u201cCRM sync\u201d).")
    # The first characters of the token, so its owner can tell tokens apart; not a secret.
    prefix = models.CharField(max_length=16)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    scope = models.CharField(max_length=8, choices=Scope.choices, default=Scope.READ)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [
            # The profile page: a person's tokens, newest first.
            models.Index(fields=["user", "-created_at"], name="apitoken_owner_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}\u2026)"

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and self.expires_at > now

    @property
    def can_write(self) -> bool:
        return self.scope == self.Scope.WRITE


class WebhookEndpoint(models.Model):
    """A URL of the bank's other systems that is told when something happens (configured by admins)."""

    name = CardMaskedCharField(max_length=80)
    url = models.URLField(max_length=500, help_text="Where the events are POSTed (https).")
    events = models.JSONField(
        default=list, help_text="The events it receives; see bankbuzz.api.webhooks.EVENTS."
    )
    # The HMAC-SHA256 signing key, Fernet-encrypted with CREDENTIALS_KEYS (it must be read to sign).
    secret_encrypted = models.TextField(editable=False)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("name", "id")

    def __str__(self) -> str:
        return self.name


class WebhookDelivery(models.Model):
    """One event for one endpoint, through its attempts: the delivery log."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40)
    # Sent as X-BankBuzz-Delivery: the receiver's key for ignoring a repeat.
    delivery_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    payload = CardMaskedJSONField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    # Each attempt: {"at", "status", "error", "ms"}; at most MAX_ATTEMPTS entries.
    log = CardMaskedJSONField(default=list, blank=True)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        ordering = ("-created_at", "-id")
        indexes = [
            # The admin's delivery log of one endpoint, newest first.
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_log_idx"),
            # Deliveries still to send, by when (a sweep or an operator's query).
            models.Index(
                fields=["next_attempt_at"],
                name="webhook_delivery_due_idx",
                condition=models.Q(state__in=["pending", "sending"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} to {self.endpoint_id} ({self.state})"


class IdempotencyKey(models.Model):
    """The first answer to a write sent with an `Idempotency-Key` header, per person.

    The same key again (a client that timed out and retried) gets this answer back instead of
    doing the write twice; the same key with another request is refused. Kept
    `API_IDEMPOTENCY_TTL` seconds, then dropped when that person next sends a new key.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=500)
    # SHA-256 of the method, path and body: a key reused for another request is an error.
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response = CardMaskedJSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="uniq_idempotency_user_key")]
        indexes = [models.Index(fields=["user", "created_at"], name="idempotency_user_age_idx")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.user_id})"
