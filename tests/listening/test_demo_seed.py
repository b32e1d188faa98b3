"""The demo organisation connects every network to the sandbox, so `make run` shows X mentions,
X direct messages, Facebook comments, Messenger messages, LinkedIn comments, and Instagram
comments and direct messages."""

import pytest
from django.core.management import call_command

from devtools.sandbox import world
from listening.models import Mention, SocialAccount
from listening.services import account_poll

pytestmark = pytest.mark.django_db


def test_demo_accounts_read_every_stream_of_the_sandbox(
    settings, sandbox, django_capture_on_commit_callbacks
):
    settings.DEBUG = True
    call_command("demo_seed", verbosity=0, stdout=open("/dev/null", "w"))  # noqa: SIM115
    accounts = {a.network: a for a in SocialAccount.objects.all()}
    assert set(accounts) == {"x", "facebook", "linkedin", "instagram"}
    assert accounts["x"].get_credentials()["oauth2_user_token"]  # direct messages need a user token

    posted = [
        sandbox.post(network="x", text="@northbridgebank card declined"),
        sandbox.post(network="x", kind="dm", text="Can you check my transfer?"),
        sandbox.post(network="facebook", kind="comment", text="Branch closed early"),
        sandbox.post(network="facebook", kind="message", text="Please call me"),
        sandbox.post(network="linkedin", text="Hiring in Leeds?"),
        sandbox.post(network="instagram", text="Love the new app"),
        sandbox.post(network="instagram", kind="message", text="My card has not arrived"),
    ]
    for account in accounts.values():
        with django_capture_on_commit_callbacks(execute=True):
            assert account_poll(account_id=account.pk).status == "ok"
    stored = set(Mention.objects.values_list("external_id", flat=True))
    assert {p["id"] for p in posted} <= stored


def test_an_older_demo_account_gets_the_keys_it_lacks(settings, db):
    settings.DEBUG = True
    account = SocialAccount.objects.create(
        network="x", external_id=world.BANK_X["user_id"], handle="northbridgebank"
    )
    account.set_credentials({"bearer_token": "kept-as-it-is"})
    account.save()
    call_command("demo_seed", verbosity=0, stdout=open("/dev/null", "w"))  # noqa: SIM115
    account.refresh_from_db()
    assert account.get_credentials() == {
        "bearer_token": "kept-as-it-is",
        "oauth2_user_token": world.DEMO_TOKEN,
    }
