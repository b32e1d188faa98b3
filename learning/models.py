"""The advice library, the suggestions chosen while replying, and what each answer led to."""

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.db.models import Q
from django.utils import timezone

from bankbuzz.cardmask import CardMaskedCharField, CardMaskedJSONField, CardMaskedTextField
from escalations.models import Department, Escalation
from inbox.models import Conversation, Reply, SavedReply


class AdviceArticle(models.Model):
    """A page the bank publishes (or wrote for the team) that an agent can point a customer to."""

    title = CardMaskedCharField(max_length=150)
    url = models.URLField(max_length=500, help_text="The bank's page (https).")
    summary = CardMaskedTextField(
        max_length=600, help_text="What an agent pastes into a reply, with the link."
    )
    topics = CardMaskedJSONField(default=list, blank=True)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="advice_articles")
    review_by = models.DateField(help_text="When its owners check it is still right.")
    is_active = models.BooleanField(default=True)
    # The review date its department's leads were last told about: told once per overdue date.
    review_notified_for = models.DateField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    search = models.GeneratedField(
        expression=SearchVector("title", weight="A", config="english")
        + SearchVector("topics", weight="A", config="english")
        + SearchVector("summary", weight="B", config="english"),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    class Meta:
        ordering = ("title",)
        indexes = [
            GinIndex(fields=["search"], name="advice_search_idx"),
            # The daily review check: active articles by review date.
            models.Index(fields=["review_by"], name="advice_review_idx", condition=Q(is_active=True)),
        ]

    def __str__(self) -> str:
        return self.title

    def review_overdue(self, today=None) -> bool:
        return self.review_by < (today or timezone.localdate())


class SuggestionUse(models.Model):
    """A suggestion someone inserted: which entry, where, at which rank of the three."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    escalation = models.ForeignKey(
        Escalation, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    saved_reply = models.ForeignKey(
        SavedReply, null=True, blank=True, on_delete=models.CASCADE, related_name="suggestion_uses"
    )
    article = models.ForeignKey(
        AdviceArticle, null=True, blank=True, on_delete=models.CASCADE, related_name="suggestion_uses"
    )
    rank = models.PositiveSmallIntegerField()
    # The reply it went into, found by the outcome task (the user's next reply on the conversation).
    reply = models.ForeignKey(Reply, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            # The outcome task: article uses on conversations not yet matched to a reply.
            models.Index(
                fields=["created_at"],
                name="use_unlinked_idx",
                condition=Q(reply__isnull=True, article__isnull=False, conversation__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(saved_reply__isnull=True) ^ Q(article__isnull=True), name="use_one_entry"
            ),
            models.CheckConstraint(
                condition=Q(conversation__isnull=True) ^ Q(escalation__isnull=True), name="use_one_place"
            ),
        ]

    def __str__(self) -> str:
        return f"Suggestion use {self.pk}"


class Outcome(models.TextChoices):
    PENDING = "pending", "Not known yet"
    THANKS = "thanks", "Thanked us"
    RESOLVED = "resolved", "Resolved (no new message in 72 h)"
    WROTE_AGAIN = "wrote_again", "Wrote again"
    ESCALATED = "escalated", "Escalated"


class ReplyOutcome(models.Model):
    """What a sent reply that used a library entry led to (see learning/outcomes.py)."""

    reply = models.ForeignKey(Reply, on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    saved_reply = models.ForeignKey(
        SavedReply, null=True, blank=True, on_delete=models.CASCADE, related_name="outcomes"
    )
    article = models.ForeignKey(
        AdviceArticle, null=True, blank=True, on_delete=models.CASCADE, related_name="outcomes"
    )
    sent_at = models.DateTimeField()
    outcome = models.CharField(max_length=12, choices=Outcome.choices, default=Outcome.PENDING)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["sent_at"], name="outcome_pending_idx", condition=Q(outcome="pending")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(saved_reply__isnull=True) ^ Q(article__isnull=True), name="outcome_one_entry"
            ),
            models.UniqueConstraint(
                fields=["reply", "saved_reply"],
                condition=Q(saved_reply__isnull=False),
                name="uniq_outcome_saved",
            ),
            models.UniqueConstraint(
                fields=["reply", "article"], condition=Q(article__isnull=False), name="uniq_outcome_article"
            ),
        ]

    def __str__(self) -> str:
        return f"Outcome of reply {self.reply_id}: {self.outcome}"


class EntryStats(models.Model):
    """Outcome counts per library entry, kept by the outcome task so ranking reads one row each."""

    saved_reply = models.OneToOneField(
        SavedReply, null=True, blank=True, on_delete=models.CASCADE, related_name="learning_stats"
    )
    article = models.OneToOneField(
        AdviceArticle, null=True, blank=True, on_delete=models.CASCADE, related_name="stats"
    )
    thanks = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)
    wrote_again = models.PositiveIntegerField(default=0)
    escalated = models.PositiveIntegerField(default=0)
    pending = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(saved_reply__isnull=True) ^ Q(article__isnull=True), name="stats_one_entry"
            ),
        ]

    def __str__(self) -> str:
        return f"Stats {self.pk}"

    @property
    def decided(self) -> int:
        return self.thanks + self.resolved + self.wrote_again + self.escalated

    @property
    def helped(self) -> int:
        return self.thanks + self.resolved


class LibraryProposal(models.Model):
    """An expert's answer proposed as a saved reply: a draft until a social lead approves it."""

    class State(models.TextChoices):
        DRAFT = "draft", "Waiting for a lead"
        APPROVED = "approved", "In the library"
        REJECTED = "rejected", "Not taken"

    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="+")
    # The specialist whose answer it is: credited on the library page and told of its uses.
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = CardMaskedCharField(max_length=100)
    body = CardMaskedTextField(max_length=2000)
    tags = CardMaskedJSONField(default=list, blank=True)
    # What the personal-data guard found in the text: kind and a masked preview, never the data.
    guard_findings = CardMaskedJSONField(default=list, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    saved_reply = models.OneToOneField(
        SavedReply, null=True, blank=True, on_delete=models.SET_NULL, related_name="proposal"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_comment = CardMaskedTextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # One live proposal per escalation: a second click does not make a second draft.
            models.UniqueConstraint(
                fields=["escalation"], condition=Q(state__in=["draft", "approved"]), name="uniq_live_proposal"
            ),
        ]

    def __str__(self) -> str:
        return f"Proposal {self.pk}: {self.title}"


class SavedReplyEdit(models.Model):
    """How a sent reply changed the saved reply it started from (within reason: agents adapt it).

    `text` is the sent text with the customer's and the agent's names turned back into variables,
    so the same change for different customers counts as one; blank when the text held personal
    data (never kept here). `base_body` is the saved reply's text it was compared with.
    """

    saved_reply = models.ForeignKey(SavedReply, on_delete=models.CASCADE, related_name="edits")
    reply = models.OneToOneField(Reply, on_delete=models.CASCADE, related_name="+")
    base_body = CardMaskedTextField()
    text = CardMaskedTextField(blank=True)
    edited = models.BooleanField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["saved_reply", "edited"], name="saved_edit_idx")]

    def __str__(self) -> str:
        return f"Edit of saved reply {self.saved_reply_id} in reply {self.reply_id}"


