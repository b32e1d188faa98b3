"""The queue's rows are printed in Python (escalations.views._queue_rows_html) for speed
(docs/benchmarks.md); they must print what the template loop they replaced printed, escaping,
claim buttons and SLA chips included. The template as it was is kept in reference/, verbatim."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from django.template import engines
from django.utils import timezone

from bankbuzz.accounts import roles
from escalations import services
from tests.conftest import make_person
from tests.factories import AuthorFactory, ConversationFactory, MentionFactory

REFERENCE = (Path(__file__).parent / "reference" / "queue.html").read_text()
HOSTILE = "<script>alert(\"x\")</script> & <b onmouseover='y'>"
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def _escalate(agent, department, *, handle, question, now, network="x"):
    customer = AuthorFactory(handle=handle, network=network)
    conversation = ConversationFactory(customer=customer, network=network)
    MentionFactory(author=customer, thread_key=conversation.thread_key, network=network)
    return services.escalation_open(
        actor=agent, conversation=conversation, department=department, question=question, now=now
    )


def _same_as_reference(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    context = response.context[0].flatten()  # the page template's own context
    expected = engines["django"].from_string(REFERENCE).render(context, request=response.wsgi_request)
    html = response.content.decode()
    # Each form may carry its own mask of the same CSRF secret: compare the markup around them.
    assert TOKEN.sub("csrf", html) == TOKEN.sub("csrf", expected)
    return html


def test_the_queue_prints_what_its_template_printed(client, agent, cards, cards_specialist, fraud):
    now = timezone.now()
    late = _escalate(
        agent,
        cards,
        handle="late_one",
        question=f"Late {HOSTILE} " + "x" * 200,
        now=now - dt.timedelta(days=3),
    )
    claimed = _escalate(agent, cards, handle="claimed_one", question="Claimed", now=now, network="facebook")
    services.escalation_claim(actor=cards_specialist, escalation=claimed)
    asked = _escalate(agent, cards, handle="asked_one", question="Asked", now=now - dt.timedelta(hours=1))
    services.escalation_claim(actor=cards_specialist, escalation=asked)
    services.escalation_request_info(actor=cards_specialist, escalation=asked, question="Which card?")
    colleague = make_person("cora", roles.SPECIALIST, first_name="Cora", last_name=HOSTILE)
    cards.members.add(colleague)
    theirs = _escalate(agent, cards, handle="theirs_one", question="Theirs", now=now)
    services.escalation_claim(actor=colleague, escalation=theirs)
    answered = _escalate(agent, cards, handle="answered_one", question="Answered", now=now)
    services.escalation_claim(actor=cards_specialist, escalation=answered)
    services.escalation_answer(actor=cards_specialist, escalation=answered, answer="Done")
    lead = make_person("lena", roles.LEAD, first_name="Lena", last_name="Lead")

    client.force_login(cards_specialist)
    html = _same_as_reference(client, "/escalations/")
    assert "&lt;script&gt;" in html and "<script>alert" not in html
    # Claim on the unclaimed one and on a colleague's, not on one's own.
    assert html.count(">Claim</button>") == 2
    assert f"/escalations/{late.pk}/claim/" in html and f"/escalations/{theirs.pk}/claim/" in html
    assert ">You<" in html and "Paused" in html
    _same_as_reference(client, "/escalations/?state=answered")
    _same_as_reference(client, "/escalations/?state=closed")  # nothing: the empty row

    client.force_login(lead)
    html = _same_as_reference(client, "/escalations/")
    assert ">Claim</button>" not in html  # a lead watches the queue; experts claim
