"""Departments of experts, routing rules, escalation tickets and their SLA clocks.

The SLA clocks are stored as absolute due times (`response_due_at`, `resolution_due_at`) computed
in the department's working time (see `sla.py`), plus the 75% warning points. Storing instants
rather than "minutes left" lets the minute-by-minute beat check be one indexed query. A pause
(waiting on the agent) turns the instants into remaining working seconds and back on resume.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.text import Truncator

from bankbuzz.cardmask import CardMaskedCharField, CardMaskedJSONField, CardMaskedTextField
from inbox.models import Conversation
from listening.models import Network

Priority = Conversation.Priority


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"{value!r} is not a time zone (use a name such as Europe/London).") from None


WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")  # Python's weekday numbers


def default_work_days() -> list[int]:
    return [0, 1, 2, 3, 4]  # Monday to Friday (Python's weekday numbers)


class Department(models.Model):
    """A team of experts the social team can ask (Cards, Fraud, ...)."""

    name = CardMaskedCharField(max_length=80, unique=True)
    description = CardMaskedTextField(blank=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="expert_departments")
    leads = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="led_departments")
    time_zone = models.CharField(max_length=64, default="Europe/London", validators=[validate_time_zone])
    work_days = models.JSONField(default=default_work_days, help_text="Weekdays, 0 = Monday ... 6 = Sunday.")
    day_start = models.TimeField(default=dt.time(9, 0))
    # 00:00 as the end means midnight at the end of the day (with 00:00 start: around the clock).
    day_end = models.TimeField(default=dt.time(17, 30))
    notification_email = models.EmailField(blank=True, help_text="A team mailbox copied on SLA warnings.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name

    @property
    def work_days_label(self) -> str:
        """Mon to Fri as a range, "every day", or "Mon, Wed, Fri": the working days as people say them."""
        days = sorted({d for d in self.work_days if isinstance(d, int) and 0 <= d < 7})
        if len(days) == 7:
            return "every day"
        if len(days) >= 3 and days == list(range(days[0], days[-1] + 1)):
            return f"{WEEKDAY_NAMES[days[0]]}\N{EN DASH}{WEEKDAY_NAMES[days[-1]]}"
        return ", ".join(WEEKDAY_NAMES[d] for d in days) or "no days"

    def clean(self) -> None:
        days = self.work_days
        if not isinstance(days, list) or not days or any(d not in range(7) for d in days):
            raise ValidationError({"work_days": "Choose at least one working day."})
        if self.day_end != dt.time(0) and self.day_end <= self.day_start:
            raise ValidationError({"day_end": "The working day must end after it starts (00:00 = midnight)."})


class Holiday(models.Model):
    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField()
    name = CardMaskedCharField(max_length=80, blank=True)

    class Meta:
        ordering = ("date",)
        constraints = [
            models.UniqueConstraint(fields=["department", "date"], name="uniq_holiday_department_date")
        ]

    def __str__(self) -> str:
        return f"{self.department}: {self.date} {self.name}"


class SlaPolicy(models.Model):
    """Targets in working minutes of the department, per priority."""

    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="sla_policies")
    priority = models.PositiveSmallIntegerField(choices=Priority.choices)
    first_response_minutes = models.PositiveIntegerField()
    resolution_minutes = models.PositiveIntegerField()

    class Meta:
        ordering = ("department", "-priority")
        constraints = [
            models.UniqueConstraint(fields=["department", "priority"], name="uniq_sla_department_priority")
        ]

    def __str__(self) -> str:
        return f"{self.department} {self.get_priority_display()}"


class RoutingRule(models.Model):
    """Conditions on a conversation that suggest a department and a priority.

    Every condition left empty matches anything; the rules are tried in `position` order and the
    first that matches wins.
    """

    name = CardMaskedCharField(max_length=80)
    position = models.PositiveIntegerField(default=100)
    is_active = models.BooleanField(default=True)
    phrases = CardMaskedTextField(blank=True, help_text="One per line; any of them in a customer message.")
    intent = models.CharField(
        max_length=16,
        blank=True,
        help_text=(
            "complaint, fraud, question, outage, thanks, close_or_switch, spam or other; "
            "matches only a confident label."
        ),
    )
    priority_hint = models.CharField(max_length=8, blank=True, help_text="urgent, high, normal or low.")
    network = models.CharField(max_length=16, choices=Network.choices, blank=True)
    language = models.CharField(max_length=8, blank=True)
    min_followers = models.PositiveIntegerField(null=True, blank=True)
    has_pii = models.BooleanField(null=True, blank=True, help_text="Empty: either way.")
    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="routing_rules")
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, null=True, blank=True)
    auto_escalate = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("position", "id")

    def __str__(self) -> str:
        return self.name

    @property
    def phrase_list(self) -> list[str]:
        return [line.strip().lower() for line in self.phrases.splitlines() if line.strip()]

    @property
    def conditions(self) -> list[str]:
        """The rule's conditions in words, one item each (the rules list joins them); empty: none."""
        parts = []
        if self.phrase_list:
            parts.append("phrases: " + Truncator(", ".join(self.phrase_list)).chars(120))
        if self.intent:
            parts.append(f"intent {self.intent}")
        if self.priority_hint:
            parts.append(f"priority hint {self.priority_hint}")
        if self.network:
            parts.append(self.get_network_display())
        if self.language:
            parts.append(f"language {self.language}")
        if self.min_followers is not None:
            parts.append(f"{self.min_followers}+ followers")
        if self.has_pii is not None:
            parts.append("personal data " + ("yes" if self.has_pii else "no"))
        return parts


