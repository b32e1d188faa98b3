"""Demo listening (called by `manage.py demo_seed`): the bank's query, two competitor queries, and
the recent hours of listening history that spike alerts measure the sandbox's traffic against.

Spike alerts compare each quarter hour with a rolling baseline per query and per account
(`listening/spikes.py`). A fresh demo would have none: the first quarter hours of sandbox traffic
would look like a spike against nothing, and an outage switched on would not stand out. So the
demo comes with the hours before it: what the sandbox's crowd says at its steady rate
(`SANDBOX_RATE`, the same channels, topics, people and competitor talk as `devtools/sandbox/
traffic.py`), stored through the same ingest services a poll and a search use, so the per-account
counts, the query matches and the baseline are what the live traffic will continue. Run again (each
`make run`), it fills the hours since the last stored post or the end of the previous run, whichever
is later, up to `HISTORY_HOURS`: the sandbox is silent while BankBuzz is stopped, and a gap would
read as a quiet night followed by a spike.

Before those hours, once, the weeks (`seed_listening_weeks`): thirty days of the same crowd at a
believable rhythm, so the 30-day charts and the staffing heatmap look like a real bank's. People
write by day more than by night (`HOURLY_SHAPE`, a share of the sandbox's rate by hour in London),
less at weekends, and on one weekday morning (`OUTAGE_DAYS_AGO`) the app was down: six times the
volume on X and Facebook for four hours, mostly about logging in. That day is more than seven days
back, so the spike baseline (which also reads the same time of day on the past week) is the
steady one. The weeks give each post its language ("en") rather than detect it: `make run` starts
seconds sooner.

These posts are history, not work: they are kept out of the inbox (`for_inbox` false, no
`mentions_received`; the inbox's own history is `devtools/demo/dashboards/`), and `received_at` is set to
when they were written, as a poll at the time would have.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import zoneinfo
from collections import defaultdict

from django.conf import settings
from django.db import transaction
from django.db.models import F, Max, Min
from django.utils import timezone

from devtools.sandbox import content, world
from devtools.sandbox.traffic import CHANNELS, COMPETITOR_SHARE
from listening.connectors import base
from listening.models import ListeningQuery, Mention, SocialAccount
from listening.query.services import query_create, query_results_ingest
from listening.services import mentions_ingest
from listening.signals import mentions_received_held

BANK_QUERY = "Northbridge Bank"
DEMO_QUERIES = [
    {
        "name": BANK_QUERY,
        "text": '"northbridge bank" OR northbridge OR @northbridgebank',
        "kind": ListeningQuery.Kind.BRAND,
        "inbox_policy": ListeningQuery.InboxPolicy.QUESTIONS,
    },
    {
        "name": "Harbourline Bank",
        "text": '"harbourline bank" OR harbourline OR @harbourline',
        "kind": ListeningQuery.Kind.COMPETITOR,
        "inbox_policy": ListeningQuery.InboxPolicy.NONE,
    },
    {
        "name": "Crestmoor Building Society",
        "text": 'crestmoor OR "crestmoor bs" OR @crestmoorbs',
        "kind": ListeningQuery.Kind.COMPETITOR,
        "inbox_policy": ListeningQuery.InboxPolicy.NONE,
    },
]

HISTORY_PREFIX = "demo-listening-"
# Enough for the baseline's EWMA (alpha 0.1: about two and a half hours) to settle on the rate.
HISTORY_HOURS = 6
# A shorter gap is left alone: a restart within minutes loses nothing a quarter hour would show.
MIN_GAP = dt.timedelta(minutes=5)
DEFAULT_SANDBOX_RATE = 0.01  # as the Procfile's sandbox line: a post every 100 seconds

WEEKS_PREFIX = "demo-weeks-"
WEEKS_DAYS = 30
LONDON = zoneinfo.ZoneInfo("Europe/London")
# The share of the sandbox's rate people write at, by hour of the day in London: quiet at night,
# a morning rise, a lunchtime peak, a second one after work.
HOURLY_SHAPE = (
    0.04, 0.02, 0.02, 0.02, 0.03, 0.05, 0.10, 0.20, 0.34, 0.44, 0.46, 0.46,
    0.50, 0.48, 0.41, 0.38, 0.36, 0.36, 0.38, 0.41, 0.36, 0.26, 0.14, 0.07,
)  # fmt: skip
WEEKEND_SHARE = 0.55
OUTAGE_DAYS_AGO = 12  # moved to the weekday before when it falls on a weekend
OUTAGE_HOURS = (8, 12)  # London time: down at eight, fixed by noon
OUTAGE_FACTOR = 6

BANK_ACCOUNTS = {
    "x": world.BANK_X["user_id"],
    "facebook": world.BANK_FACEBOOK_PAGE["page_id"],
    "linkedin": world.BANK_LINKEDIN_ORG["urn"],
}
_KINDS = {
    "x_mention": base.KIND_MENTION,
    "x_follow_up": base.KIND_REPLY,
    "x_brand_talk": base.KIND_SEARCH,
    "x_dm": base.KIND_DIRECT,
    "fb_comment": base.KIND_COMMENT,
    "fb_comment_reply": base.KIND_COMMENT,
    "fb_visitor_post": base.KIND_POST,
    "fb_tagged": base.KIND_MENTION,
    "fb_message": base.KIND_DIRECT,
    "li_comment": base.KIND_COMMENT,
}


def seed_queries() -> list[ListeningQuery]:
    """Create the demo queries that do not exist yet (by name); existing ones stay as people edited them."""
    out = []
    for spec in DEMO_QUERIES:
        query = ListeningQuery.objects.filter(name=spec["name"]).first()
        out.append(query or query_create(actor=None, **spec))
    return out


def sandbox_rate() -> float:
    """Customer posts per second the sandbox of `make run` produces (`SANDBOX_RATE`)."""
    try:
        return max(0.0, float(os.environ.get("SANDBOX_RATE", DEFAULT_SANDBOX_RATE)))
    except ValueError:
        return DEFAULT_SANDBOX_RATE


def seed_listening_history(
    *, now: dt.datetime | None = None, rate: float | None = None, hours: float = HISTORY_HOURS, seed: int = 11
) -> int:
    """Store what the sandbox's crowd said since the last stored post or run (at most `hours` back).

    Returns how many posts were added (0 when the history is up to date or there is no account).
    """
    now = now or timezone.now()
    rate = sandbox_rate() if rate is None else rate
    accounts = _demo_accounts()
    if rate <= 0 or not accounts:
        return 0
    latest = Mention.objects.filter(
        account__in=accounts.values(), direction=Mention.Direction.IN, created_at__lte=now
    ).aggregate(at=Max("created_at"))["at"]
    floor = now - dt.timedelta(hours=hours)
    start = max(at for at in (latest, _history_covered_until(), floor) if at is not None)
    if now - start < MIN_GAP:
        return 0
    # The window's end goes into its posts' ids: its last minutes may hold no post.
    stamp = f"{HISTORY_PREFIX}{int(start.timestamp())}-{int(now.timestamp())}-"
    own, found = _crowd(random.Random(f"{seed}:{stamp}"), stamp, start=start, end=now, rate=rate)
    return _store(accounts, own, found, stamp)


def _history_covered_until() -> dt.datetime | None:
    """The end of the newest window of history stored, read from its posts' ids.

    A run covers up to its `now`, but its last post is usually earlier (a post every 100 seconds
    at the default rate, and now and then none for many minutes): starting the next run at the
    last post would fill those empty minutes a second time.
    """
    newest = Mention.objects.filter(external_id__startswith=HISTORY_PREFIX).aggregate(id=Max("external_id"))[
        "id"
    ]
    try:
        _start, end, _n = newest.removeprefix(HISTORY_PREFIX).split("-")
        return dt.datetime.fromtimestamp(int(end), tz=dt.UTC)
    except (AttributeError, ValueError):
        return None  # no history yet, or stored by an older version (its ids hold no end)


def _store(
    accounts: dict[str, SocialAccount],
    own: dict[str, list[base.FetchedItem]],
    found: dict[str, list[base.FetchedItem]],
    stamp: str,
) -> int:
    """Store the crowd's posts through the ingest services, as history (see the module docstring)."""
    queries = {q.name: q for q in ListeningQuery.objects.filter(name__in=found, is_active=True)}
    added = 0
    # History, not work: see the module docstring.
    with transaction.atomic(), mentions_received_held():
        for network, items in own.items():
            if network not in accounts:
                continue
            for chunk in _chunks(items):
                account = SocialAccount.objects.get(pk=accounts[network].pk)
                added += len(mentions_ingest(account=account, result=base.FetchResult(items=chunk)))
        for name, items in found.items():
            query = queries.get(name)
            if query is None or "x" not in accounts or "x" not in query.networks:
                continue  # renamed, switched off or deleted: nobody would have searched for it
            for chunk in _chunks(items):
                query.refresh_from_db(fields=["cursors"])
                result = base.FetchResult(items=chunk, cursors=dict(query.cursors.get("x", {})))
                added += len(query_results_ingest(query=query, account=accounts["x"], result=result))
        Mention.objects.filter(external_id__startswith=stamp).update(
            for_inbox=False, received_at=F("created_at")
        )
    return added


