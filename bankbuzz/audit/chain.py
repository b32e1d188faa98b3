"""The audit log as one hash chain in sequence order, its signed checkpoints, and their checks.

Every event has a gap-free `seq` from the genesis event (seq 1; see migration 0004). The log's
chain head after event n is

    head(n) = row_hash(head(n - 1), event_row(n))       head(0) = LOG_GENESIS

with the same row hashing as the exports, so an export of the log's rows can be checked
against the same heads. A checkpoint is (seq, head, time) signed with HMAC-SHA256 under
AUDIT_CHECKPOINT_KEY; beat writes one every hour to AUDIT_CHECKPOINT_SINK, outside the database,
and records it in the log. So a wipe shows as a missing range of numbers, a sequence that starts
again at an event that is not the genesis, or a head that no longer matches a checkpoint
written before the wipe.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from bankbuzz.audit.export import event_row, row_hash

LOG_GENESIS = hashlib.sha256(b"bankbuzz-audit-log").hexdigest()
GENESIS_VERB = "audit.genesis"
CHECKPOINT_VERB = "audit.checkpoint"


class LogProblem(Exception):
    """The log, or an export of it, does not hold; the message says where and how."""


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    head: str
    at: str
    mac: str = ""
    source: str = ""

    def _message(self) -> bytes:
        return f"bankbuzz-audit-checkpoint\n{self.seq}\n{self.head}\n{self.at}".encode()

    def signed(self, key: str) -> Checkpoint:
        mac = hmac.new(key.encode(), self._message(), hashlib.sha256).hexdigest()
        return Checkpoint(self.seq, self.head, self.at, mac, self.source)

    def is_genuine(self, key: str) -> bool:
        return hmac.compare_digest(self.signed(key).mac, self.mac)

    def as_json(self) -> dict:
        return {k: v for k, v in asdict(self).items() if k != "source"}

    def line(self) -> str:
        return json.dumps(self.as_json(), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, data, source: str) -> Checkpoint:
        try:
            seq, head, at, mac = data["seq"], data["head"], data["at"], data["mac"]
        except (KeyError, TypeError):
            raise LogProblem(f"{source}: not a checkpoint (seq, head, at and mac are needed)") from None
        if not (isinstance(seq, int) and all(isinstance(v, str) for v in (head, at, mac))):
            raise LogProblem(f"{source}: a checkpoint's fields have the wrong types")
        return cls(seq, head, at, mac, source)


def _span(first: int, last: int) -> str:
    return f"event {first}" if first == last else f"events {first} to {last}"


def fold(
    rows: Iterable[dict[str, str]], *, expected: int, prev: str, checkpoints: dict[int, list[Checkpoint]]
) -> tuple[int, str, int]:
    """Chain `rows` (event_row dicts, `seq` = the log's number) onto `prev`, from number `expected`.

    Returns (last number, head, checkpoints matched); raises LogProblem at the first gap,
    restart or head that differs from a checkpoint.
    """
    head, matched = prev, 0
    for row in rows:
        try:
            seq = int(row["seq"])
        except ValueError:
            raise LogProblem(f"{row['seq']!r} is not a sequence number") from None
        if seq > expected:
            raise LogProblem(f"{_span(expected, seq - 1)} missing: the log was cut")
        if seq < expected:
            raise LogProblem(
                f"the sequence starts again at {seq} after {expected - 1}: the log was restarted"
            )
        head = row_hash(head, row)
        for checkpoint in checkpoints.get(seq, ()):
            if not hmac.compare_digest(checkpoint.head, head):
                raise LogProblem(
                    f"event {seq} does not match the checkpoint of {checkpoint.at} ({checkpoint.source}): "
                    "events up to it were changed, removed or replaced"
                )
            matched += 1
        expected += 1
    return expected - 1, head, matched


def by_seq(checkpoints: Iterable[Checkpoint]) -> dict[int, list[Checkpoint]]:
    found: dict[int, list[Checkpoint]] = {}
    for checkpoint in checkpoints:
        found.setdefault(checkpoint.seq, []).append(checkpoint)
    return found


def read_checkpoints(path: Path, key: str) -> list[Checkpoint]:
    """Every checkpoint line in a file, or in every file of a directory; each must be signed."""
    files = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
    found = []
    for file in files:
        try:
            text = file.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise LogProblem(f"{file}: {exc.strerror}") from None
        for line_no, line in enumerate(text.splitlines(), start=1):
            # A syslog line carries the JSON after its own prefix.
            start = line.find("{")
            if start < 0:
                continue
            where = f"{file}:{line_no}"
            try:
                data = json.loads(line[start:])
            except json.JSONDecodeError:
                raise LogProblem(f"{where}: not a JSON checkpoint") from None
            checkpoint = Checkpoint.from_json(data, where)
            if not checkpoint.is_genuine(key):
                raise LogProblem(
                    f"{where}: the checkpoint's signature does not match (forged or another key)"
                )
            found.append(checkpoint)
    if not found:
        raise LogProblem(f"{path}: no checkpoints in it")
    return found


def recorded_checkpoints(key: str) -> list[Checkpoint]:
    """The checkpoints the log recorded about itself; a forged one is a problem in itself."""
    from bankbuzz.audit.models import AuditEvent

    found = []
    for event in AuditEvent.objects.filter(verb=CHECKPOINT_VERB, seq__isnull=False).order_by("seq"):
        checkpoint = Checkpoint.from_json(event.after, f"audit event {event.seq}")
        if not checkpoint.is_genuine(key):
            raise LogProblem(
                f"audit event {event.seq}: a checkpoint with a wrong signature was written into the log"
            )
        found.append(checkpoint)
    return found


def log_rows(first: int = 1) -> Iterator[dict[str, str]]:
    from bankbuzz.audit.models import AuditEvent

    events = AuditEvent.objects.filter(seq__gte=first).order_by("seq").iterator(chunk_size=2000)
    return (event_row(event.seq, event) for event in events)


def number_pending() -> None:
    """Number the events this transaction wrote now rather than at commit, so it reads them."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS audit_event_number IMMEDIATE")


def check_genesis(row: dict[str, str] | None) -> None:
    if row is not None and row["seq"] == "1" and row["verb"] != GENESIS_VERB:
        raise LogProblem(
            f"event 1 is {row['verb']!r} of {row['at']}, not the genesis event: "
            "the log was wiped and restarted"
        )


@dataclass
class LogReport:
    last: int
    head: str
    matched: int


def verify_log(checkpoints: Iterable[Checkpoint]) -> LogReport:
    """Check the whole log from the genesis against the given and the recorded checkpoints."""
    from django.conf import settings

    known = by_seq([*checkpoints, *recorded_checkpoints(settings.AUDIT_CHECKPOINT_KEY)])
    rows = log_rows()
    first = next(rows, None)
    if first is None and not known:
        return LogReport(0, LOG_GENESIS, 0)
    if first is None or first["seq"] != "1":
        upto = int(first["seq"]) - 1 if first else max(known)
        raise LogProblem(f"{_span(1, upto)} missing, the genesis event among them: the log was wiped")
    check_genesis(first)
    last, head, matched = fold(
        itertools.chain([first], rows), expected=1, prev=LOG_GENESIS, checkpoints=known
    )
    beyond = max(known, default=0)
    if beyond > last:
        raise LogProblem(
            f"{_span(last + 1, beyond)} missing: a checkpoint of {known[beyond][0].at} "
            f"({known[beyond][0].source}) counted {beyond} events, the log ends at {last}"
        )
    return LogReport(last, head, matched)
