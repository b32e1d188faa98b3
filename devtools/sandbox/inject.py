"""`POST /_sandbox/posts`: put one specific item on a network, for tests and demos.

Body (JSON), every field but `network` optional:

    {"network": "x" | "facebook" | "linkedin" | "instagram",
     "kind": x: mention (default) | reply | tweet | retweet | quote | edit | dm
             facebook: comment (default) | visitor_post | tagged | message | page_post
             linkedin: comment (default) | org_post
             instagram: comment (default) | tagged | message | media,
     "text": "...",                     (default: a generated customer post on `topic`)
     "topic": "card_declined",          (see content.TOPIC_WEIGHTS)
     "author": "bank" | {"id", "username", "name", "profile_image_url", "followers_count",
                         "verified", "url", "picture", "first", "last"},
     "customer": 3,                     (index into the crowd, when no `author`)
     "in_reply_to": "<id or urn>",      (reply / comment target)
     "retweet_of" | "quote_of" | "edit_of": "<tweet id>",
     "ago_seconds": 90000}              (instagram: said that long ago, for the messaging window)

Answers {"network", "kind", "id", "thread"}.
"""

from __future__ import annotations

import random
from typing import Any

from devtools.sandbox import content, instagram_state
from devtools.sandbox.content import CUSTOMERS, Customer
from devtools.sandbox.state import Store, now_ms
from devtools.sandbox.world import BANK_FACEBOOK_PAGE, BANK_LINKEDIN_ORG, BANK_X


def _customer(body: dict[str, Any]) -> Customer:
    index = int(body.get("customer", 0))
    return CUSTOMERS[index % len(CUSTOMERS)]


def _text(body: dict[str, Any], network: str, store: Store) -> str:
    text = body.get("text")
    if text is None:
        rng = random.Random(f"inject:{store.data['seq']}")
        return content.compose(rng, topic=str(body.get("topic", "card_declined")), network=network)
    if not isinstance(text, str):
        raise TypeError("text must be a string")
    return text


def inject(store: Store, body: dict[str, Any]) -> dict[str, Any]:
    network = body.get("network")
    with store.mutate():
        if network == "x":
            return _inject_x(store, body)
        if network == "facebook":
            return _inject_facebook(store, body)
        if network == "linkedin":
            return _inject_linkedin(store, body)
        if network == "instagram":
            return _inject_instagram(store, body)
    raise ValueError("network must be x, facebook, linkedin or instagram")


def _inject_x(store: Store, body: dict[str, Any]) -> dict[str, Any]:
    kind = body.get("kind", "mention")
    author = body.get("author")
    if author == "bank":
        author_id = BANK_X["user_id"]
    elif isinstance(author, dict):
        author_id = store.upsert_x_user(author)
    else:
        customer = _customer(body)
        store.ensure_customer(customer)
        author_id = customer.x_id
    text = _text(body, "x", store)
    if kind == "dm":
        recipient = str(body.get("recipient_id") or "")
        if author_id == BANK_X["user_id"]:
            if not recipient:
                raise ValueError("a DM from the bank needs recipient_id")
            event = store.add_dm(text=text, sender_id=author_id, recipient_id=recipient)
        else:
            event = store.add_dm(text=text, sender_id=author_id, recipient_id=BANK_X["user_id"])
        return {"network": "x", "kind": "dm", "id": event["id"], "thread": event["dm_conversation_id"]}
    handle = f"@{BANK_X['handle']}"
    if kind == "mention" and handle.lower() not in text.lower():
        text = f"{handle} {text}"
    references = {
        "reply": "in_reply_to",
        "retweet": "retweet_of",
        "quote": "quote_of",
        "edit": "edit_of",
    }
    if kind not in ("mention", "tweet", *references):
        raise ValueError(f"unknown X kind {kind!r}")
    target = str(body.get(references.get(kind, ""), "") or "")
    if kind in references and not target:
        raise ValueError(f"kind {kind} needs {references[kind]}")
    if target and target not in store.data["x"]["tweets"]:
        raise ValueError(f"no tweet {target}")
    in_reply_to = str(body.get("in_reply_to") or "") if kind != "edit" else ""
    tweet = store.add_tweet(
        text=text,
        author_id=author_id,
        in_reply_to=in_reply_to,
        retweet_of=target if kind == "retweet" else "",
        quote_of=target if kind == "quote" else "",
        edit_of=target if kind == "edit" else "",
        lang=str(body.get("lang", "en")),
    )
    return {"network": "x", "kind": kind, "id": tweet["id"], "thread": tweet["conversation_id"]}