class SavedReplyVersion(models.Model):
    """A saved reply's text as it was: the original, then each edit a lead adopted."""

    saved_reply = models.ForeignKey(SavedReply, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    body = CardMaskedTextField()
    source = models.CharField(max_length=20)  # "original" or "adopted edit"
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("saved_reply", "number")
        constraints = [
            models.UniqueConstraint(fields=["saved_reply", "number"], name="uniq_saved_reply_version"),
        ]

    def __str__(self) -> str:
        return f"Saved reply {self.saved_reply_id} v{self.number}"


class Experiment(models.Model):
    """Two versions of a saved reply offered alternately for a topic, for a set period."""

    topic = models.CharField(
        max_length=40, help_text="A conversation tag; the experiment runs where it is set."
    )
    control = models.ForeignKey(SavedReply, on_delete=models.CASCADE, related_name="+")
    variant = models.ForeignKey(SavedReply, on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    winner = models.ForeignKey(SavedReply, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(control=models.F("variant")), name="experiment_two_versions"),
        ]

    def __str__(self) -> str:
        return f"Experiment {self.pk} on {self.topic}"


class ExperimentArm(models.Model):
    """Which version a conversation was offered: the first offer decides, alternating in order."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="arms")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    saved_reply = models.ForeignKey(SavedReply, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["experiment", "conversation"], name="uniq_experiment_conversation"
            ),
        ]

    def __str__(self) -> str:
        return f"Experiment {self.experiment_id}: conversation {self.conversation_id}"
