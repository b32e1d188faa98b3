"""Retention: how long each kind of record is kept, legal holds, and the nightly run.

The audit app sits at the bottom of the dependency graph, so it knows no inbox or listening
model. Each app declares its own kinds of records from its `AppConfig.ready()`
(`listening/retention.py`, `inbox/retention.py`, ...): what a kind covers, whether it is
deleted or anonymised, its bank default and legal minimum, which of its rows are due, which
of those a legal hold protects, and how to delete or anonymise a batch of ids. This module
runs them.

The run works in batches of ids, each batch its own transaction, walking the primary key
upwards (keyset), so a million due mentions never sit in memory and a crash loses at most the
batch in flight: the next run finds what is still due and carries on. Deleting is naturally
idempotent; an anonymising kind's `candidates` leaves out what is anonymised already.

A hold is read afresh at the start of every batch, under a shared advisory lock; placing a
hold takes the same lock exclusively, so a hold is never placed on something a batch in
flight is removing without one of them seeing the other.

The audit log is not a kind: it is append-only in PostgreSQL and kept by its own rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from bankbuzz.audit.models import LegalHold, RetentionPolicy
from bankbuzz.audit.services import audit_record

DELETE = "delete"
ANONYMISE = "anonymise"
ACTIONS = {DELETE: "Deleted", ANONYMISE: "Anonymised"}

# What anonymised text reads as, everywhere.
REMOVED = "[removed]"

YEAR = 365
BATCH_SIZE = 1000

# pg advisory lock keys: one run at a time; holds against batches.
RUN_LOCK = 0x42425254  # "BBRT"
HOLD_LOCK = 0x4242484C  # "BBHL"


# --- Holds ----------------------------------------------------------------------------------------


class Holds:
    """The ids under an active legal hold, per model label ("inbox.conversation"). Few: a set."""

    def __init__(self, by_label: dict[str, frozenset[int]]):
        self._by_label = by_label

    @classmethod
    def load(cls) -> Holds:
        by_label: dict[str, set[int]] = {}
        rows = LegalHold.objects.filter(lifted_at__isnull=True).values_list(
            "content_type__app_label", "content_type__model", "object_id"
        )
        for app_label, model, object_id in rows:
            by_label.setdefault(f"{app_label}.{model}", set()).add(object_id)
        return cls({label: frozenset(ids) for label, ids in by_label.items()})

    def ids(self, label: str) -> frozenset[int]:
        return self._by_label.get(label, frozenset())

    def __bool__(self) -> bool:
        return any(self._by_label.values())


def active_hold(obj: models.Model) -> LegalHold | None:
    return (
        LegalHold.objects.filter(
            content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk, lifted_at__isnull=True
        )
        .select_related("placed_by")
        .first()
    )


def hold_reason(hold: LegalHold) -> str:
    who = hold.placed_by.get_username() if hold.placed_by else "someone"
    return f"legal hold {hold.pk}, placed by {who} on {hold.placed_at:%Y-%m-%d}: {hold.reason}"


@dataclass(frozen=True)
class HoldTarget:
    """Something a legal hold can be placed on, declared by the app that owns it."""

    key: str  # "conversation", "author"
    label: str  # "Conversation", "Person"
    model: type[models.Model]
    help: str  # how to name one in the form
    find: Callable[[str], models.Model | None]  # the form's reference -> the object
    describe: Callable[[models.Model], str]


# --- Kinds ----------------------------------------------------------------------------------------


def no_hold(holds: Holds) -> Q | None:
    """`held` of a kind no legal hold reaches (staff records, logs)."""
    return None


def deleter(model: type[models.Model]) -> Callable[[list[int]], int]:
    """`apply` of a kind whose rows are simply deleted: deletes the ids, returns how many."""

    def delete(ids: list[int]) -> int:
        return model.objects.filter(pk__in=ids).delete()[1].get(model._meta.label, 0)

    return delete


@dataclass(frozen=True)
class Kind:
    key: str  # "inbox.unactioned_hits"
    label: str
    covers: str  # in words, for the settings page and the README
    action: str  # DELETE or ANONYMISE
    default_days: int
    minimum_days: int
    # Rows due at `cutoff` and not yet dealt with, holds ignored.
    candidates: Callable[[dt.datetime], QuerySet]
    # Delete or anonymise these ids (all due, none held); returns how many.
    apply: Callable[[list[int]], int]
    # The rows a hold protects, as a filter on `candidates` (None: no hold can apply).
    held: Callable[[Holds], Q | None] = no_hold
    since: str = "last activity"  # what the days count from, in words
    batch_size: int = BATCH_SIZE


@dataclass
class Registry:
    kinds: dict[str, Kind] = field(default_factory=dict)
    hold_targets: dict[str, HoldTarget] = field(default_factory=dict)
    # model label -> callbacks run before rows of that model are deleted / after they are anonymised
    on_delete: dict[str, list[Callable[[list[int]], None]]] = field(default_factory=dict)
    on_anonymise: dict[str, list[Callable[[list[int]], None]]] = field(default_factory=dict)
    erasure_subject: Callable | None = None
    erasure_networks: list[tuple[str, str]] = field(default_factory=list)
    erasers: list[Callable] = field(default_factory=list)


registry = Registry()


def register_kind(kind: Kind) -> None:
    if kind.action not in ACTIONS:
        raise ValueError(f"{kind.key}: action must be delete or anonymise")
    if kind.default_days < kind.minimum_days:
        raise ValueError(f"{kind.key}: the default is below the minimum")
    registry.kinds[kind.key] = kind


def register_hold_target(target: HoldTarget) -> None:
    registry.hold_targets[target.key] = target


def register_dependents(
    model_label: str,
    *,
    on_delete: Callable[[list[int]], None] | None = None,
    on_anonymise: Callable[[list[int]], None] | None = None,
) -> None:
    """A higher app's rows that hang on a lower app's model (escalations on conversations)."""
    if on_delete:
        registry.on_delete.setdefault(model_label, []).append(on_delete)
    if on_anonymise:
        registry.on_anonymise.setdefault(model_label, []).append(on_anonymise)


def dependents_delete(model_label: str, ids: list[int]) -> None:
    for callback in registry.on_delete.get(model_label, []):
        callback(ids)


def dependents_anonymise(model_label: str, ids: list[int]) -> None:
    for callback in registry.on_anonymise.get(model_label, []):
        callback(ids)


def kinds() -> list[Kind]:
    return list(registry.kinds.values())


# --- Policies -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    kind: Kind
    days: int
    changed: RetentionPolicy | None  # the administrator's row, if the default was changed

    @property
    def is_default(self) -> bool:
        return self.days == self.kind.default_days

    @property
    def period(self) -> str:
        return period(self.days)

    @property
    def minimum(self) -> str:
        return period(self.kind.minimum_days) if self.kind.minimum_days else "none"

    @property
    def action_label(self) -> str:
        return ACTIONS[self.kind.action]


def period(days: int) -> str:
    """ "90 days", "2 years", "7 years" (2,557 days is seven years with their leap days)."""
    years, rest = divmod(days, YEAR)
    if years and rest <= 2:
        return f"{years} year{'s' if years > 1 else ''}"
    return f"{days} day{'s' if days != 1 else ''}"


def policies() -> list[Policy]:
    rows = {row.kind: row for row in RetentionPolicy.objects.select_related("updated_by")}
    return [
        Policy(kind, rows[kind.key].days if kind.key in rows else kind.default_days, rows.get(kind.key))
        for kind in kinds()
    ]


def policy_days(key: str) -> int:
    kind = registry.kinds[key]
    row = RetentionPolicy.objects.filter(kind=key).values_list("days", flat=True).first()
    return kind.default_days if row is None else row


class RetentionError(Exception):
    pass


@transaction.atomic
def retention_policy_set(*, actor, key: str, days: int) -> Policy:
    kind = registry.kinds.get(key)
    if kind is None:
        raise RetentionError("There is no such kind of record.")
    if days < kind.minimum_days:
        raise RetentionError(
            f"{kind.label}: at least {kind.minimum_days} days ({_years(kind.minimum_days)}); "
            "the bank must keep them that long."
        )
    before = policy_days(key)
    row, _ = RetentionPolicy.objects.update_or_create(kind=key, defaults={"days": days, "updated_by": actor})
    if before != days:
        audit_record(
            actor=actor,
            verb="retention.policy_set",
            object_type="audit.retentionpolicy",
            object_id=key,
            object_repr=kind.label,
            before={"days": before},
            after={"days": days, "action": kind.action},
        )
    return Policy(kind, days, row)


def _years(days: int) -> str:
    return f"{days / YEAR:.1f} years" if days >= YEAR else f"{days} days"


# --- The run --------------------------------------------------------------------------------------


@dataclass
class KindResult:
    action: str
    days: int
    cutoff: str
    done: int = 0  # deleted or anonymised (a dry run: would be)
    held: int = 0  # due, but under a legal hold


@dataclass
class RunResult:
    dry_run: bool
    started_at: dt.datetime
    kinds: dict[str, KindResult] = field(default_factory=dict)
    busy: bool = False  # another run held the lock: nothing was done

    def as_json(self) -> dict:
        return {
            "dry_run": self.dry_run,
            "started_at": self.started_at.isoformat(),
            "kinds": {key: vars(result) for key, result in self.kinds.items()},
            "totals": {
                "done": sum(r.done for r in self.kinds.values()),
                "held": sum(r.held for r in self.kinds.values()),
            },
        }


def _try_run_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [RUN_LOCK])
        return cursor.fetchone()[0]


def _release_run_lock() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s)", [RUN_LOCK])


def _batch_lock_shared() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [HOLD_LOCK])


def hold_lock_exclusive() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [HOLD_LOCK])


def _run_kind(
    kind: Kind, result: KindResult, cutoff: dt.datetime, *, dry_run: bool, batch_size: int | None
) -> None:
    """Fills `result` as it goes, so a run that dies half-way still reports what it did."""
    held_q = kind.held(Holds.load())
    due = kind.candidates(cutoff)
    result.held = due.filter(held_q).count() if held_q is not None else 0
    if dry_run:
        result.done = (due.exclude(held_q) if held_q is not None else due).count()
        return
    size = batch_size or kind.batch_size
    last = 0
    while True:
        with transaction.atomic():
            _batch_lock_shared()
            held_q = kind.held(Holds.load())
            batch = kind.candidates(cutoff).filter(pk__gt=last)
            if held_q is not None:
                batch = batch.exclude(held_q)
            ids = list(batch.order_by("pk").values_list("pk", flat=True)[:size])
            if not ids:
                break
            result.done += kind.apply(ids)
        last = ids[-1]


def retention_run(
    *,
    actor=None,
    dry_run: bool = False,
    now: dt.datetime | None = None,
    only: Iterable[str] = (),
    batch_size: int | None = None,
) -> RunResult:
    """Delete or anonymise everything due, kind by kind; one `retention.run` audit event at the end.

    A dry run only counts, and records nothing. A second run while one is going returns at
    once with `busy` set (a session advisory lock), so beat and a person at the command line
    never work on the same rows.
    """
    now = now or timezone.now()
    result = RunResult(dry_run=dry_run, started_at=now)
    if not _try_run_lock():
        result.busy = True
        return result
    interrupted = ""
    try:
        wanted = set(only)
        for policy in policies():
            if wanted and policy.kind.key not in wanted:
                continue
            cutoff = now - dt.timedelta(days=policy.days)
            kind_result = result.kinds[policy.kind.key] = KindResult(
                policy.kind.action, policy.days, cutoff.isoformat()
            )
            _run_kind(policy.kind, kind_result, cutoff, dry_run=dry_run, batch_size=batch_size)
    except Exception as exc:
        # Committed batches stay done; the summary says where the run stopped, then the error
        # goes on to the worker (and the next run carries on from there).
        interrupted = f"{type(exc).__name__} in {next(reversed(result.kinds), '')}"
        raise
    finally:
        _release_run_lock()
        if not dry_run:
            after = result.as_json()
            if interrupted:
                after["interrupted"] = interrupted
            audit_record(
                actor=actor,
                verb="retention.run",
                object_type="audit.retention",
                object_id=now.date().isoformat(),
                object_repr="Retention run (interrupted)" if interrupted else "Retention run",
                after=after,
            )
    return result


# --- Holds: placing and lifting -------------------------------------------------------------------


@transaction.atomic
def legal_hold_place(*, actor, target_key: str, reference: str, reason: str) -> LegalHold:
    target = registry.hold_targets.get(target_key)
    if target is None:
        raise RetentionError("Choose what to hold: a conversation or a person.")
    reason = reason.strip()
    if not reason:
        raise RetentionError("Give the reason for the hold (the case or matter it is for).")
    hold_lock_exclusive()  # waits for a retention batch in flight, then the target is checked
    obj = target.find(reference.strip())
    if obj is None:
        raise RetentionError(f"No {target.label.lower()} matches \u201c{reference.strip()}\u201d.")
    content_type = ContentType.objects.get_for_model(obj)
    if LegalHold.objects.filter(content_type=content_type, object_id=obj.pk, lifted_at__isnull=True).exists():
        raise RetentionError(f"{target.describe(obj)} is already under a legal hold.")
    hold = LegalHold.objects.create(
        content_type=content_type,
        object_id=obj.pk,
        object_repr=target.describe(obj)[:200],
        reason=reason,
        placed_by=actor,
    )
    audit_record(
        actor=actor,
        verb="legal_hold.place",
        obj=hold,
        after={
            "target": f"{content_type.app_label}.{content_type.model}",
            "target_id": obj.pk,
            "reason": reason,
        },
    )
    return hold


@transaction.atomic
def legal_hold_lift(*, actor, hold: LegalHold, reason: str) -> LegalHold:
    reason = reason.strip()
    if not reason:
        raise RetentionError("Give the reason for lifting the hold.")
    updated = LegalHold.objects.filter(pk=hold.pk, lifted_at__isnull=True).update(
        lifted_at=timezone.now(), lifted_by=actor, lift_reason=reason
    )
    if not updated:
        raise RetentionError("That hold was lifted already.")
    hold.refresh_from_db()
    audit_record(
        actor=actor,
        verb="legal_hold.lift",
        obj=hold,
        before={"active": True},
        after={"active": False, "reason": reason},
    )
    return hold
