"""Card numbers in what people type: masked before any row is written (PCI DSS 3.5).

A customer's card number reaches more than the listening app's messages: an agent pastes it
into an escalation's question, an expert into an answer, a complaints handler into a letter.
Every model field that holds text a person types is one of the fields below. Whatever path
writes it (a service's save, the Django admin, `QuerySet.update`, `bulk_create`, `bulk_update`,
`inbox.services.insert_rows`), the value is masked on its way to the database: `pre_save`
masks the instance's own value (so what is shown or sent next is what is stored), and
`get_prep_value`, which every write sends its value through, masks what reaches the SQL.

What a card number is, and its masked form, belong to the listening app
(`listening.pan_vault.mask_cards` and `mask_payload`); the core imports no app, so the
listening app registers them here when it is ready. A write before that would store what it
was given, so it is refused instead (`ImproperlyConfigured`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import models, transaction

_maskers: dict[str, Callable[[Any], Any]] = {}


def register(*, text: Callable[[str], str], value: Callable[[Any], Any]) -> None:
    """The listening app's maskers: of one text, and of every string in a JSON-like value."""
    _maskers["text"] = text
    _maskers["value"] = value


def _masker(kind: str) -> Callable[[Any], Any]:
    try:
        return _maskers[kind]
    except KeyError:
        raise ImproperlyConfigured(
            "No card-number masker is registered: the listening app must be installed and ready."
        ) from None


def mask_text(text: Any) -> Any:
    """`text` with every card number masked (same length); anything but text as it is."""
    # Fewer than 13 characters cannot hold 13 digits.
    if not isinstance(text, str) or len(text) < 13:
        return text
    return _masker("text")(text)


def shorten(text: str, limit: int) -> str:
    """`text` masked, then cut to `limit` characters: a cut never leaves part of a card in clear.

    Text cut before it reaches a masking field (a notice quoting a comment, an audit value) would
    keep a card's first digits if the cut fell inside it: they no longer read as a card number.
    """
    return mask_text(text)[:limit]


def mask_value(value: Any) -> Any:
    """Every string in a JSON-like value, at any depth, masked; `value` itself if none changed."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return _masker("value")(value)


class _MasksCards:
    """Masks card numbers in the field's value on every write (see the module's docstring)."""

    masks_cards = True  # `inbox.services.insert_rows` sends these through the field, plain or not

    def _mask(self, value: Any) -> Any:
        return mask_text(value)

    def pre_save(self, model_instance, add):
        value = super().pre_save(model_instance, add)
        masked = self._mask(value)
        if masked is not value:
            setattr(model_instance, self.attname, masked)
        return masked

    def get_prep_value(self, value):
        return self._mask(super().get_prep_value(value))


class CardMaskedTextField(_MasksCards, models.TextField):
    """A TextField whose card numbers are masked before they are stored."""


class CardMaskedCharField(_MasksCards, models.CharField):
    """A CharField whose card numbers are masked before they are stored."""


class _Checked:
    """A JSON value `pre_save` has just masked, on its way to `get_prep_value`.

    An INSERT or a save hands `pre_save`'s result straight to `get_prep_value`; masking it there
    again would encode the whole value to JSON a second time (of three: the driver's is the last).
    This box is only ever `pre_save`'s return value, never an attribute of the instance, so no
    other caller can pass a value that was changed after it was checked: every other path (an
    update in one statement, a bulk update, a lookup) still hands a plain value and is masked.
    """

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


class CardMaskedJSONField(_MasksCards, models.JSONField):
    """A JSONField whose strings, at any depth, have their card numbers masked before they are stored."""

    def _mask(self, value: Any) -> Any:
        return mask_value(value)

    def pre_save(self, model_instance, add):
        masked = super().pre_save(model_instance, add)
        # Only a plain object or list, the values whose encoding costs: None must stay None (SQL
        # NULL), and an expression must stay itself for the compiler to resolve it.
        return _Checked(masked) if isinstance(masked, (dict, list)) else masked

    def get_prep_value(self, value):
        if type(value) is _Checked:
            return value.value
        return super().get_prep_value(value)


def mask_stored_rows(model, text_fields: Iterable[str] = (), json_fields: Iterable[str] = (), batch=500):
    """Mask the card numbers already stored in `model`'s fields (for data migrations).

    Walks the primary key in batches, each its own transaction, so a large table is never
    locked at once and an interrupted run carries on (a masked row has no card left to find).
    Returns how many rows changed.
    """
    text_fields, json_fields = tuple(text_fields), tuple(json_fields)
    fields = (*text_fields, *json_fields)
    last, total = None, 0
    while True:
        rows = model.objects.order_by("pk").only("pk", *fields)
        if last is not None:
            rows = rows.filter(pk__gt=last)
        rows = list(rows[:batch])
        if not rows:
            return total
        last = rows[-1].pk
        changed = []
        for row in rows:
            before = [getattr(row, name) for name in fields]
            for name in text_fields:
                setattr(row, name, mask_text(getattr(row, name)))
            for name in json_fields:
                setattr(row, name, mask_value(getattr(row, name)))
            if [getattr(row, name) for name in fields] != before:
                changed.append(row)
        if changed:
            with transaction.atomic():
                model.objects.bulk_update(changed, list(fields))
            total += len(changed)
