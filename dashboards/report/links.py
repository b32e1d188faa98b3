"""Where a dashboard number links to: the rows behind it."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode as url_encode

from django.urls import reverse
from django.utils.http import urlencode

from bankbuzz.accounts.models import User
from dashboards.forms import Filters


class Links:
    """URLs of the rows behind a number: the inbox or the queue where their filters say exactly
    the same, the dashboards' own list of rows otherwise (periods the inbox cannot filter by)."""

    def __init__(self, filters: Filters):
        self.filters = filters
        self.base = filters.params()
        # A page has about a thousand of these links: resolve the URL and encode the filters
        # once, not per link.
        self.rows_path = reverse("dashboards:rows") + "?"
        self._prefix = self.rows_path + urlencode(self.base)
        self._cache: dict[tuple, str] = {}  # a table links several cells to the same rows

    def rows(self, metric: str, **dims) -> str:
        key = (metric, *dims.items())
        url = self._cache.get(key)
        if url is None:
            url = self._cache[key] = self._rows(metric, dims)
        return url

    def _rows(self, metric: str, dims: dict) -> str:
        params = {"metric": metric}
        for key, value in dims.items():
            if key in ("network", "account", "agent", "department"):
                params[key] = str(value)
            elif value is not None:
                params[key] = value.isoformat() if isinstance(value, dt.date) else str(value)
        if self.base.keys() & params.keys():  # a dim that replaces a filter (the same order)
            return self.rows_path + urlencode({**self.base, **params})
        return self._prefix + "&" + url_encode(params)

    def inbox(self, **params) -> str:
        base = {"network": self.filters.network, "account": self.filters.account or ""}
        merged = {k: v for k, v in {**base, **params}.items() if v not in ("", None)}
        return reverse("inbox:list") + "?" + urlencode(merged)

    def queue(self, **params) -> str:
        return reverse("escalations:queue") + "?" + urlencode({k: v for k, v in params.items() if v})


def user_names(ids) -> dict[int, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return {u.pk: u.display_name for u in User.objects.filter(pk__in=ids)}
