"""A small, realistic inbox for page tests, browser tests and the screenshots in docs/."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict

from django.utils import timezone

from inbox.models import Conversation
from inbox.services import (
    conversation_assign,
    conversation_set_priority,
    conversation_set_status,
    conversation_tag_add,
    conversations_attach_mentions,
    note_add,
)
from tests.factories import AuthorFactory, MentionFactory, SocialAccountFactory


def pii_findings(text: str) -> list[dict]:
    from listening.enrichment.pii import find_pii

    return [asdict(finding) for finding in find_pii(text)]


def customer_message(
    *,
    text: str,
    thread: str,
    author=None,
    account=None,
    network: str = "x",
    minutes_ago: float = 5,
    sentiment: str = "",
    priority: str = "",
    kind: str = "mention",
    lang: str = "en",
    **author_fields,
):
    """Store one inbound mention and attach it, as ingest would; returns its conversation."""
    findings = pii_findings(text)
    author = author or AuthorFactory(network=network, **author_fields)
    mention = MentionFactory(
        network=network,
        account=account or SocialAccountFactory(network=network),
        author=author,
        text=text,
        thread_key=thread,
        kind=kind,
        created_at=timezone.now() - dt.timedelta(minutes=minutes_ago),
        url=f"https://x.com/{author.handle}/status/{thread}" if network == "x" else "",
        sentiment_label=sentiment,
        priority_hint=priority,
        lang=lang,
        has_pii=bool(findings),
        pii_findings=findings,
    )
    conversations_attach_mentions(mention_ids=[mention.pk])
    return Conversation.objects.get(network=network, thread_key=thread)


def build_inbox(*, agent, other_agent, lead=None) -> dict[str, Conversation]:
    """About a dozen conversations of a bank's morning, worked on a little."""
    x = SocialAccountFactory(network="x", handle="northbridgebank", name="Northbridge Bank")
    fb = SocialAccountFactory(network="facebook", handle="NorthbridgeBank", name="Northbridge Bank")
    li = SocialAccountFactory(network="linkedin", handle="northbridge-bank", name="Northbridge Bank")
    c = {}
    c["declined"] = customer_message(
        text="@northbridgebank my card was declined at Tesco twice this morning and the app shows no reason. "
        "I have money in the account. What is going on?",
        thread="t-declined",
        account=x,
        minutes_ago=3,
        sentiment="negative",
        priority="high",
        handle="rosa_garcia",
        name="Rosa García",
        followers=412,
    )
    c["card"] = customer_message(
        text="@northbridgebank please block my card 4111 1111 1111 1111 it was stolen on the train!!",
        thread="t-card",
        account=x,
        minutes_ago=7,
        sentiment="negative",
        priority="urgent",
        handle="tom_h",
        name="Tom Hughes",
        followers=88,
    )
    c["outage"] = customer_message(
        text="Is the Northbridge app down? Can't log in since 8am, keeps saying 'try again later'.",
        thread="t-outage",
        account=fb,
        network="facebook",
        kind="comment",
        minutes_ago=12,
        sentiment="negative",
        handle="priya.sharma",
        name="Priya Sharma",
    )
    c["mortgage"] = customer_message(
        text="Hi, we're first-time buyers. Does Northbridge offer a 95% mortgage and how long does "
        "approval take?",
        thread="t-mortgage",
        account=li,
        network="linkedin",
        kind="comment",
        minutes_ago=26,
        sentiment="neutral",
        handle="daniel-okoro",
        name="Daniel Okoro",
    )
    c["praise"] = customer_message(
        text="Shout-out to the Northbridge team at the Leeds branch: sorted my business account "
        "in 10 minutes.",
        thread="t-praise",
        account=x,
        minutes_ago=41,
        sentiment="positive",
        handle="leeds_bakery",
        name="Leeds Bakery Co.",
        followers=5230,
        verified=True,
    )
    c["fees"] = customer_message(
        text="@northbridgebank why was I charged a £25 overdraft fee when I was only overdrawn for one hour?",
        thread="t-fees",
        account=x,
        minutes_ago=55,
        sentiment="negative",
        handle="mark_w",
        name="Mark Wilson",
    )
    c["transfer"] = customer_message(
        text="Sent money to my landlord yesterday, still not arrived. Reference says pending. Help?",
        thread="t-transfer",
        account=fb,
        network="facebook",
        kind="direct",
        minutes_ago=80,
        sentiment="negative",
        handle="sofia.rossi",
        name="Sofia Rossi",
    )
    c["fraud"] = customer_message(
        text="Got a text from 'Northbridge' asking me to confirm a payment with a link. "
        "Is this you or a scam?",
        thread="t-fraud",
        account=x,
        minutes_ago=95,
        sentiment="neutral",
        priority="high",
        handle="jan_kowalski",
        name="Jan Kowalski",
    )
    c["isa"] = customer_message(
        text="What's the interest rate on your cash ISA this year? Thinking of switching.",
        thread="t-isa",
        account=x,
        minutes_ago=130,
        handle="emma_clarke",
        name="Emma Clarke",
    )
    c["french"] = customer_message(
        text="Bonjour, je n'arrive pas à ajouter ma carte à Apple Pay. Pouvez-vous m'aider ?",
        thread="t-french",
        account=fb,
        network="facebook",
        kind="comment",
        minutes_ago=170,
        lang="fr",
        handle="claire.dubois",
        name="Claire Dubois",
    )
    c["resolved"] = customer_message(
        text="@northbridgebank thanks, the new card arrived today.",
        thread="t-resolved",
        account=x,
        minutes_ago=300,
        sentiment="positive",
        handle="ahmed_ali",
        name="Ahmed Ali",
    )
    c["spam"] = customer_message(
        text="EARN £5000 A WEEK FROM HOME!!! DM me @northbridgebank followers",
        thread="t-spam",
        account=x,
        minutes_ago=20,
        handle="crypto_king_99",
        name="Crypto King",
    )

    def work(key, fn, **kwargs):
        conversation = Conversation.objects.get(pk=c[key].pk)
        c[key] = fn(conversation=conversation, seen_version=conversation.version, **kwargs) or conversation

    work("card", conversation_assign, actor=agent, assignee=agent)
    work("outage", conversation_assign, actor=other_agent, assignee=other_agent)
    work("fees", conversation_assign, actor=agent, assignee=other_agent)
    work("transfer", conversation_set_status, actor=other_agent, status="waiting_customer")
    work("fraud", conversation_set_priority, actor=agent, priority=3)
    work("mortgage", conversation_set_status, actor=agent, status="waiting_expert")
    work("resolved", conversation_set_status, actor=agent, status="resolved")
    work("spam", conversation_set_status, actor=agent, status="spam")
    for key, tag in (
        ("card", "Lost or stolen"),
        ("outage", "App outage"),
        ("fraud", "Phishing"),
        ("fees", "Fees"),
    ):
        conversation_tag_add(actor=agent, conversation=c[key], name=tag)
    note_add(
        actor=other_agent,
        conversation=Conversation.objects.get(pk=c["card"].pk),
        text="Card blocked by phone team at 09:12. @amira can you ask him to DM us for the "
        "replacement address?",
    )
    return {key: Conversation.objects.get(pk=conv.pk) for key, conv in c.items()}
