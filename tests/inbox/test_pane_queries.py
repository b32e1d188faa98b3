"""The pane and the direct link run as many queries for a 3-message thread as for a 120-message one."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inbox import services
from listening.models import Mention
from tests.html_tree import parse
from tests.inbox.world import customer_message, pii_findings

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def _text(name: str, number: int) -> str:
    # Every third message holds a card number, masked by its stored findings.
    return f"{name} {number} card 4111 1111 1111 1111" if number % 3 == 0 else f"{name} {number}"


def _thread(agent, name: str, messages: int):
    conversation = customer_message(text=f"{name} 0", thread=name, handle=f"{name}-handle", minutes_ago=600)
    first = Mention.objects.get(thread_key=name)
    for number in range(1, messages):
        Mention.objects.create(
            **{
                f.name: getattr(first, f.name)
                for f in Mention._meta.concrete_fields
                if f.name not in ("id", "external_id", "text", "created_at", "has_pii", "pii_findings")
            },
            external_id=f"{name}-{number}",
            text=_text(name, number),
            has_pii=bool(pii_findings(_text(name, number))),
            pii_findings=pii_findings(_text(name, number)),
            created_at=first.created_at + dt.timedelta(minutes=number),
        )
        if number % 40 == 0:
            services.note_add(actor=agent, conversation=conversation, text=f"note after {number}")
    return conversation


def _queries(client, url: str, **headers) -> tuple[int, str]:
    client.get(url, **headers)  # presence and session rows exist after the first visit
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **headers)
    assert response.status_code == 200
    return len(captured.captured_queries), response.content.decode()


@pytest.mark.parametrize("headers", [HX, {}], ids=["pane", "direct link"])
def test_query_count_does_not_grow_with_the_thread(client, agent, headers):
    short = _thread(agent, "short", 3)
    long = _thread(agent, "long", 120)
    client.force_login(agent)

    short_count, short_html = _queries(client, f"/inbox/c/{short.pk}/", **headers)
    long_count, long_html = _queries(client, f"/inbox/c/{long.pk}/", **headers)

    assert long_count == short_count
    assert "short 2<" in short_html
    # The long thread shows its latest page, masked, and links to the earlier messages.
    assert "long 119<" in long_html and "long 1<" not in long_html
    assert "Earlier messages" in long_html
    assert "4111 1111 1111 1111" not in long_html and "Personal data masked" in long_html


def test_each_message_shows_its_own_labels_in_the_correction_selects(client, agent):
    """The options are printed once per label and value: each select still marks its own message's value."""
    conversation = _thread(agent, "labels", 3)
    first, second, third = Mention.objects.filter(thread_key="labels").order_by("created_at")
    Mention.objects.filter(pk=first.pk).update(intent="question", lang="<b>xx")
    Mention.objects.filter(pk=second.pk).update(intent="complaint", lang="en")
    Mention.objects.filter(pk=third.pk).update(intent="", needs_reply=None)
    client.force_login(agent)
    html = client.get(f"/inbox/c/{conversation.pk}/", **HX).content.decode()
    assert "<b>xx" not in html and "&lt;b&gt;xx" in html
    tree = parse(html)

    def selected(mention, label):
        select = tree.find("select", id_=f"label-{mention.pk}-{label}")
        return [(o.attrs["value"], o.text()) for o in select.find_all("option") if "selected" in o.attrs]

    assert selected(first, "intent") == [("question", "question")]
    assert selected(second, "intent") == [("complaint", "complaint")]
    assert selected(third, "intent") == [("", "(intent: not set)")]
    assert selected(third, "needs_reply") == [("", "(needs a reply: not set)")]
    # A stored language outside today's choices is still shown, escaped, once.
    assert selected(first, "language") == [("<b>xx", "<b>xx")]
    assert selected(second, "language") == [("en", "en")]
    options = tree.find("select", id_=f"label-{second.pk}-intent").find_all("option")
    assert len(options) == len(tree.find("select", id_=f"label-{first.pk}-intent").find_all("option"))
