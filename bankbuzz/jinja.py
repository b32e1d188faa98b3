"""The Jinja2 environment of the hot partials (templates/jinja2/): list rows, the thread, the
saved views' rail, the specialist queue's rows and the dashboard's tables.

These print 50-1,000 items a page; Django's engine spent about 0.35-0.65 ms an item on them
(docs/benchmarks.md), Jinja2's compiled templates a few tens of µs. Autoescape is on (Django's
backend sets it): every value is escaped unless it is Django- or Jinja-safe markup already.
Whole pages stay Django templates; a partial is rendered from Python (`render`) and included
as safe markup.

The environment knows only what every app may use: `url()`, `static()`, `localtimes()` and the
`capfirst`, `percent` and `truncatechars` filters. App-specific helpers are handed to a template
in its context by the app that renders it (the core imports no app).
"""

from __future__ import annotations

import unicodedata
from typing import NamedTuple

from django.template import engines
from django.templatetags.static import static
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from jinja2 import Environment

_URL_MARKER = 987654321
_URL_PARTS: dict[tuple[str, int], tuple[str, ...]] = {}


def url(name: str, *args) -> str:
    """`{% url name arg ... %}`. A URL of integer ids is reversed once per process and number
    of ids (the script prefix is the same for every request of a process), then filled in:
    `reverse` costs about 10 µs, and a page prints hundreds of links."""
    if not args or not all(type(arg) is int for arg in args):
        return reverse(name, args=args)
    key = (name, len(args))
    parts = _URL_PARTS.get(key)
    if parts is None:
        markers = [_URL_MARKER + index for index in range(len(args))]
        try:
            rest = reverse(name, args=markers)
        except NoReverseMatch:
            return reverse(name, args=args)
        pieces = []
        for marker in markers:
            head, found, rest = rest.partition(str(marker))
            if not found:
                return reverse(name, args=args)
            pieces.append(head)
        parts = _URL_PARTS[key] = (*pieces, rest)
    out = [parts[0]]
    for arg, piece in zip(args, parts[1:], strict=True):
        out.append(str(arg))
        out.append(piece)
    return "".join(out)


class LocalTimes(NamedTuple):
    """A moment in the bank's zone as the templates print it: `date:'c'`, `date:'j M Y, H:i:s'`
    and `date:'j M, H:i'` of Django's `date` filter."""

    iso: str
    long: str
    short: str


def localtimes(at) -> LocalTimes:
    local = timezone.localtime(at) if timezone.is_aware(at) else at
    month = str(MONTHS_3[local.month]).title()
    clock = f"{local.hour:02d}:{local.minute:02d}"
    return LocalTimes(
        iso=local.isoformat(),
        long=f"{local.day} {month} {local.year:04d}, {clock}:{local.second:02d}",
        short=f"{local.day} {month}, {clock}",
    )


def capfirst(value) -> str:
    text = str(value)
    return text[:1].upper() + text[1:]


def truncatechars(value, length: int) -> str:
    """Django's `truncatechars`; a text no longer than `length` is returned without the walk."""
    text = unicodedata.normalize("NFC", str(value))
    if len(text) <= length:
        return text
    return Truncator(text).chars(length)


def percent(value: float) -> str:
    """0.634 as "63%"."""
    return f"{value:.0%}"


def environment(**options) -> Environment:
    options.pop("autoescape", None)
    env = Environment(autoescape=True, **options)  # never off: every value printed is escaped
    env.globals.update(url=url, static=static, localtimes=localtimes)
    env.filters.update(capfirst=capfirst, percent=percent, truncatechars=truncatechars)
    return env


def render(template_name: str, context: dict, request=None) -> SafeString:
    """A partial of templates/jinja2/, as safe markup for a Django template (autoescaped by Jinja2).
    With `request`, the template has `csrf_input` and `csrf_token`, as Django's backend gives."""
    html = engines["jinja2"].get_template(template_name).render(context, request)
    return mark_safe(html)  # noqa: S308 - rendered with autoescape on
