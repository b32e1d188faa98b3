"""The bank's connected accounts on each network, and what their polls could not read."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from bankbuzz.cardmask import CardMaskedCharField
from listening.connectors import base


class Network(models.TextChoices):
    X = "x", "X"
    FACEBOOK = "facebook", "Facebook"
    LINKEDIN = "linkedin", "LinkedIn"
    INSTAGRAM = "instagram", "Instagram"


def network_labels(networks) -> list[str]:
    """Network codes as people name them ("X", "LinkedIn"), in the order given."""
    labels = dict(Network.choices)
    return [labels.get(network, network) for network in networks]


class SocialAccount(models.Model):
    """A connected account or page of the bank."""

    class Health(models.TextChoices):
        OK = "ok", "OK"
        RATE_LIMITED = "rate_limited", "Rate limited"
        NEEDS_REAUTH = "needs_reauth", "Needs re-authorisation"
        FAILING = "failing", "Failing"

    network = models.CharField(max_length=16, choices=Network.choices)
    external_id = models.CharField(max_length=64)
    # Typed in the admin, or as the network's profile says: a card number is masked on every write.
    handle = CardMaskedCharField(max_length=100)
    name = CardMaskedCharField(max_length=200, blank=True)
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
    # When the stored token stops working, where the network gives tokens an end (an
    # Instagram or LinkedIn token lasts 60 days); the accounts page warns 14 days before.
    token_expires_on = models.DateField(null=True, blank=True)
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

    # A poll that has not succeeded for this many intervals is "stalled" on the account pages.
    STALLED_AFTER_INTERVALS = 3

    @property
    def stalled_since(self):
        """When polling last succeeded (or the account was added), if that is three intervals
        ago or more and nothing else already says why (paused, re-authorisation, a rate limit)."""
        now = timezone.now()
        if not self.is_active or self.health == self.Health.NEEDS_REAUTH:
            return None
        if self.rate_limited_until and self.rate_limited_until > now:
            return None
        since = self.last_success_at or self.created_at
        stalled = (now - since).total_seconds() >= self.STALLED_AFTER_INTERVALS * self.poll_interval
        return since if stalled else None

    @property
    def shows_health(self) -> bool:
        """Whether pages print the last poll's outcome: not its "OK" once no poll has come since
        (the stall says how the account is)."""
        return self.health != self.Health.OK or self.stalled_since is None

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
            usage_sink=self._usage_sink() if self.network == Network.X else None,
        )

    def _usage_sink(self):
        from listening.x_costs import usage_sink

        return usage_sink(self.pk)


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
