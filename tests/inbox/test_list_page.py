import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inbox.models import Conversation
from inbox.services import conversation_tag_add
from tests.factories import ConversationFactory


def test_agent_sees_conversations_newest_first(client, agent):
    ConversationFactory(preview="older message", last_activity_at=timezone.now() - dt.timedelta(hours=1))
    ConversationFactory(preview="newer message")
    client.force_login(agent)
    html = client.get("/inbox/").content.decode()
    assert html.index("newer message") < html.index("older message")


def test_social_content_is_escaped(client, agent):
    ConversationFactory(preview='<script>alert("x")</script>', customer__name="<img src=x onerror=alert(1)>")
    client.force_login(agent)
    html = client.get("/inbox/").content.decode()
    assert '<script>alert("x")</script>' not in html
    assert "&lt;script&gt;" in html
    assert "<img src=x onerror" not in html


def test_pages_follow_the_keyset_cursor_without_gaps_or_repeats(client, agent, settings):
    settings.INBOX_PAGE_SIZE = 5
    now = timezone.now()
    same_moment = now - dt.timedelta(minutes=5)
    for number in range(12):
        # Several rows share a timestamp: the id breaks the tie.
        stamp = same_moment if number % 3 == 0 else now - dt.timedelta(minutes=number)
        ConversationFactory(preview=f"message number {number:02d}", last_activity_at=stamp)
    client.force_login(agent)
    seen, url = [], "/inbox/"
    while url:
        response = client.get(url)
        page = response.context["page"]
        seen.extend(c.pk for c in page.conversations)
        url = f"/inbox/?cursor={page.next_cursor}" if page.next_cursor else None
    expected = list(Conversation.objects.order_by("-last_activity_at", "-id").values_list("pk", flat=True))
    assert seen == expected


def test_a_garbled_cursor_is_a_clear_400(client, agent):
    client.force_login(agent)
    response = client.get("/inbox/?cursor=%%%garbage")
    assert response.status_code == 400
    assert "no longer valid" in response.content.decode()


def _list_queries(client, agent, rows: int) -> list[str]:
    while Conversation.objects.count() < rows:
        number = Conversation.objects.count()
        conversation = ConversationFactory(
            assignee=agent if number % 2 else None, customer__avatar_url="https://x.example/a.png"
        )
        conversation_tag_add(actor=agent, conversation=conversation, name=f"tag {number % 3}")
    client.force_login(agent)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/inbox/?view=open")
    assert response.status_code == 200
    assert len(response.context["page"].conversations) == rows
    return [q["sql"] for q in queries]


def test_query_count_does_not_grow_with_rows(client, agent):
    five = _list_queries(client, agent, 5)
    fifty = _list_queries(client, agent, 50)
    assert len(five) == len(fifty), (five, fifty)
    # Session, user, roles, colleagues, filter choices, view counts (one query), rows, tags.
    assert len(fifty) <= 12, fifty


def test_roles_outside_the_inbox_are_refused(client, specialist, outsider):
    for person in (specialist, outsider):
        client.force_login(person)
        assert client.get("/inbox/").status_code == 403


def test_readers_can_open_a_conversation_and_others_get_404(client, manager, outsider):
    conversation = ConversationFactory()
    client.force_login(manager)
    assert client.get(f"/inbox/c/{conversation.pk}/").status_code == 200
    client.force_login(outsider)
    assert client.get(f"/inbox/c/{conversation.pk}/").status_code == 404


def test_a_row_shows_two_tags_and_counts_the_rest_by_name(client, agent):
    from tests.html_tree import parse

    conversation = ConversationFactory(preview="card declined")
    for name in ("Savings", "Complaint & dispute", "Vulnerable customer", "App login"):
        conversation_tag_add(actor=agent, conversation=conversation, name=name)
    client.force_login(agent)
    row = parse(client.get("/inbox/").content.decode()).find("li", id_=f"row-{conversation.pk}")
    chips = [span for span in row.find_all("span") if "badge-tag" in span.classes]
    # The first two in name order, escaped; the other two as "+2" that names them.
    assert [chip.text() for chip in chips[:2]] == ["App login", "Complaint & dispute"]
    more = chips[2]
    assert "badge-more" in more.classes and more.text().startswith("+2")
    assert more.attrs["title"] == "Savings, Vulnerable customer"
    assert len(chips) == 3
