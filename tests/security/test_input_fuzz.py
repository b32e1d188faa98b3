"""No input gives a 500: every page's query parameters, for every role, with hostile values.

The parameters of a page are the ones it offers (the fields of its GET forms and the query
strings of its own links) plus those its views read that no form shows (`EXTRA`). Each gets each
value of `HOSTILE`; the answer may be a page, a redirect, a 400 or a page with a field error,
never a 5xx. A 400 names the parameter it refused.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from django.contrib import admin
from django.db import transaction
from django.urls import reverse

from tests.security.test_url_permissions import TABLE, _url
from tests.security.world import PERSONAS, build_world

pytestmark = pytest.mark.django_db

HOSTILE = (
    "9999-12-31",
    "2026-02-30",
    "99999999999999999999999",
    "8",
    "-1",
    "1e309",
    "NaN",
    "a\x00b",
    "٣",
    "",
)

# Every role gets these on every parameter; the first role allowed on a page gets all of HOSTILE.
# The values that broke pages before: the end of the calendar, a number past bigint, a NUL.
EVERY_ROLE = ("9999-12-31", "99999999999999999999999", "a\x00b")

# Parameters views read that no form on the page shows (links built by scripts, polls, paging).
EXTRA = {
    "inbox:list": ("cursor", "since", "rows", "selected", "before", "view", "date_from", "date_to"),
    "inbox:poll": ("cursor", "since", "rows", "selected", "view", "active_from", "active_to"),
    "inbox:detail": ("before", "cursor"),
    "inbox:live": ("since", "version"),
    "listening:index": ("range",),
    "listening:query": ("range", "before"),
    "listening:alerts": ("before", "cursor"),
    "escalations:queue": ("cursor", "department", "state", "due"),
    "dashboards:index": ("period", "date_from", "date_to", "network", "account", "department", "agent"),
    "dashboards:rows": (
        "metric",
        "cursor",
        "day",
        "week",
        "weekday",
        "hour",
        "date_from",
        "date_to",
        "network",
        "department",
        "priority",
        "agent",
        "sentiment",
        "bucket",
    ),
    "dashboards:rows_export": ("metric", "weekday", "hour", "day", "date_from", "date_to"),
    "dashboards:export": ("period", "date_from", "date_to", "network", "agent"),
    "audit:log": ("actor", "verb", "object", "days", "cursor", "date_from", "date_to"),
    "audit:export": ("start", "end", "format"),
    "audit:hold_new": ("target", "ref"),
    "api:conversation-list": (
        "view",
        "status",
        "assignee",
        "tag",
        "priority",
        "cursor",
        "limit",
        "active_from",
    ),
    "api:mention-list": ("network", "since", "until", "cursor", "limit", "account", "kind", "direction"),
    "api:escalation-list": ("department", "state", "cursor", "limit", "due"),
    "api:audit-export-list": ("start", "end", "format"),
    "api:dashboard-list": ("period", "date_from", "date_to", "network", "department", "agent", "weekday"),
    "api:conversation-detail": ("before",),
}

SKIP = {
    "accounts:logout",  # ends the session the rest of the walk needs
    "healthz",  # takes no parameters and asks the workers (slow)
    "api:schema",
    "api:docs",
}


class _Params(HTMLParser):
    """Names of the fields of GET forms, and the query keys of links."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()
        self._get_form = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._get_form = (attrs.get("method") or "get").lower() == "get"
        elif tag in ("input", "select", "textarea") and self._get_form and attrs.get("name"):
            if attrs.get("type") not in ("submit", "button"):
                self.names.add(attrs["name"])
        elif tag == "a" and attrs.get("href", "").startswith("?"):
            self.names.update(key for key, _ in parse_qsl(attrs["href"][1:], keep_blank_values=True))

    def handle_endtag(self, tag):
        if tag == "form":
            self._get_form = False


def _offered(html: str) -> set[str]:
    parser = _Params()
    parser.feed(html)
    return {name for name in parser.names if name != "csrfmiddlewaretoken"}


def _with(url: str, key: str, value: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != key]
    return f"{parts.path}?{urlencode([*query, (key, value)])}"


def _check(
    client, url: str, key: str, value: str, problems: list[str], who: str, *, named: bool = True
) -> None:
    with transaction.atomic():
        try:
            response = client.get(_with(url, key, value))
        except Exception as exc:  # the test client re-raises what the view raised: a 500
            problems.append(f"{who} {key}={value!r}: {type(exc).__name__}: {exc}"[:300])
            transaction.set_rollback(True)
            return
        transaction.set_rollback(True)
    if response.status_code >= 500:
        problems.append(f"{who} {key}={value!r}: {response.status_code}")
    elif named and response.status_code == 400 and key not in response.content.decode(errors="replace"):
        problems.append(f"{who} {key}={value!r}: 400 without naming the parameter")


def _walk(name: str, url: str, personas, world) -> list[str]:
    problems: list[str] = []
    thorough = True
    for persona in personas:
        client = world.client_for(persona)
        base = client.get(url)
        if base.status_code in (401, 403, 404, 405) or (base.status_code >= 300 and base.status_code < 400):
            continue
        assert base.status_code < 500, f"{persona} {url}: {base.status_code}"
        html = base.content.decode(errors="replace") if "html" in base.get("Content-Type", "") else ""
        keys = sorted(_offered(html) | set(EXTRA.get(name, ())))
        for key in keys:
            for value in HOSTILE if thorough else EVERY_ROLE:
                _check(client, url, key, value, problems, f"{persona} {url}")
        thorough = False
    return problems


PAGES = sorted(name for name in TABLE if name not in SKIP)


@pytest.mark.parametrize("name", PAGES)
def test_no_query_parameter_value_gives_a_server_error(name, settings):
    settings.NETWORK_HTTP_TIMEOUT = 1
    row = TABLE[name]
    settings.DEBUG = row.debug
    world = build_world()
    url = _url(world, name)
    personas = [p for p in PERSONAS if p in row.allowed]
    problems = _walk(name, url, personas, world)
    assert not problems, "\n".join(problems)


def _admin_changelists() -> list[str]:
    return sorted(f"admin:{m._meta.app_label}_{m._meta.model_name}_changelist" for m in admin.site._registry)


ADMIN_KEYS = ("q", "o", "p", "e", "all", "_to_field")


@pytest.mark.parametrize("name", _admin_changelists())
def test_no_admin_filter_value_gives_a_server_error(name):
    world = build_world()
    client = world.client_for("admin")
    url = reverse(name)
    html = client.get(url).content.decode()
    # The filters' own links name their lookups (network__exact, created_at__year, ...).
    keys = {
        key
        for href in re.findall(r'href="(\?[^"]*)"', html)
        for key, _ in parse_qsl(href[1:].replace("&amp;", "&"), keep_blank_values=True)
    } | set(ADMIN_KEYS)
    problems: list[str] = []
    for key in sorted(keys):
        for value in HOSTILE:
            # The admin's own refusals (a `_to_field` it does not allow) are Django's plain 400.
            _check(client, url, key, value, problems, f"admin {url}", named=key != "_to_field")
    assert not problems, "\n".join(problems)
