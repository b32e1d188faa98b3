from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone

from listening.connectors import base


class Network(models.TextChoices):
    X = "x", "X"
    FACEBOOK = "facebook", "Facebook"
    LINKEDIN = "linkedin", "LinkedIn"
    INSTAGRAM = "instagram", "Instagram"


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


class Author(models.Model):
    """A person or page on a network."""

    network = models.CharField(max_length=16, choices=Network.choices)
    external_id = models.CharField(max_length=64)
    handle = models.CharField(max_length=100)
    name = models.CharField(max_length=200, blank=True)
    avatar_url = models.URLField(max_length=500, blank=True)
    # The SHA-256 of the picture we fetched and serve ourselves (AuthorAvatar); "" until then.
    # Pages link to our copy by it, never to avatar_url: staff browsers make no third-party request.
    avatar_sha256 = models.CharField(max_length=64, blank=True, default="", db_default="", editable=False)
    profile_url = models.URLField(max_length=500, blank=True)
    followers = models.PositiveIntegerField(null=True, blank=True)
    verified = models.BooleanField(default=False)
    first_seen_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["network", "external_id"], name="uniq_author_network_external_id")
        ]
        indexes = [
            # `handle__iexact` (the same handle on other networks on the conversation pane, and the
            # subject of a data request): without it, a scan of every author.
            models.Index(Upper("handle"), "network", name="author_handle_upper_idx"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def at_handle(self) -> str:
        """The handle with its "@", or "" where the network gives people no handle (Facebook)."""
        return f"@{self.handle}" if self.handle else ""

    @property
    def display_name(self) -> str:
        """The name people know them by: never blank, even where the network gave neither name nor handle."""
        if self.name.strip():
            return self.name
        if self.handle:
            return self.at_handle
        network = Network(self.network).label if self.network in Network.values else "Network"
        return f"{network} user {self.external_id[-4:]}"

    @property
    def label(self) -> str:
        """How a page names them in a line or a title: the @handle where there is one, else the name."""
        return self.at_handle or self.display_name


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
    # The conversation this message belongs to: the network's thread and the customer who wrote
    # it (see listening.threads). Other people in the same public thread have their own.
    thread_key = models.CharField(max_length=160)
    # The network's own thread (an X conversation, a Facebook or LinkedIn post, a DM thread):
    # what everyone in it shares, shown as context beside a customer's conversation.
    network_thread = models.CharField(max_length=160, blank=True, default="")
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
    # The model's probability for each label (null: stored before labels had one, or our own
    # message). Below listening.enrichment.understanding.CONFIDENT a label is shown greyed
    # and never escalates on its own. Nullable, no default: adding them rewrites no rows.
    sentiment_confidence = models.FloatField(null=True, blank=True)
    intent_confidence = models.FloatField(null=True, blank=True)
    lang_confidence = models.FloatField(null=True, blank=True)
    needs_reply = models.BooleanField(null=True, blank=True)
    needs_reply_confidence = models.FloatField(null=True, blank=True)
    # False for a search hit its listening query keeps out of the inbox (see
    # ListeningQuery.inbox_policy): the inbox skips it; listening pages count it.
    for_inbox = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["network", "external_id"], name="uniq_mention_network_external_id"
            )
        ]
        indexes = [
            # The conversation page: a thread's messages in time order.
            models.Index(fields=["network", "thread_key", "created_at"], name="mention_thread_idx"),
            # The conversation pane: other people's messages in the customer's public thread.
            models.Index(
                fields=["network", "network_thread", "created_at"],
                name="mention_network_thread_idx",
                condition=~models.Q(network_thread=""),
            ),
            # Listening pages and retention: recent items first.
            models.Index(fields=["received_at"], name="mention_received_idx"),
            # Account health page: items per account in the last hour and day.
            models.Index(fields=["account", "received_at"], name="mention_account_received_idx"),
            # Listening insights and spike detection count by the network's own time.
            models.Index(fields=["created_at"], name="mention_created_idx"),
            models.Index(fields=["account", "created_at"], name="mention_account_created_idx"),
            # Dashboards: customers' thanks in a period (a few percent of the inbound mentions),
            # with the thread they belong to (index-only: the agent comes from the conversation).
            models.Index(
                fields=["received_at"],
                name="mention_thanks_idx",
                include=["network", "thread_key"],
                condition=models.Q(direction="in", intent="thanks"),
            ),
            # Dashboards: a thread's first customer message and its sentiment ("negative to
            # positive"), index-only, for each conversation of a period.
            models.Index(
                fields=["network", "thread_key", "created_at", "id"],
                name="mention_thread_first_in_idx",
                include=["sentiment_label"],
                condition=models.Q(direction="in"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.network}:{self.external_id}"

    @property
    def masked_text(self) -> str:
        """The text with personal data masked: what lists and previews show."""
        from listening.enrichment.stored import masked_text

        return masked_text(self.text, self.pii_findings) if self.has_pii else self.text


class MentionOriginal(models.Model):
    """The original text of a message that held a card number, sealed (see listening.pan_vault).

    The mention itself stores the text with the card masked. Only the recorded Reveal opens
    this; retention deletes it after `listening.card_originals`' period.
    """

    mention = models.OneToOneField(
        Mention, on_delete=models.CASCADE, primary_key=True, related_name="original"
    )
    sealed = models.TextField(help_text="Fernet token under PAN_VAULT_KEYS.")
    sealed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            # Retention: the originals sealed before the cutoff.
            models.Index(fields=["sealed_at"], name="mention_original_sealed_idx"),
        ]

    def __str__(self) -> str:
        return f"sealed original of mention {self.mention_id}"


class AuthorAvatar(models.Model):
    """Our copy of a person's profile picture, fetched by a worker (listening/avatars.py).

    Kept in the database, not in media storage: web processes are stateless and run on several
    machines with no shared volume, backups and erasure then cover it with the profile (it goes
    with its author, CASCADE), and at most AVATAR_MAX_BYTES (256 KB) a row it stays small.
    A failed fetch is a row too (no data, the reason), so the sweep does not retry it at once.
    """

    class Status(models.TextChoices):
        OK = "ok", "Fetched"
        FAILED = "failed", "Refused or failed"

    author = models.OneToOneField(Author, on_delete=models.CASCADE, primary_key=True, related_name="avatar")
    source_url = models.URLField(max_length=500)
    status = models.CharField(max_length=8, choices=Status.choices)
    content_type = models.CharField(max_length=32, blank=True)
    data = models.BinaryField(default=b"")
    sha256 = models.CharField(max_length=64, blank=True)
    error = models.CharField(max_length=200, blank=True)
    fetched_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Avatar of author {self.author_id}"


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


class ListeningQuery(models.Model):
    """A named boolean query (the bank, a competitor, a topic), its networks and cursors.

    On X it runs as a recent search (`run_query`); on every network it is also
    evaluated on each stored item, so Facebook and LinkedIn comments count too.
    """

    class Kind(models.TextChoices):
        BRAND = "brand", "The bank"
        COMPETITOR = "competitor", "Competitor"
        TOPIC = "topic", "Topic"

    class InboxPolicy(models.TextChoices):
        ALL = "all", "Everything it finds"
        QUESTIONS = "questions", "Only questions and complaints"
        NONE = "none", "Nothing (listening only)"

    name = models.CharField(max_length=100, unique=True)
    text = models.TextField(help_text="The boolean query.")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.TOPIC)
    networks = models.JSONField(
        default=list, help_text='Networks it runs on: ["x", "facebook", "linkedin", "instagram"].'
    )
    inbox_policy = models.CharField(max_length=16, choices=InboxPolicy.choices, default=InboxPolicy.QUESTIONS)
    is_active = models.BooleanField(default=True)
    # Standard deviations above the baseline that make a spike; null: the site default.
    spike_sensitivity = models.FloatField(null=True, blank=True)
    run_interval = models.PositiveIntegerField(default=60, help_text="Seconds between X searches.")
    # {"x": {"search": "<since_id>", "search_page": ..., "search_head": ...}}
    cursors = models.JSONField(default=dict, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "listening queries"
        ordering = ("kind", "name")

    def __str__(self) -> str:
        return self.name


class LabelCorrection(models.Model):
    """An agent's correction of one label of a customer's message: the next training run's data.

    ``manage.py understanding_export`` writes them as JSON lines for
    ``python -m listening.enrichment.train --extra``.
    """

    class Label(models.TextChoices):
        SENTIMENT = "sentiment", "Sentiment"
        INTENT = "intent", "Intent"
        NEEDS_REPLY = "needs_reply", "Needs a reply"
        LANGUAGE = "language", "Language"

    mention = models.ForeignKey(Mention, on_delete=models.CASCADE, related_name="label_corrections")
    label = models.CharField(max_length=16, choices=Label.choices)
    old_value = models.CharField(max_length=16, blank=True)
    new_value = models.CharField(max_length=16)
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["created_at"], name="label_correction_created_idx")]

    def __str__(self) -> str:
        return f"{self.mention_id} {self.label}: {self.old_value} -> {self.new_value}"


