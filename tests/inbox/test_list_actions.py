"""The list's poll ("N new", counts, rows changed in place) and bulk actions."""

import datetime as dt

import pytest
from django.utils import timezone

from bankbuzz.audit.models import AuditEvent
from inbox import presence, services
from tests.factories import ConversationFactory

pytestmark = pytest.mark.django_db


def test_poll_counts_new_rows_of_the_view_and_refreshes_changed_rows(client, agent, other_agent):
    since = timezone.now() - dt.timedelta(seconds=5)
    shown = ConversationFactory(last_activity_at=since - dt.timedelta(minutes=1))
    ConversationFactory()  # arrived after the list loaded
    ConversationFactory(status="resolved")  # not in this view
    services.conversation_claim(actor=other_agent, conversation=shown, seen_version=1)
    presence.heartbeat(conversation_id=shown.pk, user=other_agent)
    client.force_login(agent)
    response = client.get(
        "/inbox/poll/",
        {"view": "open", "since": since.isoformat(), "rows": f"{shown.pk}:1", "selected": f"{shown.pk}:1"},
    )
    html = response.content.decode()
    assert "1 new · show" in html
    assert f'id="row-{shown.pk}"' in html and "BO" in html  # refreshed in place, with Ben's initials
    assert "checked" in html  # the tick survives the refresh
    assert "Ben Okafor has it open" in html
    assert 'id="view-list"' in html


def test_bulk_actions_apply_per_row_and_skip_stale_ones(client, agent, other_agent):
    fresh = ConversationFactory()
    stale = ConversationFactory()
    services.conversation_claim(actor=other_agent, conversation=stale, seen_version=1)
    client.force_login(agent)
    response = client.post(
        "/inbox/bulk/",
        {
            "ids": [f"{fresh.pk}:1", f"{stale.pk}:1"],
            "action": "status",
            "status": "resolved",
            "return": "view=open",
        },
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert "Done for 1 conversation. Skipped 1" in html
    fresh.refresh_from_db()
    stale.refresh_from_db()
    assert (fresh.status, stale.status) == ("resolved", "open")


def bar(ids, action, **fields):
    """The bulk bar as the browser submits it: every field, whichever the action uses."""
    return {"ids": ids, "action": action, "return": "", "assignee": "", "status": "open", "tag": "", **fields}


def test_bulk_assign_tag_and_spam(client, agent, other_agent):
    rows = [ConversationFactory() for _ in range(3)]
    ids = [f"{c.pk}:1" for c in rows]
    client.force_login(agent)
    client.post("/inbox/bulk/", bar(ids, "assign", assignee=other_agent.pk))
    ids = [f"{c.pk}:2" for c in rows]
    # The status select always sends "open": the typed tag is what a "Tag…" applies.
    client.post("/inbox/bulk/", bar(ids, "tag", tag="Outage", assignee=agent.pk))
    client.post("/inbox/bulk/", bar([f"{c.pk}:3" for c in rows], "spam", tag="Outage"))
    for conversation in rows:
        conversation.refresh_from_db()
        assert conversation.assignee == other_agent
        assert conversation.tags.get().name == "Outage"
        assert conversation.status == "spam"
    assert AuditEvent.objects.filter(verb="conversation.status").count() == 3


def test_bulk_without_a_selection_or_by_a_reader(client, agent, manager):
    client.force_login(agent)
    response = client.post("/inbox/bulk/", {"action": "claim"}, follow=True)
    assert "Select one or more conversations first" in response.content.decode()
    client.force_login(manager)
    assert client.post("/inbox/bulk/", {"action": "claim", "ids": ["1:1"]}).status_code == 403


def test_list_filters_and_search_stay_in_the_url(client, agent):
    ConversationFactory(network="facebook")
    client.force_login(agent)
    response = client.get("/inbox/", {"view": "open", "network": "facebook", "q": "card", "sort": "priority"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "network=facebook" in html and "sort=priority" in html


def test_bad_filter_values_are_ignored_not_500(client, agent):
    client.force_login(agent)
    response = client.get(
        "/inbox/", {"view": "nope", "priority": "x", "account": "abc", "active_from": "soon"}
    )
    assert response.status_code == 200
    assert "Some filters were not understood" in response.content.decode()
