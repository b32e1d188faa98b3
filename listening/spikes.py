"""Spike alerts: volume per 15 minutes, per listening query and per account, against a rolling baseline.

The baseline of a scope (a query, or an account's own streams) is the larger of
- an EWMA of its 15-minute counts (alpha 0.1, about the last two and a half
  hours), fed with winsorised counts so a spike does not raise its own bar, and
- the upper quartile of the same time of day on the past seven days: the
  quarter hours from half an hour before to half an hour after it, all days
  pooled (a Monday 9:00 rush is normal on a Monday at 9:00, and one day of
  history is enough to know that mornings get busy, which the EWMA alone
  learns too late; a quartile, not a mean, so one past outage does not raise
  the bar for the next).
Its spread is the EW variance, never less than the Poisson variance (the
mean): counts of rare events are noisy. A quarter hour is a spike when its
count reaches all of: mean + sensitivity * spread (sensitivity 5 by default,
per query configurable), MIN_RATIO * mean, and MIN_COUNT. The quarter hour in
progress is checked too, against the bar of a full one: a big outage shows
before its quarter is over.

One alert per spike: at most one alert is open at a time (a partial unique
index); a run that finds spikes while it is open adds them to it instead of
raising another. It closes after two quiet quarter hours. People are told when
it opens (in the app and by e-mail, leads and managers), with the terms that
are unusual in the spike compared with the day before.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from bankbuzz.api.webhooks import emit
from bankbuzz.audit.services import audit_record
from listening.models import ListeningQuery, Mention, SocialAccount, SpikeAlert
from listening.terms import distinctive_terms

BUCKET = dt.timedelta(minutes=15)
PER_DAY = 96
HISTORY = dt.timedelta(days=8)
ALPHA = 0.1
SAME_TIME_WINDOW = 2  # quarter hours either side of the same time on past days
WARM_UP_BUCKETS = 8  # two hours of history before a scope may alert
QUIET_BUCKETS_TO_CLOSE = 2
_LOCK_ID = 0x5B1CE  # pg advisory lock: one detection at a time


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def default_sensitivity() -> float:
    return _setting("LISTENING_SPIKE_SENSITIVITY", 5.0)


def bucket_start(moment: dt.datetime) -> dt.datetime:
    epoch = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    return epoch + ((moment - epoch) // BUCKET) * BUCKET


# --- The statistics (pure) -------------------------------------------------------------------


@dataclass(frozen=True)
class Baseline:
    mean: float
    spread: float
    history: int  # buckets of history behind it

    def threshold(self, *, sensitivity: float, min_count: float, min_ratio: float) -> float:
        return max(self.mean + sensitivity * self.spread, min_ratio * self.mean, min_count)


def baseline(counts: list[int], *, alpha: float = ALPHA) -> Baseline:
    """EWMA and EW variance of `counts` (oldest first), with a same-time-of-day floor."""
    if not counts:
        return Baseline(0.0, 1.0, 0)
    mean = float(counts[0])
    var = max(mean, 1.0)
    for count in counts[1:]:
        capped = min(count, mean + 4 * math.sqrt(max(var, mean, 1.0)) + 2)
        diff = capped - mean
        mean += alpha * diff
        var = (1 - alpha) * (var + alpha * diff * diff)
    same_time = _same_time_of_day(counts)
    seasonal = statistics.quantiles(same_time, n=4)[2] if len(same_time) >= 2 else 0.0
    level = max(mean, seasonal)
    return Baseline(level, math.sqrt(max(var, level, 1.0)), len(counts))


def _same_time_of_day(counts: list[int]) -> list[int]:
    """The counts within SAME_TIME_WINDOW quarter hours of the next one's time of day, on past days."""
    nxt = len(counts)  # the quarter hour being judged comes right after the history
    out: list[int] = []
    for day in range(1, 8):
        slot = nxt - day * PER_DAY
        if slot < 0:
            break
        out.extend(counts[max(slot - SAME_TIME_WINDOW, 0) : min(slot + SAME_TIME_WINDOW + 1, nxt)])
    return out


# --- Reading counts -------------------------------------------------------------------------------

_BIN = "date_bin('15 minutes', {col}, TIMESTAMPTZ '2000-01-01 00:00:00+00')"


def _query_counts(since: dt.datetime, until: dt.datetime) -> dict[int, dict[dt.datetime, int]]:
    sql = f"""
        SELECT m.query_id, {_BIN.format(col="m.created_at")} AS b, count(*)
        FROM listening_querymatch m JOIN listening_listeningquery q ON q.id = m.query_id
        WHERE q.is_active AND m.created_at >= %s AND m.created_at < %s
        GROUP BY 1, 2
    """  # noqa: S608 - constant SQL
    return _grouped(sql, since, until)


