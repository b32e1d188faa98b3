"""Complaints in the regulator's sense: an expression of dissatisfaction, recorded and clocked.

A complaint's due dates are computed once, when a person confirms it, and stored as instants
(`summary_due_at`, `acknowledge_due_at`, `final_due_at`): the regime's settings at that moment
are also kept in `regime_snapshot`. Editing a regime later changes new complaints only; moving an
open complaint to another regime is an explicit, audited action (`services.complaint_change_regime`).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from bankbuzz.cardmask import CardMaskedCharField, CardMaskedJSONField, CardMaskedTextField
from inbox.models import Conversation, Reply
from listening.models import Author, Mention, SocialAccount


class Unit(models.TextChoices):
    BUSINESS_DAYS = "business_days", "business days"
    CALENDAR_DAYS = "calendar_days", "calendar days"
    WEEKS = "weeks", "weeks"


class BankHoliday(models.Model):
    """A day the bank is closed: no business day for the complaint clocks."""

    date = models.DateField(unique=True)
    name = CardMaskedCharField(max_length=80, blank=True)

    class Meta:
        ordering = ("date",)

    def __str__(self) -> str:
        return f"{self.date:%d %b %Y} {self.name}".strip()


class ComplaintRegime(models.Model):
    """A set of clocks a regulator sets (configuration: the bank may add its own).

    Each clock is an amount and a unit; an empty amount means the regime has no such clock.
    """

    class Letters(models.TextChoices):
        UK = "uk", "UK (Financial Ombudsman Service wording)"
        US = "us", "US (CFPB wording)"

    code = models.SlugField(max_length=40, unique=True)
    name = CardMaskedCharField(max_length=100)
    description = CardMaskedTextField(blank=True)
    letters = models.CharField(max_length=4, choices=Letters.choices, default=Letters.UK)
    summary_amount = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Resolved within this: a summary resolution communication suffices."
    )
    summary_unit = models.CharField(max_length=16, choices=Unit.choices, default=Unit.BUSINESS_DAYS)
    acknowledge_amount = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Not resolved by then: the acknowledgement is due."
    )
    acknowledge_unit = models.CharField(max_length=16, choices=Unit.choices, default=Unit.BUSINESS_DAYS)
    final_amount = models.PositiveSmallIntegerField(help_text="The final response is due within this.")
    final_unit = models.CharField(max_length=16, choices=Unit.choices, default=Unit.WEEKS)
    extended_amount = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="After a holding reply, the final response is due within this."
    )
    extended_unit = models.CharField(max_length=16, choices=Unit.choices, default=Unit.BUSINESS_DAYS)
    due_soon_business_days = models.PositiveSmallIntegerField(
        default=2, help_text="Warn this many business days before a clock runs out."
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.extended_amount is not None and self.extended_amount <= 0:
            raise ValidationError({"extended_amount": "Leave it empty or give a positive number."})
        if not self.final_amount:
            raise ValidationError({"final_amount": "A regime needs a final response clock."})

    def snapshot(self) -> dict:
        """The clocks as they were when a complaint was confirmed (kept on the complaint)."""
        return {
            "code": self.code,
            "name": self.name,
            "letters": self.letters,
            "summary": [self.summary_amount, self.summary_unit],
            "acknowledge": [self.acknowledge_amount, self.acknowledge_unit],
            "final": [self.final_amount, self.final_unit],
            "extended": [self.extended_amount, self.extended_unit],
            "due_soon_business_days": self.due_soon_business_days,
        }


class AccountRegime(models.Model):
    """The default regime of complaints received through one of the bank's connected accounts."""

    account = models.OneToOneField(SocialAccount, on_delete=models.CASCADE, related_name="complaint_regime")
    regime = models.ForeignKey(ComplaintRegime, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return f"{self.account}: {self.regime}"


class Category(models.Model):
    """The configurable taxonomy: products and causes, as a complaints return groups them."""

    class Kind(models.TextChoices):
        PRODUCT = "product", "Product"
        CAUSE = "cause", "Cause"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    name = CardMaskedCharField(max_length=80)
    # The group a regulator's return reports it under (e.g. "Banking and credit cards").
    group = CardMaskedCharField(max_length=80, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ("kind", "position", "name")
        verbose_name_plural = "categories"
        constraints = [models.UniqueConstraint(fields=["kind", "name"], name="uniq_complaint_category")]

    def __str__(self) -> str:
        return self.name


class Complaint(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved (summary resolution)"
        CLOSED = "closed", "Closed (final response)"

    class Outcome(models.TextChoices):
        NONE = "", "Not decided"
        UPHELD = "upheld", "Upheld"
        PARTLY = "partly", "Partly upheld"
        NOT_UPHELD = "not_upheld", "Not upheld"

    # SET_NULL: the complaint record outlives the conversation's retention (the regulator's own
    # record-keeping period is longer than the social conversation's).
    conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.SET_NULL, related_name="complaints"
    )
    customer = models.ForeignKey(Author, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    account = models.ForeignKey(
        SocialAccount, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    network = models.CharField(max_length=16)
    messages = models.ManyToManyField(Mention, blank=True, related_name="+")
    first_message = models.ForeignKey(
        Mention, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    received_at = models.DateTimeField(help_text="The customer's first message of dissatisfaction.")
    counts_from = models.DateField(help_text="The business day the clocks count from.")
    summary = CardMaskedCharField(
        max_length=300, blank=True, help_text="What the complaint is about (internal)."
    )
    product = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": "product"},
    )
    cause = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": "cause"},
    )
    regime = models.ForeignKey(ComplaintRegime, on_delete=models.PROTECT, related_name="complaints")
    regime_snapshot = CardMaskedJSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    outcome = models.CharField(max_length=12, choices=Outcome.choices, blank=True, default="")
    redress = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    # The clocks, computed at confirmation (see clocks.py) and stored.
    summary_due_at = models.DateTimeField(null=True, blank=True)
    acknowledge_due_at = models.DateTimeField(null=True, blank=True)
    final_due_at = models.DateTimeField()
    # What was done when.
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    holding_reply_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    final_response_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The warnings sent, each once ("acknowledge:due_soon", "final:breach", ...).
    notices = CardMaskedJSONField(default=list, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ("final_due_at", "id")
        indexes = [
            # The queue and the beat: open complaints by the next clock.
            models.Index(
                fields=["final_due_at", "id"],
                name="complaint_open_due_idx",
                condition=models.Q(status="open"),
            ),
            # The dashboard: complaints received in a period.
            models.Index(fields=["received_at"], name="complaint_received_idx"),
        ]
        constraints = [
            # One open complaint per conversation: a second expression of dissatisfaction joins it.
            models.UniqueConstraint(
                fields=["conversation"],
                condition=models.Q(status="open"),
                name="uniq_open_complaint_conversation",
            )
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"C-{self.pk:06d}" if self.pk else "C-new"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def next_due_at(self):
        """The clock that runs out first among those still owed."""
        if not self.is_open:
            return None
        owed = [self.final_due_at]
        if self.acknowledge_due_at and not self.acknowledged_at and not self.holding_reply_at:
            owed.append(self.acknowledge_due_at)
        return min(owed)

    @property
    def next_due_label(self) -> str:
        if not self.is_open:
            return ""
        if (
            self.acknowledge_due_at
            and not self.acknowledged_at
            and not self.holding_reply_at
            and self.acknowledge_due_at <= self.final_due_at
        ):
            return "Acknowledgement"
        return "Final response"


class Dismissal(models.Model):
    """An agent's "not a complaint" on a suggested message, with the reason."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    mention = models.ForeignKey(Mention, on_delete=models.CASCADE, related_name="+")
    reason = CardMaskedCharField(max_length=300)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["mention"], name="uniq_complaint_dismissal_mention")]

    def __str__(self) -> str:
        return f"Dismissed {self.mention_id}: {self.reason[:40]}"


# A private letter's reply in these states goes nowhere until a person acts on it.
STUCK_REPLY_STATES = (Reply.State.FAILED, Reply.State.REJECTED, Reply.State.CANCELLED)


class Letter(models.Model):
    class Kind(models.TextChoices):
        ACKNOWLEDGEMENT = "acknowledgement", "Acknowledgement"
        SUMMARY = "summary", "Summary resolution communication"
        HOLDING = "holding", "Holding reply"
        FINAL = "final", "Final response"

    class Channel(models.TextChoices):
        PRIVATE = "private", "Private message"
        EMAIL = "email", "E-mail"
        POST = "post", "Post"

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="letters")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    text = CardMaskedTextField(max_length=10000)
    # A letter by e-mail or post: the date the agent gives. A private message: empty until the
    # reply is actually sent on the network (it may wait for approval, or fail); only then does
    # the letter count (acknowledged, resolved, closed) and these are filled.
    sent_on = models.DateField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    reply = models.ForeignKey(Reply, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # What a summary or final response decides, applied when the letter counts as sent.
    outcome = models.CharField(max_length=12, blank=True, default="")
    redress = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("created_at", "id")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.complaint}"

    @property
    def is_sent(self) -> bool:
        return self.sent_at is not None

    @property
    def delivery(self) -> str:
        """For people: "sent", or where the private message is ("waiting for approval", "failed")."""
        if self.is_sent:
            return "sent"
        if self.reply is None:
            return "not sent"
        return self.reply.get_state_display().lower()

    @property
    def is_stuck(self) -> bool:
        """The private message will not go without someone acting (failed, rejected, withdrawn)."""
        return not self.is_sent and (self.reply is None or self.reply.state in STUCK_REPLY_STATES)


class Vulnerability(models.Model):
    """A customer flagged as potentially vulnerable: special-category data (see permissions.py)."""

    class Driver(models.TextChoices):
        HEALTH = "health", "Health"
        LIFE_EVENTS = "life_events", "Life events"
        RESILIENCE = "resilience", "Resilience"
        CAPABILITY = "capability", "Capability"

    customer = models.OneToOneField(Author, on_delete=models.CASCADE, related_name="+")
    drivers = models.JSONField(default=list)
    note = CardMaskedTextField(max_length=2000, blank=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "vulnerabilities"

    def __str__(self) -> str:
        return f"Vulnerability flag {self.pk}"

    def driver_labels(self) -> list[str]:
        labels = dict(self.Driver.choices)
        return [labels.get(d, d) for d in self.drivers]
