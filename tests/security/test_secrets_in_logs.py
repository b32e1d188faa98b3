"""No network token ever reaches a log line, the audit log or the database in clear.

A poll runs against the sandbox with a token nobody else uses, on the happy path and through
each fault the sandbox can stage (expired token, 5xx, malformed bodies, rate limits), with every
logger at DEBUG except those the settings deliberately quieten (urllib3 logs full URLs, and the
Graph API puts the token in the query string). Then the captured records, stdout and stderr
are searched for the token.
"""

from __future__ import annotations

import logging

import pytest
from django.db import connection

from bankbuzz.audit.models import AuditEvent
from devtools.sandbox import world
from listening.services import TransientPollError, account_poll, social_account_create

TOKEN = "tok-S3CR3T-0f9e8d7c6b5a-never-log-me"
CREDENTIALS = {
    "x": {"bearer_token": TOKEN, "oauth2_user_token": TOKEN},
    "facebook": {"page_access_token": TOKEN},
    "linkedin": {"access_token": TOKEN},
}
IDENTITIES = {
    "x": (world.BANK_X["user_id"], world.BANK_X["handle"]),
    "facebook": (world.BANK_FACEBOOK_PAGE["page_id"], world.BANK_FACEBOOK_PAGE["username"]),
    "linkedin": (world.BANK_LINKEDIN_ORG["urn"], world.BANK_LINKEDIN_ORG["vanity_name"]),
}
SANDBOX_LOGGERS = ("devtools.sandbox",)
SCENARIOS = [None, "expired_token", "server_errors", "malformed", "rate_limit_storm"]


@pytest.mark.parametrize("network", sorted(CREDENTIALS))
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_a_poll_never_logs_its_token(
    db, sandbox, network, scenario, caplog, capfd, django_capture_on_commit_callbacks
):
    external_id, handle = IDENTITIES[network]
    account = social_account_create(
        actor=None, network=network, external_id=external_id, handle=handle, credentials=CREDENTIALS[network]
    )
    sandbox.generate(3, network=network)
    if scenario:
        sandbox.scenario(scenario, network=network)
    caplog.set_level(logging.DEBUG)
    raised = ""
    with django_capture_on_commit_callbacks(execute=True):
        try:
            account_poll(account_id=account.pk)
        except TransientPollError as exc:  # the task retries these; the message may be logged there
            raised = f"{exc} {exc.__cause__!r}"
    assert TOKEN not in raised
    account.refresh_from_db()
    # The sandbox is the networks' stand-in: its access log is the network's, not ours.
    ours = [r for r in caplog.records if not r.name.startswith(SANDBOX_LOGGERS)]
    logged = "\n".join(f"{r.getMessage()} {r.exc_text or ''} {r.args!r}" for r in ours)
    out, err = capfd.readouterr()
    assert caplog.records, "the poll logged nothing at all: the search below would prove nothing"
    assert TOKEN not in logged
    assert TOKEN not in out + err
    assert TOKEN not in (account.last_error or "")
    for event in AuditEvent.objects.all():
        assert TOKEN not in f"{event.before} {event.after} {event.object_repr}"


def test_the_token_is_encrypted_at_rest(db):
    account = social_account_create(
        actor=None, network="x", external_id="1", handle="bank", credentials=CREDENTIALS["x"]
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM listening_socialaccount WHERE id = %s", [account.pk])
        row = cursor.fetchone()
    assert TOKEN not in repr(row)
    assert TOKEN.encode() not in b"".join(v if isinstance(v, bytes | memoryview) else b"" for v in row)