def _account_counts(since: dt.datetime, until: dt.datetime) -> dict[int, dict[dt.datetime, int]]:
    # An account's own streams: what is said to the bank, not the search hits of queries.
    sql = f"""
        SELECT m.account_id, {_BIN.format(col="m.created_at")} AS b, count(*)
        FROM listening_mention m JOIN listening_socialaccount a ON a.id = m.account_id
        WHERE a.is_active AND m.direction = 'in' AND m.kind <> 'search' AND NOT m.is_spam
          AND m.created_at >= %s AND m.created_at < %s
        GROUP BY 1, 2
    """  # noqa: S608 - constant SQL
    return _grouped(sql, since, until)


def _grouped(sql: str, since, until) -> dict[int, dict[dt.datetime, int]]:
    out: dict[int, dict[dt.datetime, int]] = defaultdict(dict)
    with connection.cursor() as cursor:
        cursor.execute(sql, [since, until])
        for scope_id, bucket, count in cursor.fetchall():
            out[scope_id][bucket] = count
    return out


@dataclass
class ScopeSpike:
    kind: str  # "query" or "account"
    id: int
    label: str
    count: int
    baseline: float
    threshold: float
    bucket: dt.datetime

    def as_json(self) -> dict:
        return {
            "kind": self.kind,
            "id": self.id,
            "label": self.label,
            "count": self.count,
            "baseline": round(self.baseline, 1),
            "threshold": round(self.threshold, 1),
            "bucket": self.bucket.isoformat(),
        }


def spike_in_series(
    series: dict[dt.datetime, int], *, current: dt.datetime, sensitivity: float
) -> tuple | None:
    """(count, baseline, threshold, bucket) of the spiking quarter hour, or None."""
    previous = current - BUCKET
    history_end = previous
    nonzero = [bucket for bucket, count in series.items() if count and bucket < history_end]
    if not nonzero:
        return None
    start = min(nonzero)
    steps = int((history_end - start) / BUCKET)
    if steps < WARM_UP_BUCKETS:
        return None
    counts = [series.get(start + i * BUCKET, 0) for i in range(steps)]
    base = baseline(counts)
    bar = base.threshold(
        sensitivity=sensitivity,
        min_count=_setting("LISTENING_SPIKE_MIN_COUNT", 12),
        min_ratio=_setting("LISTENING_SPIKE_MIN_RATIO", 3.0),
    )
    for bucket in (previous, current):
        count = series.get(bucket, 0)
        if count >= bar:
            return count, base.mean, bar, bucket
    return None


def spiking_scopes(*, now: dt.datetime) -> list[ScopeSpike]:
    current = bucket_start(now)
    since, until = current - HISTORY, now
    found: list[ScopeSpike] = []
    queries = {q.pk: q for q in ListeningQuery.objects.filter(is_active=True)}
    for query_id, series in _query_counts(since, until).items():
        query = queries.get(query_id)
        if query is None:
            continue
        hit = spike_in_series(
            series, current=current, sensitivity=query.spike_sensitivity or default_sensitivity()
        )
        if hit:
            found.append(ScopeSpike("query", query_id, query.name, *hit))
    accounts = {a.pk: a for a in SocialAccount.objects.filter(is_active=True)}
    for account_id, series in _account_counts(since, until).items():
        account = accounts.get(account_id)
        if account is None:
            continue
        hit = spike_in_series(series, current=current, sensitivity=default_sensitivity())
        if hit:
            found.append(ScopeSpike("account", account_id, str(account), *hit))
    return found


# --- Alerts --------------------------------------------------------------------------------------------


@dataclass
class DetectOutcome:
    spiking: list[ScopeSpike]
    opened: SpikeAlert | None = None
    updated: SpikeAlert | None = None
    closed: SpikeAlert | None = None


def spikes_detect(*, now: dt.datetime | None = None) -> DetectOutcome:
    """Look for spikes at `now` and open, extend or close the alert. Safe to run at any rate."""
    now = now or timezone.now()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_LOCK_ID])
            if not cursor.fetchone()[0]:
                return DetectOutcome(spiking=[])
        spiking = spiking_scopes(now=now)
        outcome = DetectOutcome(spiking=spiking)
        alert = SpikeAlert.objects.select_for_update().filter(is_open=True).first()
        if spiking and alert is None:
            outcome.opened = _open(spiking, now=now)
        elif spiking:
            outcome.updated = _extend(alert, spiking)
        elif (
            alert is not None
            and alert.last_spike_at <= bucket_start(now) - (QUIET_BUCKETS_TO_CLOSE + 1) * BUCKET
        ):
            outcome.closed = _close(alert)
    return outcome


