"""A customer message's labels in the conversation pane, each a one-click correction.

Every label (sentiment, intent, needs a reply, language) is a small form: a select showing
the current value that posts itself on change (htmx), with a plain submit button (in ``<noscript>``)
as the fallback without JavaScript. A label the model was unsure of (confidence below
``CONFIDENT``) is greyed and says so; readers see the labels without the forms.
"""

from __future__ import annotations

from django.utils.safestring import SafeString
from markupsafe import Markup

from bankbuzz.jinja import render
from listening.enrichment.understanding import CONFIDENT
from listening.label_services import label_value, label_values

_TITLES = {
    "sentiment": "Sentiment",
    "intent": "Intent",
    "needs_reply": "Needs a reply",
    "language": "Language",
}
_CONFIDENCE = {
    "sentiment": "sentiment_confidence",
    "intent": "intent_confidence",
    "needs_reply": "needs_reply_confidence",
    "language": "lang_confidence",
}
_SHOWN = {"yes": "needs reply", "no": "no reply needed", "close_or_switch": "close or switch"}


def _shown(value: str) -> str:
    return _SHOWN.get(value, value.replace("_", " "))


def _title(label: str, confidence: float | None, unsure: bool) -> str:
    if confidence is None:
        return _TITLES[label]
    if confidence >= 1.0 and not unsure:
        return f"{_TITLES[label]} (set by a person or the network)"
    note = ": a guess, shown greyed, never acted on automatically" if unsure else ""
    return f"{_TITLES[label]} (model confidence {confidence:.0%}{note})"


def _options(label: str, value: str, values: tuple, cache: dict) -> Markup:
    """The `<option>`s of a label's correction select, the current value selected (escaped).

    The same for every message with that value: printed once per pane (`cache`), not per message.
    """
    key = (label, value)
    found = cache.get(key)
    if found is None:
        option = Markup('<option value="{}">{}</option>')
        chosen = Markup('<option value="{}" selected>{}</option>')
        unset = Markup('<option value="" selected>({}: not set)</option>')
        parts = []
        if not value:
            parts.append(unset.format(_TITLES[label].lower()))
        elif value not in values:
            parts.append(chosen.format(value, _shown(value)))
        for choice in values:
            parts.append((chosen if choice == value else option).format(choice, _shown(choice)))
        found = cache[key] = Markup("").join(parts)
    return found


def _one(m, label: str, *, can_correct: bool, values: tuple, cache: dict) -> dict | None:
    value = label_value(m, label)
    if not value and not can_correct:
        return None
    confidence = getattr(m, _CONFIDENCE[label])
    unsure = confidence is not None and confidence < CONFIDENT
    return {
        "label": label,
        "name": _TITLES[label],
        "field": f"label-{m.pk}-{label}",
        "shown": _shown(value),
        "unsure": unsure,
        "title": _title(label, confidence, unsure),
        # A stored value outside today's choices (a language no longer configured) is still shown.
        "options": _options(label, value, values, cache) if can_correct else "",
    }


def label_choices() -> dict[str, tuple[str, ...]]:
    """Each label's choices; read once per pane, not per message."""
    return {label: label_values(label) for label in _TITLES}


def label_context(
    m, *, action: str, csrf_token: str, can_correct: bool, choices: dict, options: dict | None = None
) -> dict:
    """What templates/jinja2/inbox/_labels.html shows of customer message ``m``, as ``lab``.

    ``options``: a dict kept for one page, so each label's options are printed once per value."""
    cache = {} if options is None else options
    items = [
        one
        for label, values in choices.items()
        if (one := _one(m, label, can_correct=can_correct, values=values, cache=cache))
    ]
    return {
        "message_pk": m.pk,
        "labels": items,
        "can_correct": can_correct,
        "action": action,
        "csrf_token": csrf_token,
    }


def render_labels(m, *, action: str, csrf_token: str, can_correct: bool, choices: dict) -> SafeString:
    """The labels of customer message ``m`` on their own (autoescaped)."""
    lab = label_context(m, action=action, csrf_token=csrf_token, can_correct=can_correct, choices=choices)
    return render("inbox/_labels.html", {"lab": lab})
