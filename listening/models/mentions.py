"""What was said on the networks: authors, their mentions, sealed originals and label corrections."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone

from bankbuzz.cardmask import CardMaskedCharField
from listening.connectors import base
from listening.models.accounts import Network, SocialAccount


class Author(models.Model):
    """A person or page on a network."""

    network = models.CharField(max_length=16, choices=Network.choices)
    external_id = models.CharField(max_length=64)
    # As the network sends them: the polls mask a card number first; these mask every other write.
    handle = CardMaskedCharField(max_length=100)
    name = CardMaskedCharField(max_length=200, blank=True)
    avatar_url = models.URLField(max_length=500, blank=True)
    # The SHA-256 of the picture we fetched and serve ourselves (AuthorAvatar); "" until then.
    # Pages link to our copy by it, never to avatar_url: staff browsers make no third-party request.
    avatar_sha256 = models.CharField(max_length=64, blank=True, default="", db_default="", editable=False)
    profile_url = models.URLField(max_length=500, blank=True)
    followers = models.PositiveIntegerField(null=True, blank=True)
    verified = models.BooleanField(default=False)
    first_seen_at = models.DateTimeField(default=timezone.now)
    # When the profile (handle, name, avatar, followers, verified) last changed: a page that finds
    # it as stored leaves the row alone (`listening.services.storing._upsert_authors`).
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
