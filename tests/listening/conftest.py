"""Connected Facebook, LinkedIn and Instagram accounts of the demo bank, pointed at the sandbox."""

from __future__ import annotations

import pytest

from listening.sandbox import world


@pytest.fixture
def facebook_account(db):
    from listening.services import social_account_create

    page = world.BANK_FACEBOOK_PAGE
    return social_account_create(
        actor=None,
        network="facebook",
        external_id=page["page_id"],
        handle=page["username"],
        name=page["name"],
        credentials=world.DEMO_CREDENTIALS["facebook"],
    )


@pytest.fixture
def linkedin_account(db):
    from listening.services import social_account_create

    org = world.BANK_LINKEDIN_ORG
    return social_account_create(
        actor=None,
        network="linkedin",
        external_id=org["urn"],
        handle=org["vanity_name"],
        name=org["name"],
        credentials=world.DEMO_CREDENTIALS["linkedin"],
    )


@pytest.fixture
def instagram_account(db):
    from listening.services import social_account_create

    account = world.BANK_INSTAGRAM
    return social_account_create(
        actor=None,
        network="instagram",
        external_id=account["user_id"],
        handle=account["username"],
        name=account["name"],
        credentials=world.DEMO_CREDENTIALS["instagram"],
    )