def _demo_accounts() -> dict[str, SocialAccount]:
    return {
        network: account
        for network, external_id in BANK_ACCOUNTS.items()
        if (account := SocialAccount.objects.filter(network=network, external_id=external_id).first())
    }


def outage_day(today: dt.date) -> dt.date:
    """The weekday the demo's app outage happened on, `OUTAGE_DAYS_AGO` before `today`."""
    day = today - dt.timedelta(days=OUTAGE_DAYS_AGO)
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day


def seed_listening_weeks(
    *, now: dt.datetime | None = None, rate: float | None = None, days: int = WEEKS_DAYS, seed: int = 13
) -> int:
    """Store the crowd's weeks before the recent hours, once (see the module docstring).

    They end where the stored posts begin (or `HISTORY_HOURS` before now). Returns how many posts
    were added (0 when the weeks are there, or there is no account).
    """
    now = now or timezone.now()
    rate = sandbox_rate() if rate is None else rate
    accounts = _demo_accounts()
    if rate <= 0 or not accounts or Mention.objects.filter(external_id__startswith=WEEKS_PREFIX).exists():
        return 0
    earliest = Mention.objects.filter(
        account__in=accounts.values(), direction=Mention.Direction.IN
    ).aggregate(at=Min("created_at"))["at"]
    end = now - dt.timedelta(hours=HISTORY_HOURS)
    end = min(end, earliest) if earliest else end
    today = now.astimezone(LONDON).date()
    first = today - dt.timedelta(days=days)
    down = outage_day(today)
    rng = random.Random(f"{seed}:{first.isoformat()}")
    own: dict[str, list[base.FetchedItem]] = defaultdict(list)
    found: dict[str, list[base.FetchedItem]] = defaultdict(list)
    day = first
    while day <= today:
        weekend = day.weekday() >= 5
        for hour, share in enumerate(HOURLY_SHAPE):
            start = dt.datetime.combine(day, dt.time(hour), tzinfo=LONDON)
            stop = min(start + dt.timedelta(hours=1), end)
            if stop <= start:
                break
            hourly = rate * share * (WEEKEND_SHARE if weekend else 1.0)
            stamp = f"{WEEKS_PREFIX}{int(start.timestamp())}-"
            _crowd(
                rng,
                stamp,
                start=start,
                end=stop,
                rate=hourly,
                lang="en",
                own=own,
                found=found,
            )
            if day == down and OUTAGE_HOURS[0] <= hour < OUTAGE_HOURS[1]:
                _crowd(
                    rng,
                    f"{stamp}o",
                    start=start,
                    end=stop,
                    rate=hourly * OUTAGE_FACTOR,
                    competitors=False,
                    outage=True,
                    networks=("x", "facebook"),
                    lang="en",
                    own=own,
                    found=found,
                )
        day += dt.timedelta(days=1)
    return _store(accounts, own, found, WEEKS_PREFIX)


