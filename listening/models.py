from __future__ import annotations

from django.db import models
from django.utils import timezone

from listening.connectors import base


class Network(models.TextChoices):
    X = "x", "X"
    FACEBOOK = "facebook", "Facebook"
    LINKEDIN = "linkedin", "LinkedIn"


class SocialAccount(models.Model):
    """A connected account or page of the bank."""

    class Health(models.TextChoices):
        OK = "ok", "OK"
        RATE_LIMITED = "rate_limited", "Rate limited"
        NEEDS_REAUTH = "needs_reauth", "Needs re-authorisation"
        FAILING = "failing", "Failing"

    network = models.CharField(max_length=16, choices=Network.choices)
    external_id = models.CharField(max_length=64)
    handle = models.CharField(max_length=100)
    name = models.CharField(max_length=200, blank=True)
    # Fernet token (see listening.crypto); never rendered back or logged.
    credentials_encrypted = models.TextField(blank=True, editable=False)
    is_active = models.BooleanField(default=True)
    poll_interval = models.PositiveIntegerField(default=60, help_text="Seconds between polls.")
    include_retweets = models.BooleanField(default=False)

    health = models.CharField(max_length=16, choices=Health.choices, default=Health.OK)
    rate_limited_until = models.DateTimeField(null=True, blank=True)
    rate_limit_remaining = models.IntegerField(null=True, blank=True)
    last_poll_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    # Per-stream cursors ({"mentions": "<since_id>", ...}), moved only in the
    # transaction that stores what they cover.
    cursors = models.JSONField(default=dict, blank=True)
    # A poll claims the account until this time, so two workers (or a second
    # beat started by mistake) never poll the same account at once.
    poll_lease_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["network", "external_id"], name="uniq_account_network_external_id"
            )
        ]
        ordering = ("network", "handle")

    def __str__(self) -> str:
        return f"{self.get_network_display()} @{self.handle}"

    def set_credentials(self, credentials: dict[str, str]) -> None:
        from listening.crypto import encrypt_credentials

        self.credentials_encrypted = encrypt_credentials(credentials)

    def get_credentials(self) -> dict[str, str]:
        from listening.crypto import decrypt_credentials

        return decrypt_credentials(self.credentials_encrypted)

    @property
    def has_credentials(self) -> bool:
        return bool(self.credentials_encrypted)

    def as_account_info(self) -> base.AccountInfo:
        return base.AccountInfo(
            network=self.network,
            external_id=self.external_id,
            handle=self.handle,
            credentials=self.get_credentials(),
            options={"include_retweets": self.include_retweets},
        )


class Author(models.Model):
    """A person or page on a network."""

    network = models.CharField(max_length=16, choices=Network.choices)
    external_id = models.CharField(max_length=64)
    handle = models.CharField(max_length=100)
    name = models.CharField(max_length=200, blank=True)
    avatar_url = models.URLField(max_length=500, blank=True)
    profile_url = models.URLField(max_length=500, blank=True)
    followers = models.PositiveIntegerField(null=True, blank=True)
    verified = models.BooleanField(default=False)
    first_seen_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["network", "external_id"], name="uniq_author_network_external_id")
        ]

    def __str__(self) -> str:
        return f"@{self.handle}"


class Mention(models.Model):
    """Anything said on a network that we stored, ours included (direction out)."""

    class Direction(models.TextChoices):
        IN = base.DIRECTION_IN, "Inbound"
        OUT = base.DIRECTION_OUT, "Outbound"

    class Kind(models.TextChoices):
        MENTION = base.KIND_MENTION, "Mention"
        REPLY = base.KIND_REPLY, "Reply"
        COMMENT = base.KIND_COMMENT, "Comment"
        POST = base.KIND_POST, "Post"
        DIRECT = base.KIND_DIRECT, "Direct message"
        SEARCH = base.KIND_SEARCH, "Search hit"

    network = models.CharField(max_length=16, choices=Network.choices)
    external_id = models.CharField(max_length=128)
    account = models.ForeignKey(SocialAccount, null=True, blank=True, on_delete=models.SET_NULL)
    author = models.ForeignKey(Author, on_delete=models.PROTECT, related_name="mentions")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    direction = models.CharField(max_length=3, choices=Direction.choices, default=Direction.IN)
    text = models.TextField()
    url = models.URLField(max_length=500, blank=True)
    thread_key = models.CharField(max_length=160)
    in_reply_to = models.CharField(max_length=128, blank=True)
    created_at = models.DateTimeField(help_text="The network's own timestamp.")
    received_at = models.DateTimeField(default=timezone.now)
    raw = models.JSONField(default=dict)
    # Earlier texts of an edited post, oldest first.
    edit_history = models.JSONField(default=list, blank=True)

    # Enrichment
    lang = models.CharField(max_length=8, blank=True)
    sentiment_score = models.FloatField(null=True, blank=True)
    sentiment_label = models.CharField(max_length=8, blank=True)
    pii_findings = models.JSONField(default=list, blank=True)
    has_pii = models.BooleanField(default=False)
    priority_hint = models.CharField(max_length=8, blank=True)
    intent = models.CharField(max_length=16, blank=True)
    is_spam = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["network", "external_id"], name="uniq_mention_network_external_id"
            )
        ]
        indexes = [
            # The conversation page: a thread's messages in time order.
            models.Index(fields=["network", "thread_key", "created_at"], name="mention_thread_idx"),
            # Listening pages and retention: recent items first.
            models.Index(fields=["received_at"], name="mention_received_idx"),
            # Account health page: items per account in the last hour and day.
            models.Index(fields=["account", "received_at"], name="mention_account_received_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.network}:{self.external_id}"

    @property
    def masked_text(self) -> str:
        """The text with personal data masked: what lists and previews show."""
        from listening.enrichment_bridge import masked_text

        return masked_text(self.text, self.pii_findings) if self.has_pii else self.text


class QuarantinedItem(models.Model):
    """An item a connector could not make sense of, kept raw for an admin to look at."""

    account = models.ForeignKey(SocialAccount, on_delete=models.CASCADE, related_name="quarantine")
    stream = models.CharField(max_length=64)
    external_id = models.CharField(max_length=128, blank=True)
    reason = models.TextField()
    raw = models.JSONField(null=True)
    # What re-processing needs that the item does not carry (the post a comment hangs on).
    context = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Set once the item is stored (or found to be nothing to store): it leaves the quarantine.
    reprocessed_at = models.DateTimeField(null=True, blank=True)
    reprocess_attempts = models.PositiveIntegerField(default=0)
    # What the last re-processing attempt did, in words for the admin.
    outcome = models.TextField(blank=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.account}: {self.reason[:60]}"
