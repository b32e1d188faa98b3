"""A conversation is one customer's: many people in one public thread never share one.

Through the sandbox with the real client libraries: customers reply under one tweet and
comment on one Facebook post and one LinkedIn post; each gets a conversation of their own,
and a reply in each reaches that customer's own tweet or comment on the network.
"""

from __future__ import annotations

import pytest

from inbox import reply_services as rs
from inbox import services
from inbox.models import Conversation
from listening.models import Mention
from listening.services import account_poll

pytestmark = pytest.mark.django_db


def poll(account, capture):
    with capture(execute=True):
        outcome = account_poll(account_id=account.pk)
    assert outcome.status == "ok", outcome


def conversation_of(network: str, external_id: str) -> Conversation:
    key = Mention.objects.values_list("thread_key", flat=True).get(network=network, external_id=external_id)
    return Conversation.objects.select_related("customer", "account").get(network=network, thread_key=key)


def reply_in(conversation: Conversation, agent, text: str) -> dict:
    """Send a public reply as an agent would; what the network received."""
    conversation.refresh_from_db()
    reply = rs.reply_submit(
        actor=agent, conversation=conversation, text=text, channel="public", seen_version=None
    )
    assert rs.reply_send(reply_id=reply.pk) == "sent"
    reply.refresh_from_db()
    return reply


def answered(sandbox, network: str) -> dict[str, list[str]]:
    """The sandbox's own record: which item each of the bank's replies answered."""
    sent: dict[str, list[str]] = {}
    for item in sandbox.sent(network):
        sent.setdefault(item["in_reply_to"], []).append(item["text"])
    return sent


def test_five_customers_under_one_tweet_are_five_conversations_each_answered_on_their_own_tweet(
    sandbox, x_account, agent, django_capture_on_commit_callbacks
):
    first = sandbox.post(network="x", kind="mention", text="My card was declined at the till", customer=0)
    tweets = {0: first["id"]}
    for n in range(1, 5):
        tweets[n] = sandbox.post(
            network="x",
            kind="reply",
            in_reply_to=first["id"],
            text=f"@northbridgebank Same for me, customer {n}",
            customer=n,
        )["id"]
    poll(x_account, django_capture_on_commit_callbacks)

    conversations = {n: conversation_of("x", tweet) for n, tweet in tweets.items()}
    assert len({c.pk for c in conversations.values()}) == 5
    assert len({c.customer_id for c in conversations.values()}) == 5
    for n, conversation in conversations.items():
        assert conversation.message_count == 1
        assert conversation.preview.endswith(f"customer {n}") or n == 0
        assert conversation.customer == Mention.objects.get(network="x", external_id=tweets[n]).author

    for n, conversation in conversations.items():
        reply_in(conversation, agent, f"Sorry, {n}! Please DM us.")
    sent = answered(sandbox, "x")
    assert sent == {tweets[n]: [f"Sorry, {n}! Please DM us."] for n in tweets}


def test_a_customer_writing_again_after_resolution_reopens_their_own_conversation(
    sandbox, x_account, agent, django_capture_on_commit_callbacks
):
    first = sandbox.post(network="x", kind="mention", text="Is the app down?", customer=0)
    other = sandbox.post(
        network="x", kind="reply", in_reply_to=first["id"], text="@northbridgebank Down here", customer=1
    )
    poll(x_account, django_capture_on_commit_callbacks)
    mine, theirs = conversation_of("x", first["id"]), conversation_of("x", other["id"])
    services.conversation_resolve(actor=agent, conversation=mine, seen_version=None)
    services.conversation_resolve(actor=agent, conversation=theirs, seen_version=None)

    again = sandbox.post(
        network="x",
        kind="reply",
        in_reply_to=other["id"],
        text="@northbridgebank Still down for me!",
        customer=1,
    )
    poll(x_account, django_capture_on_commit_callbacks)
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.status == Conversation.Status.RESOLVED
    assert theirs.status == Conversation.Status.OPEN and theirs.message_count == 2

    reply_in(theirs, agent, "We are on it, sorry.")
    assert answered(sandbox, "x") == {again["id"]: ["We are on it, sorry."]}


@pytest.mark.parametrize("network", ["facebook", "linkedin"])
def test_nine_commenters_on_one_post_are_nine_conversations_answered_under_their_own_comment(
    request, sandbox, agent, network, django_capture_on_commit_callbacks
):
    account = request.getfixturevalue(f"{network}_account")
    post = sandbox.post(
        network=network, kind="page_post" if network == "facebook" else "org_post", text="New"
    )
    comments = {
        n: sandbox.post(
            network=network, kind="comment", in_reply_to=post["id"], text=f"Question {n}", customer=n
        )["id"]
        for n in range(9)
    }
    # The first commenter answers someone else's comment: still their own conversation.
    follow_up = sandbox.post(
        network=network, kind="comment", in_reply_to=comments[1], text="And a follow-up", customer=0
    )
    poll(account, django_capture_on_commit_callbacks)

    conversations = {n: conversation_of(network, external_id) for n, external_id in comments.items()}
    assert len({c.pk for c in conversations.values()}) == 9
    assert conversation_of(network, follow_up["id"]).pk == conversations[0].pk
    assert conversations[0].message_count == 2
    assert not Conversation.objects.filter(customer__external_id=post["id"]).exists()

    for n, conversation in conversations.items():
        reply_in(conversation, agent, f"Thanks, {n}")
    sent = answered(sandbox, network)
    # Each reply answers its own customer's latest comment: the first customer's follow-up.
    expected = {comments[n]: [f"Thanks, {n}"] for n in range(1, 9)}
    expected[follow_up["id"]] = ["Thanks, 0"]
    assert sent == expected


def test_the_composer_names_whose_message_a_public_reply_answers(
    sandbox, x_account, django_capture_on_commit_callbacks
):
    first = sandbox.post(network="x", kind="mention", text="Card declined", customer=0)
    sandbox.post(network="x", kind="reply", in_reply_to=first["id"], text="@northbridgebank Same", customer=1)
    poll(x_account, django_capture_on_commit_callbacks)
    conversation = conversation_of("x", first["id"])
    route = rs.reply_routes(conversation=conversation)["public"]
    assert route.in_reply_to == first["id"]
    handle = conversation.customer.handle
    assert route.note.startswith(f"Replying to @{handle}'s post of ")


def test_the_pane_shows_the_others_in_the_thread_as_context_apart_from_the_conversation(
    sandbox, x_account, agent, client, django_capture_on_commit_callbacks
):
    first = sandbox.post(network="x", kind="mention", text="My card was declined", customer=0)
    for n in range(1, 4):
        sandbox.post(
            network="x",
            kind="reply",
            in_reply_to=first["id"],
            text=f"@northbridgebank me too {n}",
            customer=n,
        )
    sandbox.post(
        network="x", kind="reply", in_reply_to=first["id"], customer=3,
        text="@northbridgebank my card is 4111 1111 1111 1111",
    )  # fmt: skip
    poll(x_account, django_capture_on_commit_callbacks)
    conversation = conversation_of("x", first["id"])
    client.force_login(agent)
    html = client.get(f"/inbox/c/{conversation.pk}/", HTTP_HX_REQUEST="true").content.decode()
    context, _, thread = html.partition('<ol class="thread"')
    assert "3 other people have written in this thread" in context
    assert all(f"me too {n}" in context for n in range(1, 4))
    assert "4111 1111 1111 1111" not in html  # masked, as everywhere
    assert "My card was declined" in thread and "me too" not in thread
