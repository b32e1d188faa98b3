"""Recorded complaints for the seed: a few percent of the conversations, written with COPY.

The seed's generator notes, for a sample of its conversations (`SAMPLE`, drawn from a random
stream of its own so the rest of the seed is the same data as without complaints), the customer
messages the enrichment labelled complaint or fraud. Those whose first such message reads
negative become complaints here, received at that message, under the regimes, products and
causes the complaints migration creates (`complaints.seed`), with their clocks computed by
`complaints.clocks` as confirming one does. Each then lives the life of a complaint worked on
time or not: a summary resolution within the regime's three business days, or an
acknowledgement and a final response (15 % late, a few after a holding reply); the letters
are recorded as sent by e-mail or post. What would be sent after the seed's `now` has not
happened yet: those complaints are open, most with their deadlines ahead, some overdue.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection

# Of the conversations the generator samples (a few percent of all of them end up complaints).
SAMPLE = 0.07
LABELLED = ("complaint", "fraud")
# Words of the first message -> (product, cause), as the demo categorises its complaints.
KEYWORDS = (
    (
        ("fraud", "scam", "stolen", "authoris", "recognise"),
        ("Debit card", "Fraud, scams and unauthorised transactions"),
    ),
    (("declined", "card"), ("Debit card", "Payment or transaction errors")),
    (("transfer", "payment", "arrived"), ("Payments and transfers", "Payment or transaction errors")),
    (("app", "down", "login", "log in", "outage"), ("Mobile and online banking", "Systems and app outages")),
    (("fee", "charge", "interest"), ("Current account", "Fees, charges and interest")),
    (("mortgage",), ("Mortgage", "Service and delays")),
    (("overdraft",), ("Overdraft", "Affordability and financial difficulty")),
)
PAYMENT_CAUSES = ("Payment or transaction errors", "Fraud, scams and unauthorised transactions")
LETTER_TEXT = {
    "acknowledgement": "Thank you for telling us about this. We have logged it as a complaint and are "
    "looking into it; we will write again with our answer.",
    "holding": "We are still looking into your complaint and need more time; we will send our final "
    "response by the date the rules allow.",
    "summary": "We have looked into your complaint and put things right. If you are not happy with "
    "this, you may refer it to the Financial Ombudsman Service.",
    "final": "This is our final response to your complaint. If you are not happy with it, you may "
    "refer it to the Financial Ombudsman Service within six months.",
}
OUTCOMES = (("upheld", 35), ("partly", 15), ("not_upheld", 50))
REDRESS = (25, 50, 75, 100, 150, 250)


@dataclass
class Candidate:
    """A sampled conversation's customer messages labelled complaint or fraud (the first one
    negative), noted by the generator."""

    conversation_id: int
    network: str
    customer_id: int
    account_id: int
    assignee_id: int | None
    first_text: str
    received_at: dt.datetime
    mention_ids: list[int] = field(default_factory=list)


@dataclass
class _Rows:
    complaints: list[dict] = field(default_factory=list)
    letters: list[dict] = field(default_factory=list)
    links: list[tuple[int, int, int]] = field(default_factory=list)


def _categories() -> dict[str, int]:
    from complaints.models import Category

    return {f"{c.kind}:{c.name}": c.pk for c in Category.objects.all()}


def _product_and_cause(text: str, categories: dict[str, int]) -> tuple[int | None, int | None, str]:
    lowered = text.lower()
    for words, (product, cause) in KEYWORDS:
        if any(w in lowered for w in words):
            return categories.get(f"product:{product}"), categories.get(f"cause:{cause}"), cause
    return None, categories.get("cause:Service and delays"), "Service and delays"


class _Life:
    """One complaint's clocks and what was done when, as `complaints.services` would record it."""

    def __init__(self, rng: random.Random, cal, clocks_cache: dict, regime, received: dt.datetime):
        from complaints import clocks

        self.rng, self.received = rng, received
        self.snapshot = regime.snapshot()
        day0 = cal.counts_from(received)
        key = (regime.code, day0)
        if key not in clocks_cache:
            clocks_cache[key] = clocks.clocks_for(cal, received, self.snapshot)
        self.clocks = clocks_cache[key]
        self.extended = clocks.extended_due(cal, day0, self.snapshot)

    def between(self, start: dt.datetime, end: dt.datetime, low: float, high: float) -> dt.datetime:
        return start + (end - start) * self.rng.uniform(low, high)


def complaint_rows(candidates: list[Candidate], *, rng: random.Random, now: dt.datetime, agents) -> _Rows:
    from complaints.models import ComplaintRegime
    from complaints.seed import seed_now
    from complaints.services import calendar

    seed_now()  # what the migration created (a test's flush removes it): adds only what is missing
    regimes = {r.code: r for r in ComplaintRegime.objects.filter(code__in=("uk-disp", "uk-payments"))}
    categories, cal, cache = _categories(), calendar(), {}
    pick_outcome = [o for o, weight in OUTCOMES for _ in range(weight)]
    rows = _Rows()
    for candidate in candidates:
        product, cause, cause_name = _product_and_cause(candidate.first_text, categories)
        if rng.random() < 0.08:
            product = cause = None  # not categorised yet
        regime = regimes["uk-payments" if cause_name in PAYMENT_CAUSES and rng.random() < 0.6 else "uk-disp"]
        life = _Life(rng, cal, cache, regime, candidate.received_at)
        complaint_id = len(rows.complaints) + 1
        actor = candidate.assignee_id or rng.choice(agents).pk
        complaint = _complaint(candidate, life, complaint_id, regime, product, cause, actor, now)
        _work(complaint, life, rows, now=now, outcome=rng.choice(pick_outcome), tz=cal.tz)
        rows.complaints.append(complaint)
        for mention_id in candidate.mention_ids:
            rows.links.append((len(rows.links) + 1, complaint_id, mention_id))
    return rows


