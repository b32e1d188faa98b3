"""X API v2's wire format as the sandbox speaks it: tweets and users rendered with only the
requested fields, the mentions timeline, enough of the search syntax for listening queries,
OAuth 1.0a signatures, and what X bills for an answer.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import shlex
from typing import Any
from urllib.parse import parse_qsl, quote, unquote

from devtools.sandbox.state import Record, Store
from devtools.sandbox.wire import HttpError, Request, iso_ms
from devtools.sandbox.world import DEMO_OAUTH1


def fields_param(request: Request, name: str) -> set[str]:
    return {f.strip() for f in request.query.get(name, "").split(",") if f.strip()}


def avatar_url(origin: str, handle: str) -> str:
    return f"{origin}/_sandbox/avatars/{handle}.png"


def render_tweet(tweet: Record, fields: set[str]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": tweet["id"],
        # X escapes these three characters in tweet text (and only these).
        "text": tweet["text"].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"),
        "edit_history_tweet_ids": list(tweet["edit_history_tweet_ids"]),
    }
    if "author_id" in fields:
        out["author_id"] = tweet["author_id"]
    if "created_at" in fields:
        out["created_at"] = iso_ms(tweet["created_ms"])
    if "conversation_id" in fields:
        out["conversation_id"] = tweet["conversation_id"]
    if "lang" in fields and tweet.get("lang"):
        out["lang"] = tweet["lang"]
    if "referenced_tweets" in fields and tweet.get("referenced_tweets"):
        out["referenced_tweets"] = [dict(ref) for ref in tweet["referenced_tweets"]]
    if "in_reply_to_user_id" in fields and tweet.get("in_reply_to_user_id"):
        out["in_reply_to_user_id"] = tweet["in_reply_to_user_id"]
    if "public_metrics" in fields:
        out["public_metrics"] = {
            "retweet_count": 0,
            "reply_count": 0,
            "like_count": 0,
            "quote_count": 0,
            "bookmark_count": 0,
            "impression_count": 0,
        }
    if "entities" in fields:
        mentions = [
            {"start": m.start(), "end": m.end(), "username": m.group(1)}
            for m in re.finditer(r"@(\w{1,15})", tweet["text"])
        ]
        if mentions:
            out["entities"] = {"mentions": mentions}
    return out


def render_user(user: Record, fields: set[str], origin: str) -> dict[str, Any]:
    out: dict[str, Any] = {"id": user["id"], "name": user["name"], "username": user["username"]}
    if "profile_image_url" in fields:
        out["profile_image_url"] = user.get("profile_image_url") or avatar_url(origin, user["username"])
    if "verified" in fields:
        out["verified"] = bool(user.get("verified"))
    if "public_metrics" in fields:
        out["public_metrics"] = {
            "followers_count": user.get("followers_count", 0),
            "following_count": 180,
            "tweet_count": 1200,
            "listed_count": 3,
            "like_count": 800,
        }
    if "url" in fields:
        out["url"] = user.get("url", "")
    if "description" in fields:
        out["description"] = user.get("description", "")
    return out


def mentions_of(store: Store, user_id: str) -> list[Record]:
    """Tweets that mention the user by handle, or answer one of the user's tweets (X counts both)."""
    data = store.data["x"]
    user = data["users"].get(user_id)
    if user is None:
        return []
    handle_re = re.compile(rf"@{re.escape(user['username'])}\b", re.IGNORECASE)
    own = {t["id"] for t in data["tweets"].values() if t["author_id"] == user_id}
    found = []
    for tweet in data["tweets"].values():
        replied = {r["id"] for r in tweet.get("referenced_tweets", []) if r["type"] == "replied_to"}
        if handle_re.search(tweet["text"]) or (replied & own and tweet["author_id"] != user_id):
            found.append(tweet)
    return found


