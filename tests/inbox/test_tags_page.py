import pytest

from inbox import services
from inbox.models import Conversation, Tag
from tests.factories import ConversationFactory

pytestmark = pytest.mark.django_db


def test_leads_manage_tags(client, lead, agent, conversation):
    tag = services.conversation_tag_add(actor=agent, conversation=conversation, name="Fess")
    client.force_login(agent)
    assert client.get("/inbox/tags/").status_code == 403
    assert client.post(f"/inbox/tags/{tag.pk}/rename/", {"name": "Fees"}).status_code == 403
    client.force_login(lead)
    html = client.get("/inbox/tags/").content.decode()
    assert "Fess" in html
    client.post(f"/inbox/tags/{tag.pk}/rename/", {"name": "Fees"})
    assert Tag.objects.get().name == "Fees"
    client.post(f"/inbox/tags/{tag.pk}/delete/")
    assert not Tag.objects.exists()


def test_tags_are_listed_a_to_z_whatever_their_case(client, lead, agent, conversation):
    for name in ("mortgages", "Incident 1 App outage", "app"):
        services.conversation_tag_add(actor=agent, conversation=conversation, name=name)
    expected = ["app", "Incident 1 App outage", "mortgages"]  # not "Incident ..." first, as byte order has it
    client.force_login(lead)
    html = client.get("/inbox/tags/").content.decode()
    assert sorted(expected, key=html.index) == expected
    pane = client.get(f"/inbox/c/{conversation.pk}/").content.decode()
    chips = pane[pane.index('id="conv-tags"') :]  # the conversation's own tags, in the side panel
    assert sorted(expected, key=chips.index) == expected


def resolved_conversation() -> Conversation:
    return ConversationFactory(status=Conversation.Status.RESOLVED)


def test_each_tag_counts_its_conversations_and_links_to_the_open_ones(client, lead, agent, conversation):
    tag = services.conversation_tag_add(actor=agent, conversation=conversation, name="fees")
    done = services.conversation_tag_add(actor=agent, conversation=resolved_conversation(), name="fees")
    assert done == tag
    services.conversation_tag_add(actor=agent, conversation=resolved_conversation(), name="branches")
    client.force_login(lead)
    html = client.get("/inbox/tags/").content.decode()
    assert f'2 in all · <a href="/inbox/?view=open&amp;tag={tag.pk}">1 open</a>' in html
    assert "1 in all · none open" in html, "no link to an empty list"
