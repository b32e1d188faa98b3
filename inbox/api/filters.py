"""The conversation list's filters over the API: documented from, and read through, the inbox's own
filter form."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError

from inbox import forms, selectors
from inbox.models import Conversation

ID = {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}
FILTERS = {
    "view": (
        {"type": "string", "enum": list(selectors.SAVED_VIEWS)},
        f"A saved view of the inbox (default {selectors.DEFAULT_VIEW}).",
    ),
    "sort": (
        {"type": "string", "enum": list(selectors.SORTS)},
        "newest, waiting (longest first) or priority.",
    ),
    "q": (
        {"type": "string", "maxLength": 200},
        "Full-text search; `@jan` matches handles starting with jan.",
    ),
    "network": (
        {"type": "string", "enum": [v for v, _ in Conversation._meta.get_field("network").choices]},
        "",
    ),
    "account": (ID, "A connected account's id."),
    "status": ({"type": "string", "enum": Conversation.Status.values}, ""),
    "assignee": ({"type": "string", "pattern": "^(me|none|[1-9][0-9]{0,17})$"}, "A user id, `me` or `none`."),
    "tag": (ID, "A tag's id."),
    "sentiment": ({"type": "string", "enum": ["negative", "neutral", "positive"]}, ""),
    "priority": (
        {"type": "integer", "enum": Conversation.Priority.values},
        "0 low, 1 normal, 2 high, 3 urgent.",
    ),
    "lang": ({"type": "string", "maxLength": 8}, "A language code (en, es, ...)."),
    "pii": ({"type": "boolean"}, "true: only conversations with personal data."),
    "active_from": ({"type": "string", "format": "date"}, "Last activity on or after this day."),
    "active_to": ({"type": "string", "format": "date"}, "Last activity on or before this day."),
}


# Filters naming an object by id: an id nobody has matches no conversation (an empty page).
ID_FILTERS = ("account", "tag", "assignee")


def filter_parameters() -> list[OpenApiParameter]:
    assert set(FILTERS) == set(forms.ListFilterForm.base_fields), "document every filter of the inbox"
    return [
        OpenApiParameter(name, schema, OpenApiParameter.QUERY, required=False, description=text)
        for name, (schema, text) in FILTERS.items()
    ]


def list_query(request) -> selectors.ListQuery | None:
    """The inbox's filters from the query string, through the inbox's own form; None: nothing can match."""
    params = request.query_params
    for name in ("account", "tag"):
        value = params.get(name, "")
        if value and not (value.isdigit() and 0 < int(value) < 2**63):
            raise ValidationError({name: ["An id: a whole number from 1."]})
    form = forms.ListFilterForm(params, workers=list(selectors.inbox_workers()))
    if form.is_valid():
        return form.list_query()
    unknown_ids = {name for name in form.errors if name in ID_FILTERS and params.get(name, "").isdigit()}
    other = {name: errors for name, errors in form.errors.items() if name not in unknown_ids}
    if other:
        raise ValidationError(other)
    return None
