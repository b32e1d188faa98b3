"""Agents' corrections of a message's labels (sentiment, intent, needs a reply, language).

A correction replaces the label on the message with confidence 1.0 (a person said so, so it
may now drive routing), keeps what the model said in a :class:`LabelCorrection` for the next
training run (``manage.py understanding_export``), and is audited.
"""

from __future__ import annotations

from django.db import transaction

from bankbuzz.accounts import roles
from bankbuzz.audit.services import audit_record
from listening.enrichment.understanding import INTENTS
from listening.models import LabelCorrection, Mention

__all__ = ["LABELS", "LabelError", "label_correct", "label_value", "label_values"]

SENTIMENTS = ("negative", "neutral", "positive")
REPLY_VALUES = ("yes", "no")

LABELS = ("sentiment", "intent", "needs_reply", "language")
# Each label: the field it lives in and its confidence field.
_FIELDS = {
    "sentiment": ("sentiment_label", "sentiment_confidence"),
    "intent": ("intent", "intent_confidence"),
    "needs_reply": ("needs_reply", "needs_reply_confidence"),
    "language": ("lang", "lang_confidence"),
}


def label_values(label: str) -> tuple[str, ...]:
    """The values an agent may choose for ``label``; languages are the bank's (BANK_LANGUAGES)."""
    if label == "language":
        from listening.enrichment import EnrichmentConfig

        return EnrichmentConfig.from_settings().languages
    return {"sentiment": SENTIMENTS, "intent": INTENTS, "needs_reply": REPLY_VALUES}[label]


class LabelError(Exception):
    """A correction that cannot be made; the message says why, for the agent."""


def label_value(mention: Mention, label: str) -> str:
    """The label's current value as the correction form shows it ("" when there is none)."""
    value = getattr(mention, _FIELDS[label][0])
    if label == "needs_reply":
        return "" if value is None else ("yes" if value else "no")
    return value or ""


def label_correct(*, actor, mention: Mention, label: str, value: str) -> LabelCorrection | None:
    """Set ``label`` of ``mention`` to ``value``; ``None`` when it already was that value."""
    if not roles.can_work_inbox(actor):
        raise LabelError("Only agents and leads correct labels.")
    if label not in LABELS:
        raise LabelError("Choose sentiment, intent, needs a reply or language.")
    if value not in label_values(label):
        raise LabelError(f"{value[:20]!r} is not a valid {label.replace('_', ' ')}.")
    if mention.direction != Mention.Direction.IN:
        raise LabelError("Only a customer's message has labels.")
    with transaction.atomic():
        locked = Mention.objects.select_for_update().get(pk=mention.pk)
        old = label_value(locked, label)
        if old == value:
            return None
        field, confidence = _FIELDS[label]
        setattr(locked, field, value == "yes" if label == "needs_reply" else value)
        setattr(locked, confidence, 1.0)
        locked.save(update_fields=[field, confidence])
        correction = LabelCorrection.objects.create(
            mention=locked, label=label, old_value=old, new_value=value, corrected_by=actor
        )
        audit_record(
            actor=actor,
            verb="mention.label_corrected",
            obj=locked,
            before={label: old},
            after={label: value},
        )
    mention.refresh_from_db(fields=[field, confidence])
    return correction
