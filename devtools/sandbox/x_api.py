"""A stand-in for the X API v2, faithful enough for the real `tweepy.Client`.

What matters to a client is reproduced: ids as strings, `created_at` with
milliseconds and a Z, `edit_history_tweet_ids`, only the requested fields,
`includes.users` for the `author_id` / `sender_id` expansions, newest-first
pages that go older with `next_token`, `x-rate-limit-*` headers on every
response, and errors in X's problem+json shape.
"""

from __future__ import annotations

import re
from typing import Any

from devtools.sandbox.state import Record
from devtools.sandbox.wire import (
    Context,
    HttpError,
    NetworkApi,
    Request,
    Response,
    Route,
    decode_token,
    encode_token,
    int_param,
    iso_ms,
    route,
)
from devtools.sandbox.world import BANK_X, DEMO_TOKEN
from devtools.sandbox.x_wire import (
    SearchQuery,
    billable_write,
    billed_ids,
    fields_param,
    mentions_of,
    oauth1_valid,
    render_tweet,
    render_user,
)

_DEFAULT_TWEET_FIELDS = ("id", "text", "edit_history_tweet_ids")
_PROBLEM_JSON = "application/problem+json"
_STATUS_TITLES = {
    400: "Invalid Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found Error",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class XApi(NetworkApi):
    network = "x"
    prefix = "/x"

    def routes(self) -> list[Route]:
        return [
            route(
                "GET", r"/2/users/(?P<id>\d+)/mentions", "GET /2/users/:id/mentions", self.mentions, limit=450
            ),
            route(
                "GET", r"/2/users/(?P<id>\d+)/tweets", "GET /2/users/:id/tweets", self.user_tweets, limit=1500
            ),
            route("GET", r"/2/users/me", "GET /2/users/me", self.me, limit=75),
            route("GET", r"/2/tweets/search/recent", "GET /2/tweets/search/recent", self.search, limit=450),
            route("GET", r"/2/tweets/(?P<id>\d+)", "GET /2/tweets/:id", self.tweet, limit=900),
            route("POST", r"/2/tweets", "POST /2/tweets", self.create_tweet, limit=200),
            route("DELETE", r"/2/tweets/(?P<id>\d+)", "DELETE /2/tweets/:id", self.delete_tweet, limit=50),
            route(
                "PUT", r"/2/tweets/(?P<id>\d+)/hidden", "PUT /2/tweets/:id/hidden", self.hide_reply, limit=50
            ),
            route("GET", r"/2/dm_events", "GET /2/dm_events", self.dm_events, limit=300),
            route(
                "GET",
                r"/2/dm_conversations/with/(?P<participant>\d+)/dm_events",
                "GET /2/dm_conversations/with/:participant_id/dm_events",
                self.dm_events,
                limit=300,
            ),
            route(
                "GET",
                r"/2/dm_conversations/(?P<conversation>[\d-]+)/dm_events",
                "GET /2/dm_conversations/:id/dm_events",
                self.dm_events,
                limit=300,
            ),
            route(
                "POST",
                r"/2/dm_conversations/with/(?P<participant>\d+)/messages",
                "POST /2/dm_conversations/with/:participant_id/messages",
                self.create_dm,
                limit=200,
            ),
            route(
                "POST",
                r"/2/dm_conversations/(?P<conversation>[\d-]+)/messages",
                "POST /2/dm_conversations/:id/messages",
                self.create_dm,
                limit=200,
            ),
        ]

    # -- dialect -----------------------------------------------------------------

    def billable(self, request: Request, response: Response) -> list[tuple[str, str]]:
        """X's pay-per-use bill: reads per resource returned, writes per successful request."""
        if response.status >= 400:
            return []
        path = request.path.rstrip("/")
        if request.method != "GET":
            return billable_write(request, path)
        payload = response.payload if isinstance(response.payload, dict) else {}
        if "/dm_events" in path:
            main = "dm_event_read"
        elif re.search(r"/2/users(/me|/by|/\d+$)", path):
            main = "user_read"
        else:
            main = "post_read"
        includes = payload.get("includes") or {}
        return (
            [(main, i) for i in billed_ids(payload.get("data"))]
            + [("user_read", i) for i in billed_ids(includes.get("users"))]
            + [("post_read", i) for i in billed_ids(includes.get("tweets"))]
        )

    def authenticate(self, request: Request) -> bool:
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            return header[len("Bearer ") :] == DEMO_TOKEN
        if header.startswith("OAuth "):
            return oauth1_valid(request, header[len("OAuth ") :])
        return False

    def error(self, status: int, message: str, *, reset_at: int | None = None) -> Response:
        title = _STATUS_TITLES.get(status, "Error")
        payload: dict[str, Any] = {"title": title, "detail": message, "type": "about:blank", "status": status}
        if status == 400:
            payload = {
                "errors": [{"message": message}],
                "title": title,
                "detail": "One or more parameters to your request was invalid.",
                "type": "https://api.twitter.com/2/problems/invalid-request",
            }
        elif status == 404:
            payload["type"] = "https://api.twitter.com/2/problems/resource-not-found"
        return Response(status=status, payload=payload, content_type=_PROBLEM_JSON)

    def expired(self) -> Response:
        return self.error(401, "Unauthorized")

    def rate_headers(self, *, limit: int, remaining: int, reset_at: int) -> dict[str, str]:
        return {
            "x-rate-limit-limit": str(limit),
            "x-rate-limit-remaining": str(remaining),
            "x-rate-limit-reset": str(reset_at),
        }

    def server_error(self, sequence: int) -> Response:
        # Alternate the two failures a client meets: X's own 503, and a proxy's bare 502.
        if sequence % 2:
            return Response(
                status=502,
                body=b"<html><body><h1>502 Bad Gateway</h1></body></html>",
                content_type="text/html",
            )
        return self.error(503, "Service Unavailable")

    # -- timelines ---------------------------------------------------------------

    def _page(
        self, ctx: Context, tweets: list[Record], *, max_results: int, with_ids: bool = True
    ) -> Response:
        request = ctx.request
        since_id = request.query.get("since_id", "")
        until_id = request.query.get("until_id", "")
        for name, value in (("since_id", since_id), ("until_id", until_id)):
            if value and not value.isdigit():
                raise HttpError(400, f"The `{name}` query parameter value [{value}] is not a valid id")
        token = request.query.get("pagination_token") or request.query.get("next_token") or ""
        older_than = decode_token(token) if token else ""
        if older_than and not older_than.isdigit():
            raise HttpError(400, "invalid pagination token")
        selected = sorted(
            (
                t
                for t in tweets
                if (not since_id or int(t["id"]) > int(since_id))
                and (not until_id or int(t["id"]) < int(until_id))
                and (not older_than or int(t["id"]) < int(older_than))
            ),
            key=lambda t: int(t["id"]),
            reverse=True,
        )
        page, rest = selected[:max_results], selected[max_results:]
        return self._tweets_response(ctx, page, has_more=bool(rest), with_ids=with_ids)

    def _tweets_response(
        self, ctx: Context, page: list[Record], *, has_more: bool, with_ids: bool
    ) -> Response:
        request = ctx.request
        tweet_fields = fields_param(request, "tweet.fields")
        user_fields = fields_param(request, "user.fields")
        expansions = fields_param(request, "expansions")
        payload: dict[str, Any] = {}
        meta: dict[str, Any] = {"result_count": len(page)}
        if page:
            payload["data"] = [render_tweet(t, tweet_fields) for t in page]
            if with_ids:
                meta["newest_id"] = page[0]["id"]
                meta["oldest_id"] = page[-1]["id"]
            includes = self._includes(
                ctx, page, expansions, tweet_fields, user_fields, author_key="author_id"
            )
            if includes:
                payload["includes"] = includes
        if has_more and page:
            meta["next_token"] = encode_token(page[-1]["id"])
        payload["meta"] = meta
        return Response(payload=payload)

    def _includes(
        self,
        ctx: Context,
        items: list[Record],
        expansions: set[str],
        tweet_fields: set[str],
        user_fields: set[str],
        *,
        author_key: str,
    ) -> dict[str, Any]:
        users = ctx.store.data["x"]["users"]
        tweets = ctx.store.data["x"]["tweets"]
        includes: dict[str, Any] = {}
        if author_key in expansions:
            seen: list[str] = []
            for item in items:
                if item[author_key] not in seen and item[author_key] in users:
                    seen.append(item[author_key])
            includes["users"] = [render_user(users[uid], user_fields, ctx.request.origin) for uid in seen]
        if "referenced_tweets.id" in expansions:
            refs = [r["id"] for item in items for r in item.get("referenced_tweets", []) if r["id"] in tweets]
            if refs:
                includes["tweets"] = [render_tweet(tweets[i], tweet_fields) for i in dict.fromkeys(refs)]
        return includes

    def mentions(self, ctx: Context) -> Response:
        user_id = ctx.match["id"]
        if user_id not in ctx.store.data["x"]["users"]:
            raise HttpError(404, f"Could not find user with id: [{user_id}].")
        max_results = int_param(ctx.request, "max_results", 10, low=5, high=100)
        return self._page(ctx, mentions_of(ctx.store, user_id), max_results=max_results)

    def user_tweets(self, ctx: Context) -> Response:
        user_id = ctx.match["id"]
        max_results = int_param(ctx.request, "max_results", 10, low=5, high=100)
        tweets = [t for t in ctx.store.data["x"]["tweets"].values() if t["author_id"] == user_id]
        excluded = fields_param(ctx.request, "exclude")
        if "replies" in excluded:
            tweets = [t for t in tweets if not any(r["type"] == "replied_to" for r in t["referenced_tweets"])]
        if "retweets" in excluded:
            tweets = [t for t in tweets if not any(r["type"] == "retweeted" for r in t["referenced_tweets"])]
        return self._page(ctx, tweets, max_results=max_results)

    def search(self, ctx: Context) -> Response:
        query = ctx.request.query.get("query", "")
        if len(query) > 512:
            raise HttpError(400, "query is longer than 512 characters")
        parsed = SearchQuery(query)
        max_results = int_param(ctx.request, "max_results", 10, low=10, high=100)
        users = ctx.store.data["x"]["users"]
        hits = [t for t in ctx.store.data["x"]["tweets"].values() if parsed.matches(t, users)]
        return self._page(ctx, hits, max_results=max_results)

    def tweet(self, ctx: Context) -> Response:
        tweet = ctx.store.data["x"]["tweets"].get(ctx.match["id"])
        if tweet is None:
            raise HttpError(404, f"Could not find tweet with id: [{ctx.match['id']}].")
        response = self._tweets_response(ctx, [tweet], has_more=False, with_ids=False)
        response.payload["data"] = response.payload["data"][0]
        response.payload.pop("meta", None)
        return response

    def me(self, ctx: Context) -> Response:
        user = ctx.store.data["x"]["users"][BANK_X["user_id"]]
        return Response(
            payload={"data": render_user(user, fields_param(ctx.request, "user.fields"), ctx.request.origin)}
        )

    # -- writing -----------------------------------------------------------------

    def create_tweet(self, ctx: Context) -> Response:
        body = ctx.request.json()
        text = body.get("text") if isinstance(body, dict) else None
        if not isinstance(text, str) or not text.strip():
            raise HttpError(400, "text must be a non-empty string")
        if len(text) > 280:
            raise HttpError(400, "text is longer than 280 characters")
        in_reply_to = str((body.get("reply") or {}).get("in_reply_to_tweet_id") or "")
        if in_reply_to and in_reply_to not in ctx.store.data["x"]["tweets"]:
            raise HttpError(400, "the Tweet being replied to does not exist or was deleted")
        quote_of = str(body.get("quote_tweet_id") or "")
        with ctx.store.mutate():
            tweet = ctx.store.add_tweet(
                text=text, author_id=BANK_X["user_id"], in_reply_to=in_reply_to, quote_of=quote_of
            )
            ctx.store.record_sent(
                network="x",
                kind="reply" if in_reply_to else "post",
                external_id=tweet["id"],
                text=text,
                in_reply_to=in_reply_to,
            )
        data = {"id": tweet["id"], "text": text, "edit_history_tweet_ids": [tweet["id"]]}
        return Response(status=201, payload={"data": data})

    def delete_tweet(self, ctx: Context) -> Response:
        """The account deletes one of its own posts; it is gone from every later read."""
        tweets = ctx.store.data["x"]["tweets"]
        tweet = tweets.get(ctx.match["id"])
        if tweet is None:
            raise HttpError(404, f"Could not find tweet with id: [{ctx.match['id']}].")
        if tweet["author_id"] != BANK_X["user_id"]:
            raise HttpError(403, "You are not allowed to delete a Tweet you did not author.")
        with ctx.store.mutate():
            tweets.pop(tweet["id"])
            ctx.store.data["x"].setdefault("deleted", []).append(tweet["id"])
        return Response(payload={"data": {"deleted": True}})

    def hide_reply(self, ctx: Context) -> Response:
        """Hide (or show again) a reply in a conversation the bank's account started."""
        tweets = ctx.store.data["x"]["tweets"]
        tweet = tweets.get(ctx.match["id"])
        body = ctx.request.json()
        if tweet is None:
            raise HttpError(404, f"Could not find tweet with id: [{ctx.match['id']}].")
        if not isinstance(body, dict) or not isinstance(body.get("hidden"), bool):
            raise HttpError(400, "hidden must be true or false")
        root = tweets.get(tweet["conversation_id"])
        if tweet["id"] == tweet["conversation_id"] or root is None or root["author_id"] != BANK_X["user_id"]:
            raise HttpError(403, "You can only hide replies to conversations you started.")
        with ctx.store.mutate():
            tweet["hidden"] = body["hidden"]
        return Response(payload={"data": {"hidden": body["hidden"]}})

    def create_dm(self, ctx: Context) -> Response:
        body = ctx.request.json()
        text = body.get("text") if isinstance(body, dict) else None
        if not isinstance(text, str) or not text.strip():
            raise HttpError(400, "text must be a non-empty string")
        if len(text) > 10_000:
            raise HttpError(400, "text is longer than 10000 characters")
        bank = BANK_X["user_id"]
        participant = ctx.match.groupdict().get("participant") or ""
        conversation = ctx.match.groupdict().get("conversation") or ""
        if conversation:
            parts = conversation.split("-")
            if len(parts) != 2 or bank not in parts:
                raise HttpError(404, f"Could not find DM conversation with id: [{conversation}].")
            participant = parts[0] if parts[1] == bank else parts[1]
        if participant not in ctx.store.data["x"]["users"] or participant == bank:
            raise HttpError(400, f"participant [{participant}] cannot receive direct messages")
        with ctx.store.mutate():
            event = ctx.store.add_dm(text=text, sender_id=bank, recipient_id=participant)
            ctx.store.record_sent(
                network="x",
                kind="direct",
                external_id=event["id"],
                text=text,
                recipient_id=participant,
                thread=event["dm_conversation_id"],
            )
        return Response(
            status=201,
            payload={"data": {"dm_conversation_id": event["dm_conversation_id"], "dm_event_id": event["id"]}},
        )

    # -- direct messages -----------------------------------------------------------

    def dm_events(self, ctx: Context) -> Response:
        request = ctx.request
        bank = BANK_X["user_id"]
        max_results = int_param(request, "max_results", 100, low=1, high=100)
        events = [e for e in ctx.store.data["x"]["dm_events"].values() if bank in e["participant_ids"]]
        participant = ctx.match.groupdict().get("participant")
        conversation = ctx.match.groupdict().get("conversation")
        if participant:
            events = [e for e in events if participant in e["participant_ids"]]
        if conversation:
            events = [e for e in events if e["dm_conversation_id"] == conversation]
        types = fields_param(request, "event_types")
        if types and "MessageCreate" not in types:
            events = []
        token = request.query.get("pagination_token", "")
        older_than = decode_token(token) if token else ""
        if older_than and not older_than.isdigit():
            raise HttpError(400, "invalid pagination token")
        if older_than:
            events = [e for e in events if int(e["id"]) < int(older_than)]
        events.sort(key=lambda e: int(e["id"]), reverse=True)
        page, rest = events[:max_results], events[max_results:]
        event_fields = fields_param(request, "dm_event.fields") | {"id", "event_type", "text"}
        payload: dict[str, Any] = {}
        if page:
            payload["data"] = [self._render_event(e, event_fields) for e in page]
            expansions = fields_param(request, "expansions")
            includes = self._includes(
                ctx, page, expansions, set(), fields_param(request, "user.fields"), author_key="sender_id"
            )
            if includes:
                payload["includes"] = includes
        meta: dict[str, Any] = {"result_count": len(page)}
        if rest:
            meta["next_token"] = encode_token(page[-1]["id"])
        payload["meta"] = meta
        return Response(payload=payload)

    @staticmethod
    def _render_event(event: Record, fields: set[str]) -> dict[str, Any]:
        out: dict[str, Any] = {"id": event["id"], "event_type": event["event_type"], "text": event["text"]}
        if "created_at" in fields:
            out["created_at"] = iso_ms(event["created_ms"])
        if "sender_id" in fields:
            out["sender_id"] = event["sender_id"]
        if "dm_conversation_id" in fields:
            out["dm_conversation_id"] = event["dm_conversation_id"]
        if "participant_ids" in fields:
            out["participant_ids"] = list(event["participant_ids"])
        return out
