"""Who has a conversation open, and who is typing in it: short-lived state in the cache (Redis).

Each open conversation pane sends a heartbeat every few seconds. The cache holds, per
conversation, a small dict {user id: entry}; an entry counts until its own `until`, so
someone who closed the tab disappears within PRESENT_FOR seconds without a "leave" call.
Two heartbeats racing on the same key can drop one entry until its owner's next
heartbeat (a few seconds): acceptable for a hint, and it keeps the cache API portable.
Nothing here is a record of anything: the database and the audit log are. So while Redis
cannot be reached, presence and typing simply go quiet (`bankbuzz.degrade.cache_call`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.core.cache import cache

from bankbuzz.degrade import cache_call

PRESENT_FOR = 12  # seconds an entry counts after a heartbeat (heartbeats come every 3 s)
TYPING_FOR = 6  # seconds "is typing" lasts after the last keystroke report
KEY_TTL = 60
TYPING_KINDS = {"note": "a note", "reply": "a reply"}


def _key(conversation_id: int) -> str:
    return f"inbox:presence:{conversation_id}"


def _user_key(user_id: int) -> str:
    return f"inbox:presence:user:{user_id}"


@dataclass(frozen=True)
class Present:
    user_id: int
    name: str
    initials: str
    typing: str  # "", "note" or "reply"

    @property
    def typing_label(self) -> str:
        return TYPING_KINDS.get(self.typing, "")


def _alive(entries: dict, now: float) -> dict:
    return {uid: e for uid, e in entries.items() if e.get("until", 0) > now}


def heartbeat(*, conversation_id: int, user, typing: str = "") -> None:
    """Mark `user` as having the conversation open (and typing, if they are)."""
    now = time.time()
    typing = typing if typing in TYPING_KINDS else ""
    # Two round trips to the cache, not four: the pane's heartbeat comes every 3 s per agent.
    found = cache_call(lambda: cache.get_many([_user_key(user.pk), _key(conversation_id)]), None)
    if found is None:
        return
    previous = found.get(_user_key(user.pk))
    if previous and previous != conversation_id:
        leave(conversation_id=previous, user=user)
    entries = _alive(found.get(_key(conversation_id)) or {}, now)
    entries[user.pk] = {
        "name": user.display_name,
        "initials": user.initials,
        "typing": typing,
        "typing_until": now + TYPING_FOR if typing else 0,
        "until": now + PRESENT_FOR,
    }
    cache_call(
        lambda: cache.set_many(
            {_key(conversation_id): entries, _user_key(user.pk): conversation_id}, KEY_TTL
        ),
        None,
    )


def leave(*, conversation_id: int, user) -> None:
    entries = cache_call(lambda: cache.get(_key(conversation_id)), None) or {}
    if entries.pop(user.pk, None) is not None:
        cache_call(lambda: cache.set(_key(conversation_id), entries, KEY_TTL), None)


def present(*, conversation_id: int, exclude_user_id: int | None = None) -> list[Present]:
    """The others who have the conversation open, typists first."""
    now = time.time()
    entries = _alive(cache_call(lambda: cache.get(_key(conversation_id)), None) or {}, now)
    people = [
        Present(
            user_id=uid,
            name=e["name"],
            initials=e["initials"],
            typing=e["typing"] if e.get("typing_until", 0) > now else "",
        )
        for uid, e in entries.items()
        if uid != exclude_user_id
    ]
    return sorted(people, key=lambda p: (not p.typing, p.name))


def present_in_many(
    *, conversation_ids: list[int], exclude_user_id: int | None = None
) -> dict[int, list[Present]]:
    """Who is in each of the listed conversations: one cache round trip for a whole page of rows."""
    if not conversation_ids:
        return {}
    now = time.time()
    found = cache_call(lambda: cache.get_many([_key(pk) for pk in conversation_ids]), {})
    out: dict[int, list[Present]] = {}
    for pk in conversation_ids:
        entries = _alive(found.get(_key(pk)) or {}, now)
        people = [
            Present(user_id=uid, name=e["name"], initials=e["initials"], typing="")
            for uid, e in entries.items()
            if uid != exclude_user_id
        ]
        if people:
            out[pk] = people
    return out
