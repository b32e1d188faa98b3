"""What every page shares: branded error pages, the main navigation per role, the start page
per role, the admin's names, one time format and dates inputs can show."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import formats, timezone

from bankbuzz.accounts import roles
from tests.conftest import make_person


def nav_links(html: str) -> set[str]:
    nav = re.search(r'<nav class="mainnav"[^>]*>(.*?)</nav>', html, re.S).group(1)
    return set(re.findall(r">([^<>]+)</a>", nav))


def test_a_forbidden_page_is_branded_and_in_the_apps_layout(client, agent):
    client.force_login(agent)
    response = client.get(reverse("audit:log"))
    assert response.status_code == 403
    html = response.content.decode()
    assert 'data-error-page="403"' in html
    assert "You cannot open this page" in html
    assert "<title>You cannot open this page · BankBuzz</title>" in html
    assert 'class="topbar"' in html and "Inbox" in nav_links(html)  # the app around it, not a bare page
    assert "403 Forbidden" not in html


def test_a_missing_page_is_branded(client, agent):
    client.force_login(agent)
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert 'data-error-page="404"' in html and "This page does not exist" in html
    assert 'class="topbar"' in html


@pytest.mark.django_db
def test_a_missing_page_for_someone_logged_out_is_branded_too(client):
    response = client.get("/accounts/no-such-page/")
    assert response.status_code in (302, 404)
    if response.status_code == 404:
        assert "This page does not exist" in response.content.decode()


def test_the_server_error_page_is_branded(client, agent):
    from django.template.loader import render_to_string

    html = render_to_string("500.html")  # as Django's handler renders it: no request, no context
    assert 'data-error-page="500"' in html and "Something went wrong on our side" in html
    assert "BankBuzz" in html


@pytest.mark.parametrize(
    ("role", "wanted", "not_wanted"),
    [
        (roles.AGENT, {"Inbox", "Library", "Dashboards", "Listening"}, {"Escalations", "Audit log"}),
        (roles.LEAD, {"Inbox", "Escalations", "Dashboards", "Accounts"}, {"Audit log"}),
        (roles.MANAGER, {"Inbox", "Escalations", "Dashboards"}, {"Audit log", "Accounts"}),
        (roles.COMPLIANCE, {"Inbox", "Escalations", "Dashboards", "Audit log"}, {"Accounts"}),
        (roles.ADMIN, {"Inbox", "Escalations", "Dashboards", "Audit log", "Accounts"}, set()),
        (roles.SPECIALIST, {"Escalations", "Library"}, {"Inbox", "Audit log"}),
    ],
)
def test_the_main_navigation_links_what_each_role_may_open(client, db, role, wanted, not_wanted):
    person = make_person(f"nav-{role}", role)
    client.force_login(person)
    html = client.get(reverse("accounts:profile")).content.decode()
    links = nav_links(html)
    assert wanted <= links, links
    assert not (not_wanted & links), links
    # Every link the navigation offers opens (no 403 behind a link).
    for name, url in (("Escalations", "escalations:queue"), ("Dashboards", "dashboards:index")):
        if name in links:
            assert client.get(reverse(url)).status_code == 200, name


@pytest.mark.parametrize(
    ("role", "start"),
    [
        (roles.MANAGER, "dashboards:index"),
        (roles.AGENT, "inbox:list"),
        (roles.LEAD, "inbox:list"),
        (roles.COMPLIANCE, "inbox:list"),
        (roles.SPECIALIST, "escalations:queue"),
    ],
)
def test_after_login_each_role_lands_on_its_start_page(client, db, role, start):
    person = make_person(f"start-{role}", role)
    client.force_login(person)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse(start)


def test_the_admin_names_its_lists_in_plain_english(client, administrator):
    client.force_login(administrator)
    html = client.get(reverse("admin:index")).content.decode()
    for name in ("Kudos", "Replies", "Saved replies", "Webhook deliveries", "Listening queries"):
        assert f">{name}<" in html, name
    for wrong in ("Kudoss", "Replys", "Saved replys", "Webhook deliverys", "Listening querys"):
        assert wrong not in html


def test_working_days_read_as_day_names(client, lead):
    from escalations.models import Department

    Department.objects.create(name="Cards", work_days=[0, 1, 2, 3, 4])
    Department.objects.create(name="Fraud", work_days=[0, 1, 2, 3, 4, 5, 6])
    Department.objects.create(name="Mortgages", work_days=[0, 2, 4])
    client.force_login(lead)
    html = client.get(reverse("escalations:departments")).content.decode()
    assert "Mon\N{EN DASH}Fri" in html and "every day" in html and "Mon, Wed, Fri" in html
    assert "0 = Mon" not in html


def test_the_legal_hold_help_names_a_real_address(client, compliance):
    from tests.factories import ConversationFactory

    conversation = ConversationFactory()
    client.force_login(compliance)
    html = client.get(reverse("audit:hold_new")).content.decode()
    example = re.search(r"as in its address \(&quot;(/[^&]+)&quot; is (\d+)\)", html)
    assert example, "the help text shows an example address"
    path, number = example.groups()
    assert path == reverse("inbox:detail", args=[int(number)])
    client.force_login(compliance)
    assert client.get(reverse("inbox:detail", args=[conversation.pk])).status_code == 200


@override_settings(LANGUAGE_CODE="en-gb")
def test_one_24_hour_time_format_everywhere(db):
    moment = timezone.make_aware(dt.datetime(2026, 11, 29, 5, 37))
    assert formats.time_format(moment.time()) == "05:37"
    assert formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT") == "29 Nov 2026, 05:37"
    assert formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT") == "29/11/2026 05:37"
    assert "a.m." not in formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def test_the_hashtags_table_keeps_its_own_height():
    """Beside the taller terms table, the short hashtags table's rows would stretch to fill it."""
    from pathlib import Path

    css = (Path(__file__).resolve().parents[2] / "static" / "css" / "pages.css").read_text()
    rule = re.search(r"\.listen-columns \{([^}]*)\}", css).group(1)
    assert "align-items: start" in rule
