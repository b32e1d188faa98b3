"""Moderation on the networks through the sandbox: hide and show again a customer's comment
(Facebook, Instagram), hide a reply on X, delete the bank's own reply. Each is its own
permission (leads by default), done on the network first, audited, and shown in the thread."""

from __future__ import annotations

import pytest
import requests

from bankbuzz.accounts import roles
from bankbuzz.audit.models import AuditEvent
from devtools.sandbox import world
from inbox import moderation
from inbox import reply_services as rs
from listening.models import Mention
from listening.services import account_poll, social_account_create
from tests.inbox.replying import sandbox_conversation

pytestmark = pytest.mark.django_db


def connect(network: str):
    ids = {
        "facebook": (world.BANK_FACEBOOK_PAGE["page_id"], "northbridgebank"),
        "instagram": (world.BANK_INSTAGRAM["user_id"], "northbridgebank"),
        "x": (world.BANK_X["user_id"], world.BANK_X["handle"]),
    }[network]
    return social_account_create(
        actor=None,
        network=network,
        external_id=ids[0],
        handle=ids[1],
        name="Northbridge",
        credentials=world.DEMO_CREDENTIALS[network],
    )


def state(sandbox_server, network: str) -> dict:
    return sandbox_server.app.store.snapshot()[network]


def pane(client, conversation) -> str:
    return client.get(f"/inbox/c/{conversation.pk}/", headers={"HX-Request": "true"}).content.decode()


def post(client, conversation, mention, action: str):
    path = {"hide": "hide", "unhide": "unhide", "delete": "delete"}[action]
    return client.post(
        f"/inbox/c/{conversation.pk}/messages/{mention.pk}/{path}/", headers={"HX-Request": "true"}
    )


@pytest.mark.parametrize("network", ["facebook", "instagram"])
def test_a_lead_hides_and_shows_again_a_comment_on_the_network_and_in_the_thread(
    sandbox, sandbox_server, network, lead, client, django_capture_on_commit_callbacks
):
    account = connect(network)
    conversation = sandbox_conversation(
        sandbox, account, django_capture_on_commit_callbacks, network=network, text="Scam link here"
    )
    mention = Mention.objects.get(network=network, thread_key=conversation.thread_key, direction="in")
    table, flag = ("comments", "is_hidden") if network == "facebook" else ("comments", "hidden")
    label = "Facebook" if network == "facebook" else "Instagram"
    client.force_login(lead)
    assert f"Hide on {label}" in pane(client, conversation)

    assert post(client, conversation, mention, "hide").status_code == 200
    assert state(sandbox_server, network)[table][mention.external_id][flag] is True
    html = pane(client, conversation)
    assert f"Hidden on {label}" in html and f"Show again on {label}" in html
    assert f"hid {mention.author}" in html  # the event in the thread

    assert post(client, conversation, mention, "unhide").status_code == 200
    assert state(sandbox_server, network)[table][mention.external_id][flag] is False
    assert f"Hide on {label}" in pane(client, conversation)
    verbs = list(
        AuditEvent.objects.filter(verb__startswith="mention.").order_by("id").values_list("verb", flat=True)
    )
    assert verbs == ["mention.hide", "mention.unhide"]


def test_an_agent_may_not_hide_unless_the_setting_gives_agents_the_permission(
    sandbox, sandbox_server, agent, settings, django_capture_on_commit_callbacks
):
    account = connect("instagram")
    conversation = sandbox_conversation(
        sandbox, account, django_capture_on_commit_callbacks, network="instagram", text="Rude words"
    )
    mention = Mention.objects.get(network="instagram", thread_key=conversation.thread_key)
    with pytest.raises(moderation.ModerationError, match="a lead can"):
        moderation.mention_moderate(actor=agent, conversation=conversation, mention=mention, action="hide")
    assert state(sandbox_server, "instagram")["comments"][mention.external_id]["hidden"] is False
    assert not AuditEvent.objects.filter(verb="mention.hide").exists()

    settings.MODERATION_ROLES = {roles.HIDE_COMMENT: [roles.LEAD, roles.AGENT]}
    moderation.mention_moderate(actor=agent, conversation=conversation, mention=mention, action="hide")
    assert state(sandbox_server, "instagram")["comments"][mention.external_id]["hidden"] is True