class QueryMatch(models.Model):
    """A stored mention that a listening query matches; `created_at` is the mention's, for time series."""

    query = models.ForeignKey(ListeningQuery, on_delete=models.CASCADE, related_name="matches")
    mention = models.ForeignKey(Mention, on_delete=models.CASCADE, related_name="query_matches")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["query", "mention"], name="uniq_query_match")]
        indexes = [models.Index(fields=["query", "created_at"], name="query_match_time_idx")]

    def __str__(self) -> str:
        return f"{self.query_id} matches {self.mention_id}"


class SpikeAlert(models.Model):
    """One spike: from the first unusual 15 minutes until volume is back to normal.

    `scopes` lists what spiked (queries and accounts) with their counts and
    baselines. At most one alert is open at a time (a partial unique
    constraint): everything spiking during it joins it, so people get one
    alert per spike, not one per scope and quarter hour.
    """

    started_at = models.DateTimeField(help_text="Start of the first unusual 15 minutes.")
    last_spike_at = models.DateTimeField(help_text="Start of the latest unusual 15 minutes.")
    ended_at = models.DateTimeField(null=True, blank=True)
    is_open = models.BooleanField(default=True)
    peak_count = models.PositiveIntegerField(default=0)
    baseline = models.FloatField(default=0)
    scopes = models.JSONField(default=list)
    terms = models.JSONField(default=list)
    queries = models.ManyToManyField(ListeningQuery, blank=True, related_name="alerts")
    accounts = models.ManyToManyField(SocialAccount, blank=True, related_name="spike_alerts")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-started_at", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=["is_open"], condition=models.Q(is_open=True), name="one_open_spike"
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        names = ", ".join(scope["label"] for scope in self.scopes[:3]) or "volume"
        terms = ", ".join(f"\u201c{term}\u201d" for term in self.terms[:4])
        return f"Spike in {names}" + (f": {terms}" if terms else "")


