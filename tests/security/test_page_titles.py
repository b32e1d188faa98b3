"""Every page's <title> is short plain text, for every role that opens it.

A title is read out by screen readers, kept in browser history and shown in tab lists: markup or a
form in it (the profile page once held the API tokens form, CSRF token included) leaks and breaks.
"""

from __future__ import annotations

import html
import re

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.security.test_url_permissions import TABLE, _url
from tests.security.world import PERSONAS, build_world

pytestmark = pytest.mark.django_db

TITLE = re.compile(r"<title>(.*?)</title>", re.S | re.I)


def _title_problems(who: str, response) -> list[str]:
    if "text/html" not in response.get("Content-Type", ""):
        return []
    page = response.content.decode(errors="replace")
    if "<html" not in page[:500].lower():
        return []  # a fragment htmx swaps into a page (a poll, a badge): the page has the title
    titles = TITLE.findall(page)
    if len(titles) != 1:
        return [f"{who}: {len(titles)} <title> elements"]
    raw = titles[0]
    text = html.unescape(raw).strip()
    problems = []
    if "<" in raw or "<" in text:
        problems.append(f"{who}: markup in the title: {raw[:120]!r}")
    if "csrf" in raw.lower():
        problems.append(f"{who}: a CSRF token in the title")
    if not text or len(text) >= 100:
        problems.append(f"{who}: title of {len(text)} characters: {text[:120]!r}")
    return problems


def test_every_page_title_is_short_plain_text_for_every_role(settings):
    settings.NETWORK_HTTP_TIMEOUT = 1
    world = build_world()
    problems: list[str] = []
    seen = 0
    for persona in PERSONAS:
        client = world.client_for(persona)
        for name, row in sorted(TABLE.items()):
            if row.debug or name in ("accounts:logout", "healthz") or persona not in row.allowed:
                continue
            response = client.get(_url(world, name))
            if response.status_code == 200 and "text/html" in response.get("Content-Type", ""):
                seen += 1
                problems += _title_problems(f"{persona} {name}", response)
    assert seen > 100, "the walk reached too few pages to mean anything"
    assert not problems, "\n".join(problems)


def test_the_profile_title_is_just_the_page_name(settings):
    world = build_world()
    page = world.client_for("agent").get(reverse("accounts:profile")).content.decode()
    assert TITLE.findall(page) == ["Your profile · BankBuzz"]
    assert "API tokens" in page  # the form is still on the page, in its body


def test_every_admin_page_title_is_short_plain_text():
    world = build_world()
    client = world.client_for("admin")
    problems: list[str] = []
    for model in admin.site._registry:
        changelist = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        problems += _title_problems(changelist, client.get(changelist))
        obj = model._default_manager.order_by("pk").first()
        if obj is not None:
            change = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[obj.pk])
            problems += _title_problems(change, client.get(change))
    assert not problems, "\n".join(problems)