class Escalation(models.Model):
    class State(models.TextChoices):
        OPEN = "open", "Waiting on the expert"
        WAITING_AGENT = "waiting_agent", "Waiting on the agent"
        ANSWERED = "answered", "Answered"
        CLOSED = "closed", "Closed"

    ACTIVE = (State.OPEN, State.WAITING_AGENT)

    conversation = models.ForeignKey(Conversation, on_delete=models.PROTECT, related_name="escalations")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="escalations")
    rule = models.ForeignKey(RoutingRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    question = CardMaskedTextField(max_length=5000)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NORMAL)
    state = models.CharField(max_length=16, choices=State.choices, default=State.OPEN)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_escalations",
    )
    info_request = CardMaskedTextField(blank=True, help_text="The expert's open question to the agent.")
    answer = CardMaskedTextField(blank=True, help_text="Internal: for the social team only.")
    proposed_reply = CardMaskedTextField(blank=True, help_text="A public reply the agent may send.")
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    opened_at = models.DateTimeField(default=timezone.now)
    first_response_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    # SLA clocks (see the module docstring). Null: that clock is stopped or paused.
    response_due_at = models.DateTimeField(null=True, blank=True)
    response_warn_at = models.DateTimeField(null=True, blank=True)
    resolution_due_at = models.DateTimeField(null=True, blank=True)
    resolution_warn_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_remaining = models.JSONField(default=dict, blank=True)
    # Each warning is sent once: set by a conditional UPDATE ... WHERE <field> IS NULL.
    response_warned_at = models.DateTimeField(null=True, blank=True)
    response_breached_at = models.DateTimeField(null=True, blank=True)
    resolution_warned_at = models.DateTimeField(null=True, blank=True)
    resolution_breached_at = models.DateTimeField(null=True, blank=True)
    # The soonest running deadline: the queue's sort key (null sorts last).
    due_at = models.DateTimeField(null=True, blank=True)
    # Moves on with every step (escalations.services.record_event): an API caller sends the version it
    # read, and a step someone else took since is refused (409) instead of applied on top.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        indexes = [
            # The specialist queue: a department's escalations, soonest deadline first (keyset).
            models.Index(fields=["department", "state", "due_at", "id"], name="esc_queue_idx"),
            # The queue across departments (social leads, managers).
            models.Index(fields=["state", "due_at", "id"], name="esc_state_due_idx"),
            # The SLA beat: running clocks only.
            models.Index(fields=["due_at"], name="esc_running_due_idx", condition=models.Q(state="open")),
            # The specialist queue over several departments and both active states, soonest deadline
            # first (nulls last, as ASC puts them): walked in order and stopped at the page's LIMIT
            # instead of sorting every active escalation of the departments (docs/benchmarks.md).
            models.Index(
                fields=["due_at", "id"],
                name="esc_active_due_idx",
                condition=models.Q(state__in=["open", "waiting_agent"]),
            ),
        ]
        constraints = [
            # One active escalation per conversation at a time: a second one would split the answer.
            models.UniqueConstraint(
                fields=["conversation"],
                condition=models.Q(state__in=["open", "waiting_agent"]),
                name="uniq_active_escalation_per_conversation",
            )
        ]

    def __str__(self) -> str:
        return f"Escalation {self.pk} to {self.department_id}"

    @property
    def is_active(self) -> bool:
        return self.state in self.ACTIVE

    @property
    def question_preview(self) -> str:
        """The agent's own question, without the customer's quoted words the form starts with.

        The escalate form fills in "Jane wrote:", "> ..." lines and "Question: "; a list shows
        what follows "Question:", or else the lines that are not the quote.
        """
        _head, marker, asked = self.question.rpartition("Question:")
        if marker and asked.strip():
            return " ".join(asked.split())
        own = [
            line
            for line in self.question.splitlines()
            if line.strip() and not line.lstrip().startswith(">") and not line.rstrip().endswith(" wrote:")
        ]
        return " ".join(" ".join(own).split()) or " ".join(self.question.split())

    def sla_state(self, now: dt.datetime | None = None) -> str:
        """ "ok", "warning", "breach", "paused" or "stopped": the countdown chip."""
        now = now or timezone.now()
        if self.state == self.State.WAITING_AGENT:
            return "paused"
        if self.state != self.State.OPEN:
            return "breach" if (self.response_breached_at or self.resolution_breached_at) else "stopped"
        # The first-response clock stops at the expert's first answer or question.
        response_running = self.first_response_at is None
        dues = [d for d in (self.response_due_at if response_running else None, self.resolution_due_at) if d]
        warns = [
            w for w in (self.response_warn_at if response_running else None, self.resolution_warn_at) if w
        ]
        if any(d <= now for d in dues):
            return "breach"
        if any(w <= now for w in warns):
            return "warning"
        return "ok"


