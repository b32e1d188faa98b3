"""The Instagram part of the sandbox's world: the bank's media, comments, tags and messages.

Kept beside `state.Store` rather than in it: the store holds the lock and persistence, this
module the Instagram records, in the same internal shape (epoch milliseconds, plain ids).
A state file written before Instagram existed gets this section, and the bank's media, when
it is loaded (`install`).
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from devtools.sandbox.content import Customer
from devtools.sandbox.world import BANK_INSTAGRAM, BANK_NAME

if TYPE_CHECKING:
    from devtools.sandbox.state import Record, Store

# Instagram ids are long decimal strings; media and comments come from different ranges.
_MEDIA_ID_BASE = 17_900_000_000_000_000
_COMMENT_ID_BASE = 18_000_000_000_000_000
# Conversation and message ids are opaque base64 text on the real API; these look alike.
_CONVERSATION_PREFIX = "aWdfZAG06MTpJR01lc3NhZA2VUaHJlYWQ6"
_MESSAGE_PREFIX = "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOj"

BANK_ID = BANK_INSTAGRAM["user_id"]

ANNOUNCEMENTS = (
    "New look, same bank: the app's savings pots are here. Swipe to see how they work.",
    "Scam alert: we never DM you first asking for codes or your PIN. Report it, then tell us.",
)


def empty() -> dict[str, Any]:
    return {"users": {}, "media": {}, "comments": {}, "conversations": {}, "messages": {}}


def install(store: Store, *, start_ms: int) -> None:
    """Give the world its Instagram section and the bank's own posts, if it has none yet."""
    with store.lock:
        if "instagram" in store.data:
            return
        store.data["instagram"] = empty()
        store.data["instagram"]["users"][BANK_ID] = {
            "id": BANK_ID,
            "username": BANK_INSTAGRAM["username"],
            "name": BANK_NAME,
        }
        for offset, caption in enumerate(ANNOUNCEMENTS):
            add_media(store, caption=caption, owner_id=BANK_ID, created_ms=start_ms + offset * 3_600_000)


def _next(store: Store) -> int:
    store.data["seq"] += 1
    return int(store.data["seq"])


def ensure_user(store: Store, customer: Customer) -> str:
    users = store.data["instagram"]["users"]
    users.setdefault(
        customer.instagram_id,
        {"id": customer.instagram_id, "username": customer.handle.lower(), "name": customer.name},
    )
    return customer.instagram_id


def upsert_user(store: Store, fields: dict[str, Any], default: Customer) -> str:
    """An author given by the control API; unknown keys are ignored."""
    user_id = str(fields.get("id") or default.instagram_id)
    user = store.data["instagram"]["users"].setdefault(user_id, {"id": user_id})
    for key in ("username", "name"):
        if key in fields:
            user[key] = fields[key]
    user.setdefault("username", f"user{user_id[-6:]}")
    user.setdefault("name", user["username"])
    return user_id


def add_media(
    store: Store, *, caption: str, owner_id: str, created_ms: int | None = None, tagged: bool = False
) -> Record:
    """A post: the bank's own, or (tagged) a customer's post that tags the bank."""
    from devtools.sandbox.state import now_ms

    with store.lock:
        record: Record = {
            "id": str(_MEDIA_ID_BASE + _next(store)),
            "caption": caption,
            "owner_id": owner_id,
            "media_type": "IMAGE",
            "created_ms": created_ms if created_ms is not None else now_ms(),
            "tagged": tagged,
        }
        store.data["instagram"]["media"][record["id"]] = record
        return record


def add_comment(
    store: Store, *, text: str, from_id: str, target_id: str, created_ms: int | None = None
) -> Record | None:
    """A comment on a media, or a reply to a comment (Instagram keeps replies one level deep)."""
    from devtools.sandbox.state import now_ms

    with store.lock:
        ig = store.data["instagram"]
        if target_id in ig["media"]:
            media_id, parent_id = target_id, ""
        elif target_id in ig["comments"]:
            parent = ig["comments"][target_id]
            media_id, parent_id = parent["media_id"], parent["parent_id"] or target_id
        else:
            return None
        record: Record = {
            "id": str(_COMMENT_ID_BASE + _next(store)),
            "media_id": media_id,
            "parent_id": parent_id,
            "text": text,
            "from_id": from_id,
            "created_ms": created_ms if created_ms is not None else now_ms(),
            "hidden": False,
        }
        ig["comments"][record["id"]] = record
        return record


def conversation_id(customer_id: str) -> str:
    raw = f"{BANK_ID}:{customer_id}".encode()
    return _CONVERSATION_PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def add_message(
    store: Store, *, text: str, from_id: str, to_id: str, created_ms: int | None = None, tag: str = ""
) -> Record:
    from devtools.sandbox.state import now_ms

    with store.lock:
        ig = store.data["instagram"]
        customer_id = to_id if from_id == BANK_ID else from_id
        thread_id = conversation_id(customer_id)
        created = created_ms if created_ms is not None else now_ms()
        conversation = ig["conversations"].setdefault(
            thread_id, {"id": thread_id, "user_id": customer_id, "updated_ms": created}
        )
        conversation["updated_ms"] = max(conversation["updated_ms"], created)
        number = _next(store)
        record: Record = {
            "id": _MESSAGE_PREFIX + base64.urlsafe_b64encode(str(number).encode()).decode().rstrip("="),
            "number": number,
            "conversation_id": thread_id,
            "from_id": from_id,
            "to_id": to_id,
            "text": text,
            "created_ms": created,
            "tag": tag,
        }
        ig["messages"][record["id"]] = record
        return record


def last_customer_message_ms(store: Store, thread_id: str) -> int | None:
    """When the customer last wrote in a conversation: the messaging window runs from there."""
    times = [
        m["created_ms"]
        for m in store.data["instagram"]["messages"].values()
        if m["conversation_id"] == thread_id and m["from_id"] != BANK_ID
    ]
    return max(times) if times else None
