"""The bench stops instead of timing a redirect, a refusal or a page without what it names.

Real pages of the app: through Django's test Client (as bench.pages times them) and through a
live server with `requests` (as the memory drill, bench.procs, asks gunicorn).
"""

from __future__ import annotations

import pytest
import requests
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from bankbuzz.accounts import roles
from bench.checks import PageCheckFailed, check_django, check_requests, stopped
from bench.login import LoginFailed, enrol, log_in
from bench.pages import measure
from tests.conftest import make_person
from tests.factories import ConversationFactory

pytestmark = pytest.mark.django_db(transaction=True)

OPEN = "/inbox/?view=open"


@pytest.fixture
def bench_agent():
    """An agent enrolled as the bench's seed enrols its people: a password and an authenticator."""
    user = make_person("agent00", roles.AGENT)
    enrol(user)
    ConversationFactory(status="open", preview="My card was declined at the till")
    return user


def test_check_stops_on_the_redirect_to_the_second_factor(bench_agent):
    # Logged in with the password only: what the memory drill used to time.
    client = Client()
    client.force_login(bench_agent)
    response = client.get(OPEN)

    with pytest.raises(PageCheckFailed) as failed:
        check_django("inbox_open", OPEN, response)
    message = str(failed.value)
    assert f"GET {OPEN} answered 302 to /accounts/verify/" in message
    assert "not 200" in message and "First line of the body: (empty body)" in message


def test_check_stops_on_a_403(client):
    outsider = make_person("olly", None)
    client.force_login(outsider)  # both factors, but no role: the dashboard refuses
    response = client.get("/dashboards/")

    with pytest.raises(PageCheckFailed) as failed:
        check_django("dashboard", "/dashboards/", response)
    message = str(failed.value)
    assert "GET /dashboards/ answered 403, not 200" in message
    assert "First line of the body: <!doctype html>" in message


def test_check_stops_on_a_200_without_the_pages_marker(client, agent):
    client.force_login(agent)
    response = client.get("/inbox/?view=spam")  # no conversation at all: the list's empty state
    assert response.status_code == 200

    with pytest.raises(PageCheckFailed, match="answered 200 without its marker; the page holds the list"):
        check_django("inbox_spam", "/inbox/?view=spam", response)


def test_check_passes_the_page_it_names_after_a_login_with_both_factors(bench_agent):
    client = Client()
    log_in(client, "agent00")

    marker = check_django("inbox_open", OPEN, client.get(OPEN))
    assert marker.key == "rows"


def test_memory_drill_logs_in_with_both_factors_and_checks_each_page(live_server, bench_agent):
    session = requests.Session()
    log_in(session, "agent00", base=live_server.url)

    response = session.get(live_server.url + OPEN, allow_redirects=False, timeout=30)
    assert check_requests("inbox_open", response).key == "rows"
    assert "My card was declined" in response.text


def test_check_refuses_a_followed_redirect(live_server, bench_agent):
    # Not logged in: a client that follows redirects ends on the login page, with a 200.
    response = requests.get(live_server.url + OPEN, timeout=30)
    assert response.status_code == 200

    with pytest.raises(PageCheckFailed, match=r"followed redirects 302 .*/inbox/\?view=open"):
        check_requests("inbox_open", response)


def test_a_broken_second_factor_stops_the_memory_drill_login(live_server, bench_agent):
    TOTPDevice.objects.filter(user=bench_agent).update(confirmed=False)

    with pytest.raises(LoginFailed, match=r"agent00: .*sent them to enrol \(/accounts/two-factor/setup/\)"):
        log_in(requests.Session(), "agent00", base=live_server.url)


def test_a_broken_second_factor_stops_the_page_run_before_any_figure(bench_agent):
    TOTPDevice.objects.filter(user=bench_agent).delete()
    figures = []

    def run():
        figures.append(measure(agent=bench_agent, urls={"inbox_open": OPEN}, rounds=2, log=print))
        return 0

    with pytest.raises(SystemExit) as stopped_run:
        stopped(run)
    assert str(stopped_run.value.code).startswith("[bench] stopped, no figures reported: agent00:")
    assert "no confirmed authenticator" in str(stopped_run.value.code)
    assert figures == []


def test_a_bench_agent_without_the_bench_password_stops_with_the_login_pages_words(bench_agent):
    # A bench database seeded before its people had passwords.
    bench_agent.set_unusable_password()
    bench_agent.save()

    with pytest.raises(LoginFailed, match="answered 200, not 302 to /accounts/verify/: That username and"):
        log_in(Client(), "agent00")
