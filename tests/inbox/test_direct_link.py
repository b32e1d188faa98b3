"""A direct link to a conversation answers with the page and the conversation at once; the list's rows
come in their own request, named by the placeholder, with the same filters."""

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inbox.models import Conversation
from inbox.services import conversation_tag_add
from tests.factories import ConversationFactory
from tests.html_tree import parse

pytestmark = pytest.mark.django_db
LIST_REGION = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "list-region"}


def _placeholder(html: str):
    return parse(html).find(id_="list-region").find(id_="list-loading")


def test_the_page_holds_the_conversation_and_names_the_list_it_will_load(client, agent):
    other = ConversationFactory(preview="another customer waiting", status="open")
    opened = ConversationFactory(preview="the one I was sent", status="open")
    client.force_login(agent)

    response = client.get(f"/inbox/c/{opened.pk}/?view=open&sort=waiting&q=a%22b%3Cc")
    html = response.content.decode()

    assert response.status_code == 200
    tree = parse(html)
    assert tree.find("article", data_conversation_id=str(opened.pk)) is not None
    # The page around the conversation: the toolbar keeps the filters, the rail its views.
    assert "selected" in tree.find("select", id_="id_sort").find("option", value="waiting").attrs
    assert tree.find("input", id_="id_q").attrs["value"] == 'a"b<c'
    assert tree.find(id_="view-list") is not None
    # ...without its counts, which come with the rows (a count of the whole table can wait).
    assert [span.text() for span in tree.find(id_="view-list").find_all("span", cls="view-count")] == [""] * 7
    # No rows yet: a placeholder that says what is happening, and asks for them on load.
    assert 'id="rows"' not in html and '<li class="row ' not in html
    assert "another customer waiting" not in html
    loading = _placeholder(html)
    url = "/inbox/?view=open&sort=waiting&q=a%22b%3Cc"
    assert loading.attrs["hx-get"] == url
    assert loading.attrs["hx-trigger"] == "load" and loading.attrs["hx-target"] == "#list-region"
    assert loading.attrs["aria-busy"] == "true"
    assert json.loads(loading.attrs["hx-headers"]) == {"X-Inbox-Counts": "1"}
    assert "Loading the conversations…" in loading.text()
    noscript = loading.find("noscript")
    assert noscript is not None and "Show the conversations" in noscript.text()
    # The URL is escaped in the attribute: its & are &amp;, the search's quote and < stay encoded.
    assert 'hx-get="/inbox/?view=open&amp;sort=waiting&amp;q=a%22b%3Cc"' in html

    rows = client.get(url.replace("a%22b%3Cc", ""), **LIST_REGION, HTTP_X_INBOX_COUNTS="1")
    rows_html = rows.content.decode()
    assert rows.status_code == 200
    assert "<html" not in rows_html  # the list region alone
    assert f'id="row-{other.pk}"' in rows_html and f'id="row-{opened.pk}"' in rows_html
    assert 'id="list-poll"' in rows_html
    # The rail's views with their counts, swapped in their place (out of band), the view still current.
    rail = parse(rows_html).find("ul", id_="view-list")
    assert rail.attrs["hx-swap-oob"] == "true"
    open_view = rail.find("a", cls="view-open")
    assert open_view.attrs["aria-current"] == "page"
    assert open_view.find("span", cls="view-count").text() == "2"
    assert open_view.attrs["href"] == "/inbox/?view=open&sort=waiting"


def test_a_page_link_keeps_its_place_and_a_stale_one_starts_from_the_top(client, agent, settings):
    settings.INBOX_PAGE_SIZE = 2
    now = timezone.now()
    for number in range(5):
        ConversationFactory(preview=f"message {number}", last_activity_at=now - dt.timedelta(minutes=number))
    opened = Conversation.objects.order_by("-last_activity_at").last()
    client.force_login(agent)
    cursor = client.get("/inbox/?view=open").context["page"].next_cursor

    html = client.get(f"/inbox/c/{opened.pk}/", {"view": "open", "cursor": cursor}).content.decode()
    url = _placeholder(html).attrs["hx-get"]
    second = client.get(url, **LIST_REGION).content.decode()
    assert "message 2" in second and "message 3" in second and "message 1" not in second

    for stale in ("%%%garbage", cursor.swapcase()):
        response = client.get(f"/inbox/c/{opened.pk}/", {"view": "open", "cursor": stale})
        assert response.status_code == 200
        assert f'data-conversation-id="{opened.pk}"' in response.content.decode()
        assert _placeholder(response.content.decode()).attrs["hx-get"] == "/inbox/?view=open"
    # A cursor of another sort is stale too.
    response = client.get(f"/inbox/c/{opened.pk}/", {"view": "open", "sort": "waiting", "cursor": cursor})
    assert _placeholder(response.content.decode()).attrs["hx-get"] == "/inbox/?view=open&sort=waiting"


def _direct_link_queries(client, agent, rows: int) -> list[str]:
    while Conversation.objects.count() < rows:
        number = Conversation.objects.count()
        conversation = ConversationFactory(assignee=agent if number % 2 else None, status="open")
        conversation_tag_add(actor=agent, conversation=conversation, name=f"tag {number % 3}")
    opened = Conversation.objects.order_by("pk").first()
    url = f"/inbox/c/{opened.pk}/?view=open"
    client.get(url)  # presence and session rows exist after the first visit
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return [q["sql"] for q in queries]


def test_the_direct_link_reads_no_rows_and_each_thing_once(client, agent):
    client.force_login(agent)
    few = _direct_link_queries(client, agent, 3)
    many = _direct_link_queries(client, agent, 30)
    assert len(few) == len(many), (few, many)
    # The tag names and the colleagues serve the toolbar and the pane from one read each.
    tag_reads = [sql for sql in many if 'FROM "inbox_tag" ORDER BY' in sql]
    assert len(tag_reads) == 1, tag_reads
    assert len(many) == len(set(many)), [sql for sql in many if many.count(sql) > 1]
    assert not [sql for sql in many if "capped_" in sql], "the view counts come with the rows"


def test_the_list_alone_reads_the_rows_and_not_the_toolbar_or_the_rail(client, agent):
    # The request the placeholder makes: its rows, with their checkboxes for an agent; not the
    # view counts, the tags of the filter or the rail, which the page around it has already.
    for n in range(4):
        ConversationFactory(preview=f"waiting customer {n}", status="open")
    client.force_login(agent)
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/inbox/?view=open&sort=waiting", **LIST_REGION)
    html = response.content.decode()

    assert response.status_code == 200
    rows = parse(html).find(id_="rows").find_all("li", cls="row")
    assert len(rows) == 4
    assert all(row.find("input", type="checkbox") is not None for row in rows)
    assert 'id="view-list"' not in html and 'id="id_sort"' not in html
    sql = [q["sql"] for q in captured.captured_queries]
    assert not [q for q in sql if "capped_" in q], "the view counts are the rail's"
    assert not [q for q in sql if 'FROM "inbox_tag"' in q and "ORDER BY" in q], "the tags are the toolbar's"


def test_an_empty_list_alone_says_so(client, agent):
    client.force_login(agent)
    html = client.get("/inbox/?view=open&network=x", **LIST_REGION).content.decode()
    assert "Nothing matches these filters." in html