class SearchQuery:
    """Enough of X's search syntax for listening queries: terms, "phrases", OR, -negation,
    from:, to:, lang:, is:retweet / is:reply / is:quote, @mentions and #hashtags."""

    def __init__(self, text: str):
        try:
            tokens = shlex.split(text.replace("(", " ").replace(")", " "))
        except ValueError:
            raise HttpError(400, "query is not valid: unbalanced quotes") from None
        if not tokens:
            raise HttpError(400, "query must not be empty")
        # A list of alternatives (OR), each a list of (negated, token) that must all hold.
        self.groups: list[list[tuple[bool, str]]] = [[]]
        for token in tokens:
            if token == "OR":
                self.groups.append([])
            elif token.startswith("-") and len(token) > 1:
                self.groups[-1].append((True, token[1:]))
            else:
                self.groups[-1].append((False, token))

    def matches(self, tweet: Record, users: dict[str, Record]) -> bool:
        return any(
            all(self._term(tweet, users, term) != negated for negated, term in group) for group in self.groups
        )

    @staticmethod
    def _term(tweet: Record, users: dict[str, Record], term: str) -> bool:
        lowered = term.lower()
        refs = {r["type"] for r in tweet.get("referenced_tweets", [])}
        if lowered.startswith("from:"):
            return users.get(tweet["author_id"], {}).get("username", "").lower() == lowered[5:].lstrip("@")
        if lowered.startswith("to:"):
            target = users.get(tweet.get("in_reply_to_user_id", ""), {})
            return target.get("username", "").lower() == lowered[3:].lstrip("@")
        if lowered.startswith("lang:"):
            return tweet.get("lang", "") == lowered[5:]
        if lowered == "is:retweet":
            return "retweeted" in refs
        if lowered == "is:reply":
            return "replied_to" in refs
        if lowered == "is:quote":
            return "quoted" in refs
        return lowered in tweet["text"].lower()


def _percent(value: str) -> str:
    return quote(value, safe="~-._")


def oauth1_valid(request: Request, header: str) -> bool:
    """Check an OAuth 1.0a HMAC-SHA1 signature against the URL this server was called at.

    The real API checks it against its own host; checking it here catches a
    client that signs for api.twitter.com and then sends the request elsewhere.
    """
    pairs = (part.partition("=") for part in header.split(","))
    oauth = {k.strip(): unquote(v.strip().strip('"')) for k, _, v in pairs}
    keys = DEMO_OAUTH1
    if (
        oauth.get("oauth_consumer_key") != keys["consumer_key"]
        or oauth.get("oauth_token") != keys["access_token"]
    ):
        return False
    if oauth.get("oauth_signature_method") != "HMAC-SHA1" or "oauth_signature" not in oauth:
        return False
    params = [(k, v) for k, v in oauth.items() if k not in ("oauth_signature", "realm")]
    params += parse_qsl(request.raw_query, keep_blank_values=True)
    if "application/x-www-form-urlencoded" in request.headers.get("Content-Type", ""):
        params += parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True)
    normalized = "&".join(f"{k}={v}" for k, v in sorted((_percent(k), _percent(v)) for k, v in params))
    base_url = f"{request.origin.lower()}{quote(request.full_path)}"
    base = "&".join((request.method.upper(), _percent(base_url), _percent(normalized)))
    key = f"{_percent(keys['consumer_secret'])}&{_percent(keys['access_token_secret'])}"
    expected = base64.b64encode(hmac.new(key.encode(), base.encode(), hashlib.sha1).digest()).decode()
    return hmac.compare_digest(expected, oauth["oauth_signature"])


def billed_ids(items: Any) -> list[str]:
    items = items if isinstance(items, list) else [items] if isinstance(items, dict) else []
    return [str(item["id"]) for item in items if isinstance(item, dict) and "id" in item]


def billable_write(request: Request, path: str) -> list[tuple[str, str]]:
    if request.method == "POST" and path == "/2/tweets":
        text = str((request.json() or {}).get("text", ""))
        return [("content_create_url" if re.search(r"https?://", text, re.I) else "content_create", "")]
    if request.method == "POST" and path.endswith("/messages"):
        return [("dm_create", "")]
    if request.method == "DELETE":
        return [("interaction_delete", "")]
    if request.method == "PUT" and path.endswith("/hidden"):
        return [("content_manage", "")]
    return []
