"""API versions do not expire silently: current defaults, warnings 60 days ahead on the accounts
page and /healthz, and the sandbox refusing a version the network no longer speaks."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from bankbuzz import network_versions as nv
from devtools.sandbox import world
from listening.connectors.base import AccountInfo, ConnectorError, connector_for


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


@pytest.mark.parametrize(
    ("api", "default", "table"),
    [
        ("graph", nv.DEFAULT_GRAPH_VERSION, nv.GRAPH_END_OF_LIFE),
        ("linkedin", nv.DEFAULT_LINKEDIN_VERSION, nv.LINKEDIN_END_OF_LIFE),
    ],
)
def test_no_default_version_is_past_its_end_of_life(api, default, table):
    """Fails on the day a default stops working: move the default (and the table) on."""
    assert default in table, f"{default} has no published end of life in the table"
    assert table[default] > today(), f"{api} {default} reached its end of life on {table[default]}"
    assert not nv.version_status(api, default).expired


def test_settings_default_to_the_tables_defaults(settings):
    from bankbuzz import settings as module

    assert module.GRAPH_API_VERSION == nv.DEFAULT_GRAPH_VERSION
    assert module.LINKEDIN_API_VERSION == nv.DEFAULT_LINKEDIN_VERSION


def test_a_version_warns_sixty_days_before_its_end_of_life_and_says_when_it_expired():
    end = nv.GRAPH_END_OF_LIFE["v21.0"]
    assert nv.version_status("graph", "v21.0", today=end - dt.timedelta(days=61)).warning == ""
    soon = nv.version_status("graph", "v21.0", today=end - dt.timedelta(days=60))
    assert soon.warning == "Graph API v21.0 stops working on 21 Jan 2027: upgrade the version setting"
    gone = nv.version_status("graph", "v21.0", today=end)
    assert gone.expired and gone.warning.startswith("expired: Graph API v21.0 stopped working")
    assert nv.version_status("linkedin", "202510", today=dt.date(2026, 10, 16)).expired


def test_healthz_and_the_accounts_page_warn_about_a_version_near_its_end(client, db, settings, lead):
    end = nv.GRAPH_END_OF_LIFE["v21.0"]
    settings.GRAPH_API_VERSION = "v21.0" if end - today() <= nv.WARN_BEFORE else "v19.0"
    expected = nv.version_status("graph", settings.GRAPH_API_VERSION).warning
    assert expected
    body = json.loads(client.get("/healthz").content)
    assert body["warnings"] == [expected]

    from listening.services import social_account_create

    social_account_create(
        actor=None,
        network="instagram",
        external_id=world.BANK_INSTAGRAM["user_id"],
        handle="northbridgebank",
        name="Northbridge",
        credentials=world.DEMO_CREDENTIALS["instagram"],
    )
    client.force_login(lead)
    html = client.get("/listening/accounts/").content.decode()
    assert f"{expected}." in html  # the banner
    assert f"Graph API {settings.GRAPH_API_VERSION}" in html  # the account's row


def make(network: str, external_id: str):
    return connector_for(
        AccountInfo(
            network=network,
            external_id=external_id,
            handle="bank",
            credentials=world.DEMO_CREDENTIALS[network],
        )
    )


def test_the_sandbox_refuses_graph_versions_it_no_longer_speaks(sandbox, settings):
    settings.GRAPH_API_VERSION = "v20.0"
    for network, external_id in (
        ("facebook", world.BANK_FACEBOOK_PAGE["page_id"]),
        ("instagram", world.BANK_INSTAGRAM["user_id"]),
    ):
        with pytest.raises(ConnectorError) as caught:
            make(network, external_id).fetch({})
        assert caught.value.permanent and "2635" in caught.value.message


def test_the_sandbox_refuses_a_retired_linkedin_version_with_426(sandbox, settings):
    settings.LINKEDIN_API_VERSION = "202510"
    with pytest.raises(ConnectorError) as caught:
        make("linkedin", world.BANK_LINKEDIN_ORG["urn"]).fetch({})
    assert caught.value.permanent and "426" in caught.value.message
    assert "202510 is not active" in caught.value.message


def test_the_default_versions_are_spoken_by_the_sandbox():
    assert nv.DEFAULT_GRAPH_VERSION in world.GRAPH_VERSIONS
    assert nv.DEFAULT_LINKEDIN_VERSION in world.LINKEDIN_VERSIONS