class EscalationEvent(models.Model):
    """A step in an escalation's history (also in the audit log)."""

    class Kind(models.TextChoices):
        OPENED = "opened", "Escalated"
        CLAIMED = "claimed", "Claimed"
        INFO_REQUESTED = "info_requested", "Asked for more information"
        INFO_GIVEN = "info_given", "Gave more information"
        ANSWERED = "answered", "Answered"
        TRANSFERRED = "transferred", "Transferred"
        CLOSED = "closed", "Closed"
        SLA_WARNING = "sla_warning", "SLA warning"
        SLA_BREACH = "sla_breach", "SLA breached"
        KUDOS = "kudos", "Kudos"

    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    text = CardMaskedTextField(blank=True)
    data = CardMaskedJSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("created_at", "id")
        indexes = [models.Index(fields=["escalation", "created_at"], name="esc_event_history_idx")]

    def __str__(self) -> str:
        return f"{self.escalation_id} {self.kind}"


class Kudos(models.Model):
    """A customer thanked us after an expert's answer: credit to the expert and the agent."""

    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="kudos")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    mention = models.ForeignKey("listening.Mention", on_delete=models.CASCADE, related_name="+")
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="kudos_received",
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "kudos"
        constraints = [
            # Kudos count once per escalation, however often the customer thanks us or the signal
            # is delivered.
            models.UniqueConstraint(fields=["escalation"], name="uniq_kudos_escalation")
        ]

    def __str__(self) -> str:
        return f"Kudos on escalation {self.escalation_id}"