def _open(spiking: list[ScopeSpike], *, now: dt.datetime) -> SpikeAlert:
    started = min(s.bucket for s in spiking)
    peak = max(spiking, key=lambda s: s.count)
    alert = SpikeAlert.objects.create(
        started_at=started,
        last_spike_at=max(s.bucket for s in spiking),
        peak_count=peak.count,
        baseline=peak.baseline,
        scopes=[s.as_json() for s in spiking],
        terms=spike_terms(spiking, since=started, until=now),
    )
    alert.queries.set([s.id for s in spiking if s.kind == "query"])
    alert.accounts.set([s.id for s in spiking if s.kind == "account"])
    audit_record(
        actor=None, verb="spike_alert.open", obj=alert, after={"scopes": alert.scopes, "terms": alert.terms}
    )
    _notify(alert)
    _emit_opened(alert)
    return alert


def _emit_opened(alert: SpikeAlert) -> None:
    emit(
        "spike.opened",
        {
            "id": alert.pk,
            "started_at": alert.started_at.isoformat(),
            "peak_count": alert.peak_count,
            "baseline": alert.baseline,
            "url": "/listening/alerts/",
        },
    )


def _extend(alert: SpikeAlert, spiking: list[ScopeSpike]) -> SpikeAlert:
    scopes = {(s["kind"], s["id"]): s for s in alert.scopes}
    for spike in spiking:
        known = scopes.get((spike.kind, spike.id))
        if known is None or spike.count > known["count"]:
            scopes[(spike.kind, spike.id)] = spike.as_json()
    alert.scopes = sorted(scopes.values(), key=lambda s: -s["count"])
    alert.last_spike_at = max(alert.last_spike_at, *(s.bucket for s in spiking))
    peak = max(spiking, key=lambda s: s.count)
    if peak.count > alert.peak_count:
        alert.peak_count, alert.baseline = peak.count, peak.baseline
    alert.save(update_fields=["scopes", "last_spike_at", "peak_count", "baseline"])
    alert.queries.add(*[s.id for s in spiking if s.kind == "query"])
    alert.accounts.add(*[s.id for s in spiking if s.kind == "account"])
    return alert


def _close(alert: SpikeAlert) -> SpikeAlert:
    alert.is_open = False
    alert.ended_at = alert.last_spike_at + BUCKET
    alert.save(update_fields=["is_open", "ended_at"])
    audit_record(
        actor=None, verb="spike_alert.close", obj=alert, after={"ended_at": alert.ended_at.isoformat()}
    )
    return alert


def _scope_mentions(spiking: list[ScopeSpike]):
    query_ids = [s.id for s in spiking if s.kind == "query"]
    account_ids = [s.id for s in spiking if s.kind == "account"]
    from django.db.models import Q

    from listening.models import QueryMatch

    condition = Q(pk__in=[])
    if query_ids:
        condition |= Q(pk__in=QueryMatch.objects.filter(query_id__in=query_ids).values("mention_id"))
    if account_ids:
        condition |= Q(account_id__in=account_ids) & ~Q(kind=Mention.Kind.SEARCH)
    return Mention.objects.filter(condition, direction=Mention.Direction.IN, is_spam=False)


def _ignored_words(spiking: list[ScopeSpike]) -> set[str]:
    """The bank's names say nothing about why volume is up.

    A query's own words are not left out: words present in every match score
    nothing against the day before anyway, and "log in" rising from a third of
    the matches to nearly all of them is exactly what the alert should say.
    """
    words: set[str] = set(getattr(settings, "BANK_NAME", "").lower().split())
    for account in SocialAccount.objects.filter(pk__in=[s.id for s in spiking if s.kind == "account"]):
        words.update(f"{account.handle} {account.name}".lower().split())
    return words


def spike_terms(
    spiking: list[ScopeSpike], *, since: dt.datetime, until: dt.datetime, limit: int = 5
) -> list[str]:
    """What is unusual in the spike, against the day before it."""
    mentions = _scope_mentions(spiking)
    spike = list(
        mentions.filter(created_at__gte=since, created_at__lte=until)
        .order_by("-created_at")
        .values_list("text", "lang")[:500]
    )
    before = list(
        mentions.filter(created_at__gte=since - dt.timedelta(days=1), created_at__lt=since)
        .order_by("-created_at")
        .values_list("text", "lang")[:2000]
    )
    return distinctive_terms(spike, before, limit=limit, ignore=_ignored_words(spiking))


def _notify(alert: SpikeAlert) -> None:
    from bankbuzz.accounts import roles
    from bankbuzz.accounts.notifications import notify

    people = (
        get_user_model()
        .objects.filter(groups__name__in=[roles.LEAD, roles.MANAGER], is_active=True)
        .distinct()
    )
    top = alert.scopes[0] if alert.scopes else {}
    usual = f"{top.get('count', 0)} in 15 minutes, usually about {top.get('baseline', 0):.0f}"
    notify(
        recipients=people,
        verb="listening.spike",
        text=f"{alert.title} ({usual})",
        url=f"{reverse('listening:alerts')}#alert-{alert.pk}",
    )
