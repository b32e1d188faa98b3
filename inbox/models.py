from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from bankbuzz.cardmask import CardMaskedCharField, CardMaskedJSONField, CardMaskedTextField
from listening.models import Author, Network, SocialAccount, network_labels

# Tags A to Z whatever the database's collation: "Incident 1 ..." between "fraud" and "mortgages",
# not before "app" as under the C collation.
TAGS_A_TO_Z = (Lower("name"), "name")


class Tag(models.Model):
    """A label on conversations. Agents create tags inline; leads rename and delete them."""

    name = CardMaskedCharField(max_length=40)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    ALPHABETICAL = TAGS_A_TO_Z

    class Meta:
        ordering = TAGS_A_TO_Z
        constraints = [
            # "Fraud" and "fraud" are one tag: looked up case-insensitively when created inline.
            models.UniqueConstraint(Lower("name"), name="uniq_tag_name_ci"),
        ]

    def __str__(self) -> str:
        return self.name


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

    # Statuses that still need the team; the "All open" view and the queues.
    ACTIVE = (Status.NEW, Status.OPEN, Status.WAITING_CUSTOMER, Status.WAITING_EXPERT)

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
    tags = models.ManyToManyField(Tag, blank=True, related_name="conversations")
    preview = CardMaskedCharField(
        max_length=280, blank=True, help_text="The latest customer message, masked."
    )
    has_pii = models.BooleanField(default=False)
    sentiment_label = models.CharField(max_length=8, blank=True)
    # The model's confidence in that sentiment (the latest customer message's); below
    # listening.enrichment.understanding.CONFIDENT the list row greys it. Null: no confidence
    # (stored before labels had one). Nullable, no default: adding it rewrites no rows.
    sentiment_confidence = models.FloatField(null=True, blank=True)
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
    # stale action is refused before it applies (see services.apply_change).
    version = models.PositiveIntegerField(default=1)

    # Search support, kept here rather than on listening's tables: the masked text of
    # the thread's messages plus the customer's handle and name (see
    # services.conversation_reindex), and the lower-cased handle for prefix matches.
    search_vector = SearchVectorField(null=True, editable=False)
    search_handle = models.CharField(max_length=100, blank=True, editable=False)

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
            # "Longest waiting" sort: oldest unanswered customer message first.
            models.Index(fields=["status", "last_inbound_at", "id"], name="conv_status_waiting_idx"),
            # The open conversations in each sort's order, for a filter whose rows are in another
            # table (a tag): PostgreSQL walks the open ones in order and probes the tag's links,
            # stopping at a page, instead of joining every link of the tag and sorting.
            models.Index(
                fields=["last_inbound_at", "id"],
                name="conv_active_waiting_idx",
                condition=models.Q(status__in=["new", "open", "waiting_customer", "waiting_expert"]),
            ),
            models.Index(
                fields=["-last_activity_at", "-id"],
                name="conv_active_newest_idx",
                condition=models.Q(status__in=["new", "open", "waiting_customer", "waiting_expert"]),
            ),
            # "Priority" sort and the "Urgent" view.
            models.Index(
                fields=["status", "-priority", "last_inbound_at", "id"], name="conv_status_priority_idx"
            ),
            # Search box: full-text search over messages, handle and name.
            GinIndex(fields=["search_vector"], name="conv_search_gin_idx"),
            # Search box: "@jan" finds @jane_doe (LIKE 'jan%' needs the pattern opclass).
            models.Index(
                fields=["search_handle"], name="conv_handle_prefix_idx", opclasses=["varchar_pattern_ops"]
            ),
            # Dashboards: the conversations first received in a period, with every column their
            # figures read (an index-only scan: the table's rows are wide, the period a third of it).
            models.Index(
                fields=["first_received_at"],
                name="conv_received_cover_idx",
                include=[
                    "id",
                    "status",
                    "network",
                    "account",
                    "assignee",
                    "first_response_at",
                    "resolved_at",
                    "sentiment_label",
                    "thread_key",
                    "message_count",
                ],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_network_display()} conversation {self.pk} with {self.customer}"

    @property
    def is_closed(self) -> bool:
        return self.status in (self.Status.RESOLVED, self.Status.SPAM)


