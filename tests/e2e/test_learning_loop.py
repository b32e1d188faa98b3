"""The learning loop in Chromium: a suggestion inserted with one key, sent, and its outcome on the
library page."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from bankbuzz.accounts import roles
from bankbuzz.accounts.models import Notification
from devtools.demo.inbox import seed_saved_replies
from devtools.demo.learning import seed_library
from escalations import services as escalation_services
from escalations.models import Department
from inbox.models import Reply, SavedReply
from inbox.reply_services import fill_variables
from learning import suggest
from learning.models import AdviceArticle, ReplyOutcome, SuggestionUse
from learning.outcomes import update_outcomes
from tests.conftest import make_person
from tests.escalations.conftest import make_department
from tests.factories import AuthorFactory, ConversationFactory, MentionFactory
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


def test_an_experts_answer_is_proposed_approved_and_suggested_on_the_next_similar_conversation(
    page,
    browser,
    login,
    live_server,
    agent,
    sandbox,
    x_account,
    library,
    worker,
    django_capture_on_commit_callbacks,
):
    """The whole loop in the browser: the specialist answers an escalation, the agent proposes the
    answer for the library, a social lead approves it, and on the next customer asking the same the
    agent is offered it, inserts it with one key and sends it."""
    payments = Department.objects.get(name="Payments")
    expert = make_person("carla", roles.SPECIALIST, first_name="Carla", last_name="Reyes")
    payments.members.add(expert)
    make_person("laura", roles.LEAD, first_name="Laura", last_name="Schmidt")
    customer = AuthorFactory(handle="jane_doe", name="Jane Doe")
    first = ConversationFactory(customer=customer, status="open", assignee=agent)
    MentionFactory(
        author=customer,
        thread_key=first.thread_key,
        text="@northbridgebank how do I pay in a cheque with the app? The photo keeps failing",
    )
    escalation = escalation_services.escalation_open(
        actor=agent, conversation=first, department=payments, question="How do customers pay in a cheque?"
    )
    assert not [s for s in suggest.for_conversation(first) if "cheque" in s.title.lower()]

    # The specialist answers, with a public reply the agent may send.
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    specialist = context.new_page()
    login(specialist, "carla", landing="/escalations/")
    specialist.goto(f"{live_server.url}/escalations/{escalation.pk}/")
    specialist.get_by_role("button", name="Claim").click()
    specialist.get_by_label("Answer for the social team (internal)").fill(
        "Cheques up to £2,000 go in by app."
    )
    specialist.get_by_label("Proposed public reply (optional)").fill(
        "Hi Jane, you can pay in a cheque of up to £2,000 in the app: Payments, Pay in a cheque, then "
        "photograph it flat on a dark surface in good light. Larger cheques go in at a branch. Amira"
    )
    specialist.get_by_role("button", name="Send answer").click()
    expect(specialist.get_by_text("Answered: the conversation is back with the social team.")).to_be_visible()
    context.close()

    # The agent proposes it for the library from the escalation's page.
    login(page, "amira")
    page.goto(f"{live_server.url}/escalations/{escalation.pk}/")
    page.get_by_role("button", name="Propose for the library").click()
    expect(page.locator(".propose-panel")).to_contain_text("a social lead approves it")
    shoot(page, "learning-proposed")

    # A social lead approves it, with a shortcut: the customer's and agent's names are variables.
    page.context.clear_cookies()
    login(page, "laura")
    page.goto(f"{live_server.url}/library/proposals/")
    page.get_by_role("link", name="Payments: How do customers pay in a cheque?").click()
    body = page.get_by_label("Text")
    expect(body).to_have_value(
        "Hi {customer_name}, you can pay in a cheque of up to £2,000 in the app: Payments, Pay in a cheque, "
        "then photograph it flat on a dark surface in good light. Larger cheques go in at a branch. "
        "{agent_first_name}"
    )
    page.get_by_label("Title").fill("Paying in a cheque in the app")
    page.get_by_label("Shortcut").fill("cheque")
    page.get_by_label("Tags").fill("payments, cheques")
    shoot(page, "learning-proposal-approve")
    page.get_by_role("button", name="Approve: add to saved replies").click()
    page.wait_for_url(f"{live_server.url}/library/")
    expect(page.locator(".flash")).to_contain_text("joined the saved replies")
    saved = SavedReply.objects.get(shortcut="cheque")
    expect(page.locator(f'tr[data-entry="saved-{saved.pk}"]')).to_contain_text("Carla Reyes")
    assert Notification.objects.filter(recipient=expert, verb="proposal.approved").exists()

    # The next customer asking the same: the agent is offered the expert's answer, and uses it.
    second = sandbox_conversation(
        sandbox,
        x_account,
        django_capture_on_commit_callbacks,
        text="@northbridgebank can I pay in a cheque on my phone? The app won't take the photo",
    )
    page.context.clear_cookies()
    login(page, "amira")
    page.locator(f"#row-{second.pk} .row-link").click()
    suggestion = page.locator(
        f'#pane .suggestions [data-suggestion-kind="saved_reply"][data-suggestion-id="{saved.pk}"]'
    )
    expect(suggestion).to_contain_text("Paying in a cheque in the app")
    shoot(page, "learning-expert-answer-suggested")
    # One key, outside a text field: the reply tab opens with the answer filled in for this customer.
    page.locator("#pane h2").click()
    page.keyboard.press(f"Digit{suggestion.get_attribute('data-rank')}")
    box = page.get_by_label("Reply to the customer")
    expect(box).to_be_focused()
    expect(box).to_have_value(fill_variables(saved.body, conversation=second, agent=agent))
    assert "Amira" in box.input_value() and "{" not in box.input_value()
    wait_for(
        lambda: SuggestionUse.objects.filter(saved_reply=saved, conversation=second).exists(),
        what="the suggestion's use to be recorded",
    )
    page.locator("#reply-send").click()
    expect(page.locator("#pane .banner-ok")).to_contain_text("On its way")
    wait_for(
        lambda: Reply.objects.filter(state=Reply.State.SENT, saved_reply=saved, conversation=second).exists(),
        what=f"the worker to send the reply\n{worker.log()[-3000:]}",
    )
