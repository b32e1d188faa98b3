"""The audit log as people read it: who did what, and each change with names, not ids.

The stored event keeps what was recorded (ids, usernames, raw values): it is evidence and is
never rewritten. This module only renders it: `assignee: 4 → 7` reads "assignee: Amira Khan →
Ben Okafor". People are named here; an app names its own objects with `register_namer` (the
escalations app names departments), so the audit log imports no app.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import formats, timezone

from bankbuzz.audit.models import AuditEvent

# Keys whose values are people: a user's id or username.
PEOPLE_KEYS = frozenset(
    {
        "actor",
        "assignee",
        "author",
        "user",
        "requested_by",
        "answered_by",
        "mentioned",
        "members",
        "leads",
        "told",
    }
)
TEXT_LIMIT = 160

# A namer turns the raw values of one key into names: {raw value: name}; missing values stay raw.
Namer = Callable[[set], dict]


@dataclass(frozen=True)
class _Registered:
    keys: frozenset[str]
    namer: Namer
    verb_prefix: str


_namers: list[_Registered] = []


def register_namer(keys: Iterable[str], namer: Namer, *, verb_prefix: str = "") -> None:
    """Name the values of `keys` (in events whose verb starts with `verb_prefix`) with `namer`."""
    _namers.append(_Registered(frozenset(keys), namer, verb_prefix))


def _people(raw: set) -> dict:
    ids = {v for v in raw if isinstance(v, int) and not isinstance(v, bool)}
    names = {v for v in raw if isinstance(v, str) and v}
    if not ids and not names:
        return {}
    users = get_user_model().objects.filter(Q(pk__in=ids) | Q(username__in=names))
    found = {}
    for user in users.only("pk", "username", "first_name", "last_name"):
        found[user.pk] = found[user.username] = user.display_name
    return found


@dataclass(frozen=True)
class Change:
    field: str
    before: str | None  # None: the key was not there before (a value set, not changed)
    after: str | None  # None: the key is gone after (a value removed)

    def __str__(self) -> str:
        if self.before is None:
            return f"{self.field}: {self.after}"
        if self.after is None:
            return f"{self.field}: {self.before} (removed)"
        return f"{self.field}: {self.before} → {self.after}"


def _label(key: str) -> str:
    return key.replace("_", " ")


def _values(value) -> list:
    return value if isinstance(value, list) else [value]


def _show(key: str, value, names: dict) -> str:
    if value is None or value == "":
        return "nobody" if key in PEOPLE_KEYS else "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_show(key, item, names) for item in value) or "none"
    if isinstance(value, dict):
        return "; ".join(f"{_label(k)} {_show(k, v, names)}" for k, v in value.items()) or "—"
    if isinstance(value, str) and len(value) >= 19 and value[4:5] == "-" and value[10:11] == "T":
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            if timezone.is_aware(moment):
                moment = timezone.localtime(moment)
            return formats.date_format(moment, "DATETIME_FORMAT")
    try:
        shown = names.get(value, value)
    except TypeError:  # an unhashable value: shown as it is
        shown = value
    text = str(shown)
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1] + "…"


def _namers_for(verb: str, key: str) -> list[Namer]:
    found: list[Namer] = [_people] if key in PEOPLE_KEYS else []
    found += [r.namer for r in _namers if key in r.keys and verb.startswith(r.verb_prefix)]
    return found


def _as_dict(side) -> dict:
    if side is None:
        return {}
    return side if isinstance(side, dict) else {"value": side}


def _changes(event: AuditEvent, names: dict[tuple[str, str], dict]) -> list[Change]:
    before = (
        event.before
        if isinstance(event.before, dict)
        else ({} if event.before is None else {"value": event.before})
    )
    after = (
        event.after
        if isinstance(event.after, dict)
        else ({} if event.after is None else {"value": event.after})
    )
    changes = []
    for key in [*before, *(k for k in after if k not in before)]:
        known = names.get((event.verb, key), {})
        if key in before and key in after:
            if before[key] == after[key]:
                continue
            changes.append(Change(_label(key), _show(key, before[key], known), _show(key, after[key], known)))
        elif key in after:
            changes.append(Change(_label(key), None, _show(key, after[key], known)))
        else:
            changes.append(Change(_label(key), _show(key, before[key], known), None))
    return changes


def with_changes(events: list[AuditEvent]) -> list[AuditEvent]:
    """Set `event.changes` (a list of `Change`) on each event, naming people and objects in bulk."""
    wanted: dict[tuple[Namer, str, str], set] = {}
    for event in events:
        for side in (event.before, event.after):
            if not isinstance(side, dict):
                continue
            for key, value in side.items():
                for namer in _namers_for(event.verb, key):
                    raw = wanted.setdefault((namer, event.verb, key), set())
                    for item in _values(value):
                        if isinstance(item, (int, str)):
                            raw.add(item)
    by_namer: dict[Namer, set] = {}
    for (namer, _verb, _key), raw in wanted.items():
        by_namer.setdefault(namer, set()).update(raw)
    resolved = {namer: namer(raw) for namer, raw in by_namer.items()}
    names: dict[tuple[str, str], dict] = {}
    for namer, verb, key in wanted:
        names.setdefault((verb, key), {}).update(resolved[namer])
    people = _people({event.actor_id for event in events if event.actor_id is not None})
    for event in events:
        event.changes = _changes(event, names)
        event.actor_name = (
            "System" if event.actor_id is None else people.get(event.actor_id, event.actor_label)
        )
        event.what = what(event.verb)
    return events


def what(verb: str) -> str:
    """ "conversation.assign" reads "conversation: assign"; "mention.unmask" "mention: unmask"."""
    subject, _, action = verb.partition(".")
    return f"{_label(subject)}: {_label(action)}" if action else _label(subject)