def _complaint(
    candidate: Candidate, life: _Life, complaint_id: int, regime, product, cause, actor, now: dt.datetime
) -> dict:
    clocks, received = life.clocks, candidate.received_at
    confirmed = min(now, received + dt.timedelta(minutes=life.rng.randint(5, 240)))
    return {
        "id": complaint_id,
        "conversation_id": candidate.conversation_id,
        "customer_id": candidate.customer_id,
        "account_id": candidate.account_id,
        "network": candidate.network,
        "first_message_id": candidate.mention_ids[0],
        "received_at": received,
        "counts_from": clocks.counts_from.isoformat(),
        "summary": candidate.first_text[:120],
        "product_id": product,
        "cause_id": cause,
        "regime_id": regime.pk,
        "regime_snapshot": life.snapshot,
        "status": "open",
        "summary_due_at": clocks.summary_due_at,
        "acknowledge_due_at": clocks.acknowledge_due_at,
        "final_due_at": clocks.final_due_at,
        "confirmed_by_id": actor,
        "created_at": confirmed,
        "updated_at": confirmed,
        "version": 1,
    }


def _work(complaint: dict, life: _Life, rows: _Rows, *, now: dt.datetime, outcome: str, tz) -> None:
    """The letters sent by `now`, and what each did to the complaint (letters.py's rules)."""
    rng, received, clocks = life.rng, life.received, life.clocks
    start = complaint["created_at"]
    plan: list[tuple[str, dt.datetime]] = []
    if clocks.summary_due_at and rng.random() < 0.35:
        plan.append(("summary", life.between(start, clocks.summary_due_at, 0.1, 0.95)))
    else:
        owed = clocks.acknowledge_due_at or clocks.final_due_at
        acknowledged = life.between(start, owed, 0.05, 0.9)
        if rng.random() < 0.04:
            acknowledged = owed + dt.timedelta(hours=rng.randint(2, 72))
        plan.append(("acknowledgement", acknowledged))
        final_due = clocks.final_due_at
        if life.extended and rng.random() < 0.1:
            holding = life.between(acknowledged, final_due, 0.6, 0.95)
            plan.append(("holding", holding))
            final_due = max(final_due, life.extended)
        if rng.random() < 0.15:  # late (40 days on average): a few are open and overdue at `now`
            final = final_due + dt.timedelta(days=1 + rng.expovariate(1 / 40))
        else:
            final = life.between(acknowledged, final_due, 0.2, 0.98)
        plan.append(("final", final))
    for kind, at in plan:
        if at > now:
            break
        _letter(complaint, kind, at, rows, outcome=outcome, tz=tz, rng=rng)
        if kind == "holding":
            complaint["final_due_at"] = max(complaint["final_due_at"], life.extended)
    complaint["updated_at"] = max(complaint["updated_at"], *(at for _kind, at in plan if at <= now), received)


def _letter(complaint: dict, kind: str, at: dt.datetime, rows: _Rows, *, outcome: str, tz, rng) -> None:
    closing = kind in ("summary", "final")
    redress = None
    if closing and outcome != "not_upheld" and rng.random() < 0.5:
        redress = Decimal(rng.choice(REDRESS))
    rows.letters.append(
        {
            "id": len(rows.letters) + 1,
            "complaint_id": complaint["id"],
            "kind": kind,
            "channel": "email" if rng.random() < 0.7 else "post",
            "text": LETTER_TEXT[kind],
            "sent_on": at.astimezone(tz).date().isoformat(),
            "sent_at": at,
            "reply_id": None,
            "outcome": outcome if closing else "",
            "redress": redress,
            "created_by_id": complaint["confirmed_by_id"],
            "created_at": at,
        }
    )
    complaint["version"] += 1
    if kind in ("acknowledgement", "holding") and not complaint.get("acknowledged_at"):
        complaint["acknowledged_at"] = at
    if kind == "holding":
        complaint["holding_reply_at"] = at
    if closing:
        complaint["status"] = "resolved" if kind == "summary" else "closed"
        complaint["closed_at"] = at
        complaint["outcome"], complaint["redress"] = outcome, redress
        complaint["resolved_at" if kind == "summary" else "final_response_at"] = at


def seed_complaints(candidates: list[Candidate], *, rng: random.Random, now: dt.datetime, agents) -> tuple:
    """COPY the complaints of `candidates`, their letters and messages; returns the models written
    (for VACUUM ANALYZE) and the number of complaints and of those still open."""
    from bench.seed import Table
    from complaints.models import Complaint, Letter

    rows = complaint_rows(candidates, rng=rng, now=now, agents=agents)
    if not rows.complaints:
        return (), 0, 0
    through = Complaint.messages.through
    Table(Complaint, rows.complaints[0]).copy(rows.complaints)
    if rows.letters:
        Table(Letter, rows.letters[0]).copy(rows.letters)
    Table(through, {"id": 1}).copy({"id": pk, "complaint_id": c, "mention_id": m} for pk, c, m in rows.links)
    with connection.cursor() as cursor:
        for model, count in (
            (Complaint, len(rows.complaints)),
            (Letter, len(rows.letters)),
            (through, len(rows.links)),
        ):
            if count:
                cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [f'"{model._meta.db_table}"'])
                cursor.execute("SELECT setval(%s, %s)", [cursor.fetchone()[0], count])
    still_open = sum(1 for c in rows.complaints if c["status"] == "open")
    return (Complaint, Letter, through), len(rows.complaints), still_open