class ConversationEvent(models.Model):
    """Something that happened to a conversation, shown in its thread.

    `version` is the conversation's version after the change: the events after the
    version a user saw are exactly "what changed since you opened it".
    """

    class Kind(models.TextChoices):
        OPENED = "opened", "Opened"
        MESSAGE = "message", "Customer message"
        REPLY = "reply", "Reply"
        REOPENED = "reopened", "Reopened"
        STATUS = "status", "Status"
        ASSIGNED = "assigned", "Assignment"
        PRIORITY = "priority", "Priority"
        TAGGED = "tagged", "Tag added"
        UNTAGGED = "untagged", "Tag removed"
        NOTE = "note", "Note"
        ESCALATION = "escalation", "Escalation"
        REPLY_QUEUED = "reply_queued", "Reply on its way"
        OUTBOX = "outbox", "Outbox"
        HIDDEN = "hidden", "Comment hidden"
        UNHIDDEN = "unhidden", "Comment shown again"
        DELETED = "deleted", "Reply deleted"
        SPLIT = "split", "Moved to its own conversation"
        COMPLAINT = "complaint", "Complaint"

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # A sentence for people ("resolved it", "assigned it to Ben Okafor"), written when it happened.
    text = CardMaskedCharField(max_length=300)
    data = CardMaskedJSONField(default=dict, blank=True)
    version = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            # The thread (all events of a conversation) and "what changed since version N".
            models.Index(fields=["conversation", "version"], name="conv_event_version_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.conversation_id} v{self.version} {self.kind}"


class Note(models.Model):
    """An internal note on a conversation; never leaves BankBuzz."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = CardMaskedTextField(max_length=5000)
    mentioned = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            # The thread: a conversation's notes in time order.
            models.Index(fields=["conversation", "created_at"], name="note_thread_idx"),
        ]

    def __str__(self) -> str:
        return f"Note {self.pk} on conversation {self.conversation_id}"


class SavedReply(models.Model):
    """An approved answer the team reuses; leads own the library, agents adapt the text.

    The body may use {customer_name}, {handle}, {agent_first_name} and {bank_name};
    they are filled in when the reply is inserted into the composer.
    """

    title = CardMaskedCharField(max_length=100)
    body = CardMaskedTextField(max_length=2000)
    shortcut = CardMaskedCharField(
        max_length=30, blank=True, help_text="Typed as ;shortcut in the composer (letters, digits, - and _)."
    )
    tags = CardMaskedJSONField(default=list, blank=True)
    # Networks it is meant for; empty means every network.
    networks = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(default=True)
    usage_count = models.PositiveIntegerField(default=0)
    last_used_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # What suggestions rank against a customer's words (the learning app's composer panel):
    # computed by PostgreSQL on every write, so no code path can leave it stale.
    search = models.GeneratedField(
        expression=SearchVector("title", weight="A", config="english")
        + SearchVector("tags", weight="A", config="english")
        + SearchVector("body", weight="B", config="english"),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    class Meta:
        verbose_name_plural = "saved replies"
        ordering = ("title",)
        indexes = [GinIndex(fields=["search"], name="saved_reply_search_idx")]
        constraints = [
            # ";card" must insert one reply, whatever its case.
            models.UniqueConstraint(
                Lower("shortcut"), condition=~models.Q(shortcut=""), name="uniq_saved_reply_shortcut_ci"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def for_network(self, network: str) -> bool:
        return not self.networks or network in self.networks

    @property
    def network_names(self) -> list[tuple[str, str]]:
        """(code, name) of each network it is meant for: ("linkedin", "LinkedIn")."""
        return list(zip(self.networks, network_labels(self.networks), strict=True))


class OutboxRow(models.Model):
    """The delivery state of an outbox row: a reply, or a copy of one of the bank's posts.

    The relay (`inbox.replies.relay`) moves these rows on by conditional UPDATEs: it stamps
    `dispatched_at` when it hands a row to the broker, a worker claims it under a lease, and the
    network's id and URL are recorded once it is out.
    """

    # Sending: attempts made (any attempt may have reached the network), the wait for a
    # rate-limit reset or a scheduled time, and the lease of the worker that is sending it now.
    attempts = models.PositiveIntegerField(default=0)
    not_before = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    # When the relay handed the row to the broker; null while queued means no task carries it
    # yet (the broker was down, say).
    dispatched_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    external_id = models.CharField(max_length=128, blank=True)
    url = models.URLField(max_length=500, blank=True)
    mention = models.ForeignKey(
        "listening.Mention", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    error = CardMaskedTextField(blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True


class Reply(OutboxRow):
    """An outgoing message through its life: the outbox.

    draft -> awaiting_approval -> approved -> queued -> sending -> sent | failed.
    Every transition is a conditional UPDATE on the state it leaves (see
    inbox.reply_services), so two workers, or a worker and a person, never both win.
    """

    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        AWAITING_APPROVAL = "awaiting_approval", "Waiting for approval"
        APPROVED = "approved", "Approved"
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        REJECTED = "rejected", "Rejected"
        CANCELLED = "cancelled", "Cancelled"

    class Channel(models.TextChoices):
        PUBLIC = "public", "Public reply"
        PRIVATE = "private", "Private message"

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    text = CardMaskedTextField(max_length=10000)
    # Public: the external id of the message answered. Private: the customer's id on the
    # network and/or the private thread ("dm:..." on X, "m:..." on Messenger).
    in_reply_to = models.CharField(max_length=128, blank=True)
    recipient_id = models.CharField(max_length=64, blank=True)
    private_thread = models.CharField(max_length=160, blank=True)
    saved_reply = models.ForeignKey(
        SavedReply, null=True, blank=True, on_delete=models.SET_NULL, related_name="replies"
    )
    state = models.CharField(max_length=20, choices=State.choices, default=State.DRAFT)
    approval_reasons = models.JSONField(default=list, blank=True)
    # What the guard found and a person overrode: kind, validity and a masked preview, never the data.
    override_findings = CardMaskedJSONField(default=list, blank=True)
    override_reason = CardMaskedTextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_comment = CardMaskedTextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    PENDING = (State.AWAITING_APPROVAL, State.APPROVED, State.QUEUED, State.SENDING)
    # Not stored: set by reply_services.reply_submit when a submission was a repeat of this reply.
    resubmitted = False

    class Meta:
        verbose_name_plural = "replies"
        indexes = [
            # The approvals queue: oldest waiting first.
            models.Index(
                fields=["created_at"],
                name="reply_awaiting_idx",
                condition=models.Q(state="awaiting_approval"),
            ),
            # The conversation pane's outbox.
            models.Index(fields=["conversation", "created_at"], name="reply_conversation_idx"),
            # The recovery sweep: queued or sending replies whose worker may be gone.
            models.Index(
                fields=["state", "lease_until"],
                name="reply_in_flight_idx",
                condition=models.Q(state__in=["queued", "sending"]),
            ),
            # The outbox relay, every few seconds: queued replies no task carries yet.
            models.Index(
                fields=["queued_at"],
                name="reply_undispatched_idx",
                condition=models.Q(state="queued", dispatched_at__isnull=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(state="sent") | ~models.Q(external_id=""),
                name="reply_sent_has_external_id",
            ),
        ]

    def __str__(self) -> str:
        return f"Reply {self.pk} ({self.state}) on conversation {self.conversation_id}"


class CustomerLink(models.Model):
    """A person of the team confirmed that two authors on different networks are one customer.

    The customer card lists the conversations of linked authors; nothing links them otherwise
    (a matching handle is only offered as a suggestion). Stored once per pair, lower id first.
    """

    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="+")
    other = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["author", "other"], name="uniq_customer_link"),
            models.CheckConstraint(
                condition=models.Q(author__lt=models.F("other")), name="customer_link_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.author} = {self.other}"


class TouchedRetry(models.Model):
    """A receiver of `inbox.events.conversations_touched` that raised, to be called again.

    Written in the transaction of the attach it failed after, so it exists exactly when the
    conversations it was told about do; the orphan sweep (`inbox.attach_orphans`, every minute)
    calls the receiver again with the same news until it succeeds or runs out of attempts.
    """

    receiver = models.CharField(max_length=200, help_text="module.name of the receiver function")
    touched = models.JSONField(help_text="What the receiver was told: ids and what happened, no words.")
    attempts = models.PositiveSmallIntegerField(default=1)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["next_attempt_at"], name="touched_retry_due_idx")]

    def __str__(self) -> str:
        return f"{self.receiver} (attempt {self.attempts})"
