"""A customer message's labels in the conversation pane, each a one-click correction.

Every label (sentiment, intent, needs a reply, language) is a small form: a select showing
the current value that posts itself on change (htmx), with a plain submit button (in ``<noscript>``)
as the fallback without JavaScript. A label the model was unsure of (confidence below
``CONFIDENT``) is greyed and says so; readers see the labels without the forms.
"""

from __future__ import annotations

from html import escape

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


def _one(m, label: str, *, action: str, csrf_token: str, can_correct: bool, values: tuple) -> str:
    value = label_value(m, label)
    if not value and not can_correct:
        return ""
    confidence = getattr(m, _CONFIDENCE[label])
    unsure = confidence is not None and confidence < CONFIDENT
    state = " label-unsure" if unsure else ""
    title = escape(_title(label, confidence, unsure))
    if not can_correct:
        return f'<span class="badge label-badge{state}" title="{title}">{escape(_shown(value))}</span>'
    field = f"label-{m.pk}-{label}"
    # A stored value outside today's choices (a language no longer configured) is still shown.
    shown = escape(_shown(value))
    current = (
        "" if not value or value in values else f'<option value="{escape(value)}" selected>{shown}</option>'
    )
    choices = "".join(
        f'<option value="{escape(c)}"{" selected" if c == value else ""}>{escape(_shown(c))}</option>'
        for c in values
    )
    empty = "" if value else f'<option value="" selected>({_TITLES[label].lower()}: not set)</option>'
    return (
        f'<form class="label-form{state}" method="post" action="{action}" hx-post="{action}"'
        ' hx-target="#pane" hx-swap="innerHTML" hx-trigger="change">'
        f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(csrf_token)}">'
        f'<input type="hidden" name="label" value="{label}">'
        f'<label class="visually-hidden" for="{field}">{_TITLES[label]}</label>'
        f'<select id="{field}" name="value" class="label-select" title="{title}"'
        f' data-label="{label}">{empty}{current}{choices}</select>'
        '<noscript><button type="submit" class="btn-link label-save">Correct</button></noscript>'
        "</form>"
    )


def label_choices() -> dict[str, tuple[str, ...]]:
    """Each label's choices; read once per pane, not per message."""
    return {label: label_values(label) for label in _TITLES}


def render_labels(m, *, action: str, csrf_token: str, can_correct: bool, choices: dict) -> str:
    """The labels of customer message ``m`` (escaped HTML)."""
    parts = [
        _one(m, label, action=action, csrf_token=csrf_token, can_correct=can_correct, values=values)
        for label, values in choices.items()
    ]
    return f'<span class="message-labels" id="labels-{m.pk}">{"".join(parts)}</span>'
