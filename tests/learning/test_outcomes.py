"""What replies that used the library led to, worked out by hand.

Every case starts with a reply sent at T that used a library entry; the first of an escalation
or the customer's next message within 72 hours decides, and silence for 72 hours is resolved.
"""

from __future__ import annotations

import datetime as dt
from itertools import count

import pytest
from django.urls import reverse
from django.utils import timezone

from escalations import services as escalation_services
from inbox.models import Reply, SavedReply
from learning.models import AdviceArticle, EntryStats, ReplyOutcome, SuggestionUse
from learning.outcomes import update_outcomes
from tests.factories import MentionFactory
from tests.learning.conftest import customer_conversation

pytestmark = pytest.mark.django_db

T = timezone.now().replace(microsecond=0) - dt.timedelta(days=10)
H = dt.timedelta(hours=1)
_ids = count(1)


def sent_reply(conversation, author, *, at=T, saved=None) -> Reply:
    return Reply.objects.create(
        conversation=conversation,
        author=author,
        channel="public",
        text="Here is what to do.",
        saved_reply=saved,
        state=Reply.State.SENT,
        external_id=f"out-{next(_ids)}",
        sent_at=at,
        created_at=at,
    )


def customer_writes(conversation, text, *, at, intent="question"):
    return MentionFactory(
        network=conversation.network,
        author=conversation.customer,
        thread_key=conversation.thread_key,
        text=text,
        direction="in",
        intent=intent,
        created_at=at,
    )


@pytest.fixture
def declined(library):
    return SavedReply.objects.get(shortcut="declined")


def outcome_of(reply):
    return ReplyOutcome.objects.get(reply=reply).outcome


def test_each_outcome_by_hand(agent, declined, departments):
    thanked = customer_conversation("declined", thread_key="a")
    sent_a = sent_reply(thanked, agent, saved=declined)
    customer_writes(thanked, "Thank you, sorted!", at=T + H, intent="thanks")

    again = customer_conversation("declined", thread_key="b")
    sent_b = sent_reply(again, agent, saved=declined)
    customer_writes(again, "Still declined today", at=T + 5 * H)

    quiet = customer_conversation("declined", thread_key="c")
    sent_c = sent_reply(quiet, agent, saved=declined)

    escalated = customer_conversation("declined", thread_key="d")
    sent_d = sent_reply(escalated, agent, saved=declined)
    escalation_services.escalation_open(
        actor=agent, conversation=escalated, department=departments["Cards"], question="?", now=T + H / 2
    )
    customer_writes(escalated, "any news?", at=T + 2 * H)

    late = customer_conversation("declined", thread_key="e")
    sent_e = sent_reply(late, agent, saved=declined)
    customer_writes(late, "New question, weeks later", at=T + 80 * H)

    update_outcomes(now=T + 71 * H)
    assert [outcome_of(r) for r in (sent_a, sent_b, sent_c, sent_d, sent_e)] == [
        "thanks",
        "wrote_again",
        "pending",  # 71 hours of silence is not yet 72
        "escalated",  # the escalation at T+30m came before the customer's message at T+2h
        "pending",
    ]
    update_outcomes(now=T + 73 * H)
    assert outcome_of(sent_c) == "resolved"
    assert outcome_of(sent_e) == "resolved"  # their message came after the 72 hours

    stats = EntryStats.objects.get(saved_reply=declined)
    assert (stats.thanks, stats.resolved, stats.wrote_again, stats.escalated, stats.pending) == (
        1,
        2,
        1,
        1,
        0,
    )
    # A repeat changes nothing.
    update_outcomes(now=T + 100 * H)
    assert ReplyOutcome.objects.count() == 5
    stats.refresh_from_db()
    assert (stats.thanks, stats.resolved, stats.wrote_again, stats.escalated) == (1, 2, 1, 1)


def test_an_inserted_article_follows_the_agents_next_reply(agent, other_agent, library):
    article = AdviceArticle.objects.get(title="Why was my card declined?")
    conversation = customer_conversation("declined", thread_key="f")
    SuggestionUse.objects.create(
        user=agent, conversation=conversation, article=article, rank=1, created_at=T - H / 6
    )
    colleague = sent_reply(conversation, other_agent, at=T - H / 12)  # not the one who inserted it
    mine = sent_reply(conversation, agent, at=T)
    customer_writes(conversation, "thanks!", at=T + H, intent="thanks")

    unused = customer_conversation("declined", thread_key="g")
    SuggestionUse.objects.create(
        user=agent, conversation=unused, article=article, rank=2, created_at=T - 3 * H
    )
    sent_reply(unused, agent, at=T)  # three hours later: another answer, not this insertion

    update_outcomes(now=T + 2 * H)
    assert SuggestionUse.objects.get(conversation=conversation).reply == mine
    assert SuggestionUse.objects.get(conversation=unused).reply is None
    assert not ReplyOutcome.objects.filter(reply=colleague).exists()
    assert ReplyOutcome.objects.get(reply=mine, article=article).outcome == "thanks"
    assert EntryStats.objects.get(article=article).thanks == 1


def test_unsent_replies_have_no_outcome(agent, declined):
    conversation = customer_conversation("declined", thread_key="h")
    Reply.objects.create(
        conversation=conversation,
        author=agent,
        channel="public",
        text="x",
        saved_reply=declined,
        state=Reply.State.AWAITING_APPROVAL,
    )
    update_outcomes(now=T + 100 * H)
    assert not ReplyOutcome.objects.exists()


def test_the_library_page_ranks_by_outcomes_and_flags_second_messages(client, lead, agent, declined):
    outage = SavedReply.objects.get(shortcut="outage")
    # "declined": 5 uses, 2 wrote again (40%): flagged. "outage": 5 uses, all thanked.
    for n, (saved, intent) in enumerate(
        [(declined, "question")] * 2 + [(declined, "thanks")] * 3 + [(outage, "thanks")] * 5
    ):
        conversation = customer_conversation("x", thread_key=f"r{n}")
        sent_reply(conversation, agent, saved=saved)
        customer_writes(conversation, "reply", at=T + H, intent=intent)
    update_outcomes(now=T + 2 * H)
    client.force_login(lead)
    page = client.get(reverse("learning:library")).content.decode()
    saved_table = page.split('id="saved"')[1]
    outage_row = saved_table.split(f'data-entry="saved-{outage.pk}"')[1].split("</tr>")[0]
    declined_row = saved_table.split(f'data-entry="saved-{declined.pk}"')[1].split("</tr>")[0]
    assert saved_table.index(f"saved-{outage.pk}") < saved_table.index(f"saved-{declined.pk}")
    assert "5 of 5" in outage_row and "often written to again" not in outage_row
    assert "3 of 5" in declined_row and "often written to again" in declined_row