# Pages of the weeks' ingest: each distinct text of a page is enriched once, so the larger the
# page the fewer the enrichments (the weeks repeat the crowd's phrases); bounded for high rates.
PAGE = 5000


def _chunks(items: list[base.FetchedItem], size: int = PAGE):
    for index in range(0, len(items), size):
        yield items[index : index + size]


def _crowd(
    rng: random.Random,
    stamp: str,
    *,
    start: dt.datetime,
    end: dt.datetime,
    rate: float,
    competitors: bool = True,
    outage: bool = False,
    networks: tuple[str, ...] | None = None,
    lang: str = "",
    own: dict[str, list[base.FetchedItem]] | None = None,
    found: dict[str, list[base.FetchedItem]] | None = None,
) -> tuple[dict[str, list[base.FetchedItem]], dict[str, list[base.FetchedItem]]]:
    """The sandbox's two streams between start and end, as Poisson processes at its rates.

    Returns (items said to the bank's accounts, per network; items only a search finds, per query),
    added to `own` and `found` when given. `outage` picks the topics of the sandbox's outage,
    `networks` keeps to those networks' channels, `lang` is given to every post (else X's only).
    """
    own = defaultdict(list) if own is None else own
    found = defaultdict(list) if found is None else found
    channels = [c for c in CHANNELS if networks is None or CHANNELS[c][0] in networks]
    weights = [CHANNELS[c][1] for c in channels]
    at, n = start, 0
    while rate > 0 and (at := at + dt.timedelta(seconds=rng.expovariate(rate))) < end:
        n += 1
        channel = rng.choices(channels, weights=weights)[0]
        network = CHANNELS[channel][0]
        topic = content.pick_topic(rng, outage=outage)
        # Spam comes from the bots, as in the sandbox's live traffic.
        customer = rng.choice(content.SPAMMERS if topic == "spam" else content.CUSTOMERS)
        if channel == "x_follow_up":
            text = content.compose_follow_up(rng, network="x")
        elif channel == "x_brand_talk":
            text = content.compose_brand_talk(rng, topic=topic)
        elif channel in ("x_dm", "fb_message"):
            text = content.compose_direct(rng)
        else:
            text = content.compose(rng, topic=topic, network=network)
        item = _item(f"{stamp}{n}", _KINDS[channel], network, text, customer, at, lang=lang)
        if channel == "x_brand_talk":
            found[BANK_QUERY].append(item)
        else:
            own[network].append(item)
    at = start
    while competitors and (at := at + dt.timedelta(seconds=rng.expovariate(rate * COMPETITOR_SHARE))) < end:
        n += 1
        competitor = content.pick_competitor(rng)
        text = content.compose_competitor(rng, competitor)
        item = _item(f"{stamp}{n}", base.KIND_SEARCH, "x", text, rng.choice(content.CUSTOMERS), at, lang=lang)
        found[competitor["name"]].append(item)
    return own, found


def _item(
    external_id: str,
    kind: str,
    network: str,
    text: str,
    customer: content.Customer,
    at: dt.datetime,
    *,
    lang: str = "",
) -> base.FetchedItem:
    """One post, with the author as that network's connector would read them from the sandbox."""
    if network == "x":
        sandbox = getattr(settings, "SANDBOX_URL", "") or ""
        author = base.FetchedAuthor(
            external_id=customer.x_id,
            handle=customer.handle,
            name=customer.name,
            avatar_url=f"{sandbox}/_sandbox/avatars/{customer.handle}.png" if sandbox else "",
            profile_url=f"https://x.com/{customer.handle}",
            followers=customer.followers,
            verified=customer.verified,
        )
    elif network == "facebook":
        author = base.FetchedAuthor(external_id=customer.facebook_id, handle="", name=customer.name)
    else:
        author = base.FetchedAuthor(external_id=customer.linkedin_urn, handle="", name=customer.name)
    return base.FetchedItem(
        external_id=external_id,
        kind=kind,
        text=text,
        author=author,
        created_at=at,
        thread_key=external_id,
        raw={"demo_history": True},
        lang=lang or ("en" if network == "x" else ""),
    )