class XUsage(models.Model):
    """What the X API billed, per account, listening query (none: the account's own polls and
    replies), UTC day and unit kind (listening/x_costs.py). The cost is priced when recorded, so
    a price change leaves past months as they were billed."""

    account = models.ForeignKey(SocialAccount, on_delete=models.CASCADE, related_name="x_usage")
    query = models.ForeignKey(ListeningQuery, null=True, blank=True, on_delete=models.SET_NULL)
    day = models.DateField()
    kind = models.CharField(max_length=24)
    units = models.PositiveIntegerField(default=0)
    cost = models.DecimalField(max_digits=12, decimal_places=4, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "query", "day", "kind"], nulls_distinct=False, name="uniq_x_usage_row"
            )
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.day} {self.kind}: {self.units}"


class XBudget(models.Model):
    """An X account's monthly budget: a warning at 80 %, and at 100 % slower polling or a stop."""

    class AtLimit(models.TextChoices):
        SLOW = "slow", "Slow polling down"
        STOP = "stop", "Stop polling and notify"

    account = models.OneToOneField(SocialAccount, on_delete=models.CASCADE, related_name="x_budget")
    monthly_budget = models.DecimalField(max_digits=10, decimal_places=2)
    at_limit = models.CharField(max_length=8, choices=AtLimit.choices, default=AtLimit.SLOW)
    slow_interval = models.PositiveIntegerField(default=900, help_text="Seconds between polls at the limit.")
    # The first day of the month whose 80 % warning / 100 % action has been taken, so each happens once.
    warned_month = models.DateField(null=True, blank=True)
    limited_month = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.account} ${self.monthly_budget}/month"
