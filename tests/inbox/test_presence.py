import time

import pytest

from inbox import presence

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clean_cache():
    from django.core.cache import cache

    cache.delete_many([presence._key(n) for n in range(1, 5)])


def test_viewing_typing_and_leaving(agent, other_agent, monkeypatch):
    presence.heartbeat(conversation_id=1, user=agent)
    presence.heartbeat(conversation_id=1, user=other_agent, typing="note")
    [ben] = presence.present(conversation_id=1, exclude_user_id=agent.pk)
    assert (ben.name, ben.typing_label) == ("Ben Okafor", "a note")
    # Opening another conversation leaves the first at once.
    presence.heartbeat(conversation_id=2, user=other_agent)
    assert presence.present(conversation_id=1, exclude_user_id=agent.pk) == []
    assert list(presence.present_in_many(conversation_ids=[1, 2], exclude_user_id=agent.pk)) == [2]


def test_entries_expire_without_a_leave(agent, monkeypatch):
    presence.heartbeat(conversation_id=3, user=agent, typing="reply")
    later = time.time() + presence.TYPING_FOR + 1
    monkeypatch.setattr(presence.time, "time", lambda: later)
    [amira] = presence.present(conversation_id=3)
    assert amira.typing == ""
    monkeypatch.setattr(presence.time, "time", lambda: later + presence.PRESENT_FOR)
    assert presence.present(conversation_id=3) == []


def test_unknown_typing_kinds_are_ignored(agent):
    presence.heartbeat(conversation_id=4, user=agent, typing="<b>")
    assert presence.present(conversation_id=4)[0].typing == ""