@pytest.mark.parametrize("network", ["facebook", "instagram", "x"])
def test_a_lead_deletes_the_banks_own_reply_on_the_network_and_the_thread_keeps_it_marked(
    sandbox, sandbox_server, network, lead, agent, client, django_capture_on_commit_callbacks
):
    account = connect(network)
    text = "@northbridgebank card declined" if network == "x" else "Card declined"
    conversation = sandbox_conversation(
        sandbox, account, django_capture_on_commit_callbacks, network=network, text=text
    )
    reply = rs.reply_submit(
        actor=agent,
        conversation=conversation,
        text="Sorry, please DM us.",
        channel="public",
        seen_version=None,
    )
    assert rs.reply_send(reply_id=reply.pk) == "sent"
    ours = Mention.objects.get(network=network, external_id=sandbox.sent(network)[0]["id"])
    client.force_login(lead)
    assert "Delete on" in pane(client, conversation)

    assert post(client, conversation, ours, "delete").status_code == 200
    gone = {"facebook": "comments", "instagram": "comments", "x": "tweets"}[network]
    assert ours.external_id not in state(sandbox_server, network)[gone]
    html = pane(client, conversation)
    assert "Deleted on" in html, html[html.find("message-out") :][:1500]
    assert "deleted the bank" in html
    assert Mention.objects.filter(pk=ours.pk).exists()  # kept for the record
    assert AuditEvent.objects.filter(verb="mention.delete").count() == 1
    # Deleting is not reversible, and a second click changes nothing.
    with pytest.raises(moderation.ModerationError, match="deleted already"):
        moderation.mention_moderate(actor=lead, conversation=conversation, mention=ours, action="delete")


def test_a_customers_comment_cannot_be_deleted_nor_the_banks_hidden(
    sandbox, lead, django_capture_on_commit_callbacks
):
    account = connect("facebook")
    conversation = sandbox_conversation(
        sandbox, account, django_capture_on_commit_callbacks, network="facebook", text="Hello"
    )
    mention = Mention.objects.get(network="facebook", thread_key=conversation.thread_key)
    with pytest.raises(moderation.ModerationError, match="Only the bank's own public reply"):
        moderation.mention_moderate(actor=lead, conversation=conversation, mention=mention, action="delete")


def test_a_lead_hides_a_reply_to_the_banks_post_on_x(
    sandbox, sandbox_server, x_account, lead, django_capture_on_commit_callbacks
):
    bank_post = sandbox.post(
        network="x", kind="tweet", author="bank", text="Our branches open late on Thursdays"
    )
    conversation = sandbox_conversation(
        sandbox,
        x_account,
        django_capture_on_commit_callbacks,
        kind="reply",
        in_reply_to=bank_post["id"],
        text="@northbridgebank buy followers at spam.example",
    )
    mention = Mention.objects.get(network="x", thread_key=conversation.thread_key, direction="in")
    moderation.mention_moderate(actor=lead, conversation=conversation, mention=mention, action="hide")
    assert state(sandbox_server, "x")["tweets"][mention.external_id]["hidden"] is True
    moderation.mention_moderate(actor=lead, conversation=conversation, mention=mention, action="unhide")
    assert state(sandbox_server, "x")["tweets"][mention.external_id]["hidden"] is False


def test_x_refuses_to_hide_a_mention_outside_the_banks_conversations(
    sandbox, x_account, lead, django_capture_on_commit_callbacks
):
    other = sandbox.post(network="x", kind="tweet", text="Coffee time", customer=4)
    conversation = sandbox_conversation(
        sandbox,
        x_account,
        django_capture_on_commit_callbacks,
        kind="reply",
        in_reply_to=other["id"],
        text="@northbridgebank are you open today?",
    )
    mention = Mention.objects.get(network="x", thread_key=conversation.thread_key, direction="in")
    with pytest.raises(moderation.ModerationError, match="X did not do it"):
        moderation.mention_moderate(actor=lead, conversation=conversation, mention=mention, action="hide")
    assert not AuditEvent.objects.filter(verb="mention.hide").exists()


def test_linkedin_offers_no_moderation(lead, db):
    from inbox.models import Conversation

    assert moderation.abilities(lead, Conversation(network="linkedin")) == moderation.Abilities()


def test_the_sandbox_graph_refuses_to_delete_a_customers_comment_on_anothers_post(sandbox):
    visitor = sandbox.post(network="facebook", kind="visitor_post", text="Hello", customer=2)
    comment = sandbox.post(network="facebook", in_reply_to=visitor["id"], text="Hi", customer=3)
    answer = requests.delete(
        f"{sandbox.url}/graph/v25.0/{comment['id']}", params={"access_token": world.DEMO_TOKEN}, timeout=5
    )
    assert answer.status_code == 400 and answer.json()["error"]["code"] == 200


def test_moderation_runs_after_a_poll_too(sandbox, lead, django_capture_on_commit_callbacks):
    """The stored message keeps its moderation mark when the next poll reads the thread again."""
    account = connect("instagram")
    conversation = sandbox_conversation(
        sandbox, account, django_capture_on_commit_callbacks, network="instagram", text="Spam"
    )
    mention = Mention.objects.get(network="instagram", thread_key=conversation.thread_key)
    moderation.mention_moderate(actor=lead, conversation=conversation, mention=mention, action="hide")
    with django_capture_on_commit_callbacks(execute=True):
        account_poll(account_id=account.pk)
    from inbox.selectors import moderation_state

    assert moderation_state(conversation) == {mention.pk: "hidden"}