def _inject_facebook(store: Store, body: dict[str, Any]) -> dict[str, Any]:
    fb = store.data["facebook"]
    kind = body.get("kind", "comment")
    author = body.get("author")
    page_id = BANK_FACEBOOK_PAGE["page_id"]
    if author == "bank":
        from_id = page_id
    elif isinstance(author, dict):
        from_id = str(author.get("id") or CUSTOMERS[0].facebook_id)
        user = fb["users"].setdefault(from_id, {"id": from_id, "name": "Customer"})
        for key in ("name", "picture"):
            if key in author:
                user[key] = author[key]
    else:
        customer = _customer(body)
        store.ensure_customer(customer)
        from_id = customer.facebook_id
    text = _text(body, "facebook", store)
    if kind == "comment":
        target = str(body.get("in_reply_to") or "")
        if not target:
            own = [p for p in fb["posts"].values() if p["from_id"] == page_id]
            target = max(own, key=lambda p: p["created_ms"])["id"]
        comment = store.add_facebook_comment(text=text, from_id=from_id, target_id=target)
        if comment is None:
            raise ValueError(f"no post or comment {target}")
        return {"network": "facebook", "kind": kind, "id": comment["id"], "thread": comment["post_id"]}
    if kind in ("visitor_post", "tagged", "page_post"):
        if kind == "page_post":
            from_id = page_id
        post = store.add_facebook_post(text=text, from_id=from_id, tagged=kind == "tagged")
        return {"network": "facebook", "kind": kind, "id": post["id"], "thread": post["id"]}
    if kind == "message":
        to_id = str(body.get("recipient_id") or page_id)
        message = store.add_messenger_message(text=text, from_id=from_id, to_id=to_id)
        return {
            "network": "facebook",
            "kind": kind,
            "id": message["id"],
            "thread": message["conversation_id"],
        }
    raise ValueError(f"unknown Facebook kind {kind!r}")


def _inject_linkedin(store: Store, body: dict[str, Any]) -> dict[str, Any]:
    li = store.data["linkedin"]
    kind = body.get("kind", "comment")
    author = body.get("author")
    text = _text(body, "linkedin", store)
    if kind == "org_post":
        post = store.add_linkedin_post(text=text)
        return {"network": "linkedin", "kind": kind, "id": post["id"], "thread": post["id"]}
    if kind != "comment":
        raise ValueError(f"unknown LinkedIn kind {kind!r}")
    if author == "bank":
        actor = BANK_LINKEDIN_ORG["urn"]
    elif isinstance(author, dict):
        person_id = str(author.get("id") or CUSTOMERS[0].linkedin_id)
        person = li["people"].setdefault(person_id, {"id": person_id, "first": "", "last": "", "vanity": ""})
        for key in ("first", "last", "picture", "vanity"):
            if key in author:
                person[key] = author[key]
        actor = f"urn:li:person:{person_id}"
    else:
        customer = _customer(body)
        store.ensure_customer(customer)
        actor = customer.linkedin_urn
    target = str(body.get("in_reply_to") or "")
    if not target:
        target = max(li["posts"].values(), key=lambda p: p["created_ms"])["id"]
    comment = store.add_linkedin_comment(text=text, actor=actor, target_urn=target)
    if comment is None:
        raise ValueError(f"no post or comment {target}")
    return {"network": "linkedin", "kind": kind, "id": comment["urn"], "thread": comment["post_urn"]}


def _inject_instagram(store: Store, body: dict[str, Any]) -> dict[str, Any]:
    ig = store.data["instagram"]
    kind = body.get("kind", "comment")
    author = body.get("author")
    if author == "bank":
        from_id = instagram_state.BANK_ID
    elif isinstance(author, dict):
        from_id = instagram_state.upsert_user(store, author, CUSTOMERS[0])
    else:
        customer = _customer(body)
        store.ensure_customer(customer)
        from_id = customer.instagram_id
    text = _text(body, "instagram", store)
    ago = float(body.get("ago_seconds") or 0)
    if not 0 <= ago <= 365 * 86400:
        raise ValueError("ago_seconds must be between 0 and a year")
    created_ms = now_ms() - int(ago * 1000)
    if kind == "comment":
        target = str(body.get("in_reply_to") or "")
        if not target:
            own = [m for m in ig["media"].values() if m["owner_id"] == instagram_state.BANK_ID]
            target = max(own, key=lambda m: m["created_ms"])["id"]
        comment = instagram_state.add_comment(
            store, text=text, from_id=from_id, target_id=target, created_ms=created_ms
        )
        if comment is None:
            raise ValueError(f"no media or comment {target}")
        return {"network": "instagram", "kind": kind, "id": comment["id"], "thread": comment["media_id"]}
    if kind in ("tagged", "media"):
        owner = instagram_state.BANK_ID if kind == "media" else from_id
        media = instagram_state.add_media(
            store, caption=text, owner_id=owner, created_ms=created_ms, tagged=kind == "tagged"
        )
        return {"network": "instagram", "kind": kind, "id": media["id"], "thread": media["id"]}
    if kind == "message":
        to_id = str(body.get("recipient_id") or instagram_state.BANK_ID)
        message = instagram_state.add_message(
            store, text=text, from_id=from_id, to_id=to_id, created_ms=created_ms
        )
        return {
            "network": "instagram",
            "kind": kind,
            "id": message["id"],
            "thread": message["conversation_id"],
        }
    raise ValueError(f"unknown Instagram kind {kind!r}")
