"""What a timed request must have got: 200, no redirect, and a marker of the page it names.

A benchmark that times a login redirect, the second-factor page or an error page reports a
figure for a page it never served. Every request the bench times (bench.pages, bench.quick,
bench.remeasure, bench.explain, the web part of bench.procs, and the load drill in
tests/faults) goes through `check`; a miss raises `PageCheckFailed` with the URL, the status and
the first line of the body, and the run stops there instead of reporting a figure.
docs/benchmarks.md lists the marker of each page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass


class BenchStopped(RuntimeError):
    """The run cannot measure what it names; the message says why, and no figure is reported."""


class PageCheckFailed(BenchStopped):
    """A timed request did not get the page it names; the message says what it got instead."""


def stopped(main: Callable[[], int]) -> int:
    """Run a bench entry point; a BenchStopped ends it with its message and exit status 1."""
    try:
        return main()
    except BenchStopped as exc:
        raise SystemExit(f"[bench] stopped, no figures reported: {exc}") from exc


@dataclass(frozen=True)
class Marker:
    key: str  # recorded with each response the bench counts
    # What the body must hold, in words: the failure message and docs/benchmarks.md quote it.
    says: str
    found: Callable[[str], bool]


ROW = re.compile(r'<li class="row status-')
THREAD_ITEM = re.compile(r'<li class="(?:message message-|note"|event event-|outbox outbox-)')
PANE = re.compile(r'<article class="conversation"[^>]*data-conversation-id="\d+"')
LIST_LOADING = re.compile(r'<div id="list-region"[^>]*>\s*<div id="list-loading"[^>]*\shx-get="/inbox/[^"]*"')
THREAD_PAGE = 50  # inbox.selectors.THREAD_PAGE: the pane shows the latest 50 items of a thread


def _list(body: str) -> bool:
    return '<ol class="rows" id="rows"' in body and ROW.search(body) is not None


def _pane(body: str) -> bool:
    return PANE.search(body) is not None and '<ol class="thread"' in body


def _list_loading(body: str) -> bool:
    return LIST_LOADING.search(body) is not None and ROW.search(body) is None


def _long_thread(body: str) -> bool:
    return _pane(body) and 'id="thread-earlier"' in body and len(THREAD_ITEM.findall(body)) == THREAD_PAGE


LIST = Marker(
    "rows",
    'the list of conversations (`<ol class="rows">`) with at least one row (`<li class="row …">`)',
    _list,
)
PANE_ANY = Marker(
    "pane",
    'the conversation pane (`<article class="conversation" data-conversation-id=…>`) with its thread',
    _pane,
)
LONG_THREAD = Marker(
    "thread-50-of-500",
    "the conversation pane of the 500-message thread: its latest 50 items (messages, notes, "
    'events, outbox replies) and the "Earlier messages" link (`id="thread-earlier"`)',
    _long_thread,
)
DASHBOARD = Marker(
    "headline-figures",
    'the headline figures (`aria-label="Headline figures"`) with at least one value',
    lambda body: 'aria-label="Headline figures"' in body and 'class="dash-figure-value"' in body,
)

MARKERS: dict[str, Marker] = {
    "list": LIST,
    "search": LIST,
    "search_all": LIST,
    "inbox_poll": Marker(
        "poll-new",
        "the poll's out-of-band parts: the saved views' counts (`id=\"view-list\"`) and a "
        '"new · show" banner (`class="new-banner"`) for the conversations since the `since` time',
        lambda body: 'id="view-list"' in body and 'class="new-banner"' in body,
    ),
    "poll": Marker(
        "poll",
        "the poll's out-of-band parts: the saved views' counts (`id=\"view-list\"`) and the banner slot",
        lambda body: 'id="view-list"' in body and 'id="new-banner"' in body,
    ),
    "conversation": LONG_THREAD,
    # A direct link: the page and the conversation; the list's rows come in a request of their own.
    "conversation_full": Marker(
        "thread-50-of-500+list-loading",
        LONG_THREAD.says + ', beside the list region\'s placeholder (`id="list-loading"`, whose '
        "`hx-get` names the list) and no row yet",
        lambda body: _long_thread(body) and _list_loading(body),
    ),
    # What the pane asks for once it is shown: the lower part of the customer card, a fragment.
    "conversation_side": Marker(
        "card-side",
        "the customer card's lower part (`<div id=\"pane-side\"`) with the experts' panel "
        '(`id="escalation-panel"`) and the customer\'s other conversations, not a whole page',
        lambda body: (
            '<div id="pane-side"' in body
            and 'id="escalation-panel"' in body
            and "Other conversations" in body
            and "<html" not in body
        ),
    ),
    "detail": PANE_ANY,
    "claim": PANE_ANY,
    "dashboard": DASHBOARD,
    "dashboard_90d": DASHBOARD,
    "specialist_queue": Marker(
        "escalation-rows",
        'the escalation queue (`<table class="table esc-queue …">`) with at least one row '
        '(`<tr class="esc-row …">`)',
        lambda body: '<table class="table esc-queue' in body and '<tr class="esc-row ' in body,
    ),
    "complaints_queue": Marker(
        "complaint-rows",
        'the complaints queue (`<table class="table complaint-queue …">`) with at least one complaint '
        '(`<tr data-complaint="…">`)',
        lambda body: '<table class="table complaint-queue' in body and '<tr data-complaint="' in body,
    ),
}


def marker_for(name: str) -> Marker:
    """Every saved view of the inbox (`inbox_<view>`, `inbox_filter…`) is the list."""
    if name in MARKERS:
        return MARKERS[name]
    if name.startswith("inbox_"):
        return LIST
    raise KeyError(f"no marker for the page {name!r}: add one to bench/checks.py and docs/benchmarks.md")


def first_line(body: str) -> str:
    for line in body.splitlines():
        if line.strip():
            return line.strip()[:200]
    return "(empty body)"


def check(
    name: str, url: str, *, status: int, body: str, location: str = "", allowed: tuple[int, ...] = (200,)
) -> Marker:
    """Raise PageCheckFailed unless the response is the page `name`; returns the marker found."""
    marker = marker_for(name)
    if status in allowed and marker.found(body):
        return marker
    if status not in allowed:
        where = f" to {location}" if location else ""
        got = f"answered {status}{where}, not {' or '.join(map(str, allowed))}"
    else:
        got = f"answered {status} without its marker"
    raise PageCheckFailed(
        f"{name}: GET {url} {got}; the page holds {marker.says}. First line of the body: {first_line(body)}"
    )


def check_django(name: str, url: str, response, allowed: tuple[int, ...] = (200,)) -> Marker:
    """`check` for a response of Django's test Client (which follows no redirect unless told to)."""
    if getattr(response, "redirect_chain", None):
        raise PageCheckFailed(f"{name}: GET {url} followed redirects {response.redirect_chain}")
    return check(
        name,
        url,
        status=response.status_code,
        body=response.content.decode(errors="replace"),
        location=response.get("Location") or response.get("HX-Redirect") or "",
        allowed=allowed,
    )


def check_requests(name: str, response, allowed: tuple[int, ...] = (200,)) -> Marker:
    """`check` for a `requests` response, which must have been made with allow_redirects=False."""
    if response.history:
        hops = " -> ".join(f"{r.status_code} {r.url}" for r in response.history)
        raise PageCheckFailed(f"{name}: GET {response.url} followed redirects {hops}")
    headers = response.headers
    return check(
        name,
        response.request.url if response.request is not None else response.url,
        status=response.status_code,
        body=response.text,
        location=headers.get("Location") or headers.get("HX-Redirect") or "",
        allowed=allowed,
    )
