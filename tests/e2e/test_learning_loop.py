"""The learning loop in Chromium: a suggestion inserted with one key, sent, and its outcome on the
library page."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from bankbuzz.accounts import roles
from inbox.demo import seed_saved_replies
from inbox.models import Reply, SavedReply
from inbox.reply_services import fill_variables
from learning.demo import seed_library
from learning.models import AdviceArticle, ReplyOutcome, SuggestionUse
from learning.outcomes import update_outcomes
from tests.conftest import make_person
from tests.escalations.conftest import make_department
from tests.factories import MentionFactory
from tests.inbox.replying import sandbox_conversation, send_replies_through, shoot, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(celery_worker, monkeypatch):
    send_replies_through(celery_worker, monkeypatch)
    return celery_worker


@pytest.fixture
def library(db):
    for name in ("Cards", "Fraud", "Mortgages", "Payments"):
        make_department(name)
    seed_saved_replies()
    seed_library()


def test_suggest_insert_send_and_learn(
    page, login, live_server, agent, sandbox, x_account, library, worker, django_capture_on_commit_callbacks
):
    conversation = sandbox_conversation(
        sandbox,
        x_account,
        django_capture_on_commit_callbacks,
        text="@northbridgebank my card was declined at the supermarket, why??",
    )
    login(page, "amira")
    page.locator(f"#row-{conversation.pk} .row-link").click()
    panel = page.locator("#pane .suggestions")
    expect(panel).to_contain_text("Why was my card declined?")
    article = AdviceArticle.objects.get(title="Why was my card declined?")
    saved = SavedReply.objects.get(shortcut="declined")
    article_rank = panel.locator(
        f'[data-suggestion-kind="article"][data-suggestion-id="{article.pk}"]'
    ).get_attribute("data-rank")
    saved_rank = panel.locator(
        f'[data-suggestion-kind="saved_reply"][data-suggestion-id="{saved.pk}"]'
    ).get_attribute("data-rank")
    shoot(page, "learning-suggestions")

    # One key, outside a text field: the article's summary and link go into the reply.
    page.locator("#pane h2").click()
    page.keyboard.press(f"Digit{article_rank}")
    box = page.get_by_label("Reply to the customer")
    expect(box).to_be_focused()
    expect(box).to_have_value(f"{article.summary} {article.url}")
    wait_for(
        lambda: SuggestionUse.objects.filter(article=article).exists(),
        what="the article's use to be recorded",
    )

    # Alt+digit while typing: the saved reply, filled in for this customer and agent.
    box.fill("")
    page.keyboard.press(f"Alt+Digit{saved_rank}")
    expect(box).to_have_value(fill_variables(saved.body, conversation=conversation, agent=agent))
    expect(page.locator("#reply-saved")).to_have_value(str(saved.pk))
    page.locator("#reply-send").click()
    expect(page.locator("#pane .banner-ok")).to_contain_text("On its way")
    reply = wait_for(
        lambda: Reply.objects.filter(state=Reply.State.SENT, saved_reply=saved).first(),
        what=f"the worker to send the reply\n{worker.log()[-3000:]}",
    )

    # The customer thanks us; the outcome task credits both entries the reply used.
    MentionFactory(
        network="x",
        account=x_account,
        author=conversation.customer,
        thread_key=conversation.thread_key,
        text="thank you, that helped!",
        intent="thanks",
        created_at=reply.sent_at + dt.timedelta(minutes=20),
    )
    update_outcomes(now=reply.sent_at + dt.timedelta(hours=1))
    assert set(ReplyOutcome.objects.values_list("outcome", flat=True)) == {"thanks"}
    assert ReplyOutcome.objects.count() == 2

    make_person("laura", roles.LEAD, first_name="Laura")
    page.context.clear_cookies()
    login(page, "laura")
    page.goto(f"{live_server.url}/library/")
    row = page.locator(f'tr[data-entry="saved-{saved.pk}"]')
    expect(row.locator(".outcome-thanks")).to_have_text("1")
    expect(row.locator(".outcome-helped")).to_have_text("1 of 1")
    expect(page.locator(f'tr[data-entry="article-{article.pk}"] .outcome-helped')).to_have_text("1 of 1")
    shoot(page, "learning-library")
