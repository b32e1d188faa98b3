"""Tags: created inline by agents, managed by leads."""

import pytest

from bankbuzz.audit.models import AuditEvent
from inbox import services
from inbox.models import Tag

pytestmark = pytest.mark.django_db


def test_tags_are_created_inline_and_matched_without_case(agent, other_agent, conversation):
    first = services.conversation_tag_add(actor=agent, conversation=conversation, name="  Card   declined ")
    again = services.conversation_tag_add(actor=other_agent, conversation=conversation, name="card DECLINED")
    assert first == again
    assert first.name == "Card declined"
    assert list(conversation.tags.all()) == [first]
    assert AuditEvent.objects.filter(verb="tag.create").count() == 1
    assert AuditEvent.objects.filter(verb="conversation.tag_add").count() == 1
    conversation.refresh_from_db()
    assert conversation.version == 2


def test_remove_a_tag(agent, conversation):
    tag = services.conversation_tag_add(actor=agent, conversation=conversation, name="Fees")
    services.conversation_tag_remove(actor=agent, conversation=conversation, tag=tag)
    assert not conversation.tags.exists()
    assert AuditEvent.objects.filter(verb="conversation.tag_remove").exists()


def test_bad_tag_names_are_refused(agent, conversation):
    for name in ("", "   ", "<script>", "x" * 41):
        with pytest.raises(services.InboxError):
            services.conversation_tag_add(actor=agent, conversation=conversation, name=name)


def test_leads_rename_and_delete_tags_agents_do_not(agent, lead, conversation):
    tag = services.conversation_tag_add(actor=agent, conversation=conversation, name="Fess")
    with pytest.raises(services.InboxError, match="leads"):
        services.tag_rename(actor=agent, tag=tag, name="Fees")
    services.tag_rename(actor=lead, tag=tag, name="Fees")
    assert Tag.objects.get().name == "Fees"
    with pytest.raises(services.InboxError, match="leads"):
        services.tag_delete(actor=agent, tag=tag)
    services.tag_delete(actor=lead, tag=tag)
    assert not Tag.objects.exists()
    assert AuditEvent.objects.get(verb="tag.delete").before == {"name": "Fees", "conversations": 1}


def test_renaming_onto_an_existing_name_is_refused(agent, lead, conversation):
    services.conversation_tag_add(actor=agent, conversation=conversation, name="Fees")
    other = services.conversation_tag_add(actor=agent, conversation=conversation, name="Charges")
    with pytest.raises(services.InboxError, match="already a tag"):
        services.tag_rename(actor=lead, tag=other, name="fees")
