"""Audit exports a regulator can check: CSV or JSON lines, each row hash-chained to the one before.

Every row carries `prev_hash` and `hash`, where

    hash = sha256(prev_hash + "\\n" + canonical JSON of the row's own fields)

and the first row's `prev_hash` is the genesis hash of the export's date range. The last line
(CSV: the row whose `seq` is END; JSON lines: `{"trailer": ...}`) gives the row count and the
head hash. So a changed row breaks its own hash, a removed or reordered row breaks the next
row's `prev_hash`, a removed tail breaks the trailer, and someone who recomputes the whole
chain still cannot match the head hash recorded in the (append-only) audit log by the
`audit.export` event at export time. `manage.py audit_verify FILE` checks all of that.

A row's `seq` is the event's number in the log (`bankbuzz.audit.chain`), and the trailer also
carries `log_prev`, the log's chain head before the first row, so the verifier can tell a gap
or a restart in the log itself and chain the rows onto the genesis or a recorded checkpoint.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db import models

from bankbuzz.audit.models import AuditEvent

FIELDS = (
    "seq",
    "id",
    "at",
    "actor",
    "actor_id",
    "verb",
    "object_type",
    "object_id",
    "object_repr",
    "before",
    "after",
    "client_address",
)
COLUMNS = (*FIELDS, "prev_hash", "hash")
FORMATS = ("csv", "jsonl")
END = "END"


def _canonical_json(value) -> str:
    if value is None:
        return ""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def genesis(start: dt.date, end: dt.date) -> str:
    return hashlib.sha256(
        f"bankbuzz-audit-export\n{start.isoformat()}\n{end.isoformat()}".encode()
    ).hexdigest()


def row_hash(prev_hash: str, row: dict[str, str]) -> str:
    payload = json.dumps([row[name] for name in FIELDS], separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{prev_hash}\n{payload}".encode()).hexdigest()


def event_row(seq: int, event: AuditEvent) -> dict[str, str]:
    """Every value a string, so CSV and JSON lines hash the same bytes."""
    return {
        "seq": str(seq),
        "id": str(event.pk),
        "at": event.at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor": event.actor_label,
        "actor_id": "" if event.actor_id is None else str(event.actor_id),
        "verb": event.verb,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_repr": event.object_repr,
        "before": _canonical_json(event.before),
        "after": _canonical_json(event.after),
        "client_address": event.client_address or "",
    }


@dataclass
class Trailer:
    rows: int
    head: str
    start: str
    end: str
    exported_at: str
    # The audit log's chain head just before the first row (bankbuzz.audit.chain): the
    # genesis value, or the head of the recorded checkpoint the export starts after.
    log_prev: str = ""


def chained_rows(events: Iterable[AuditEvent], start: dt.date, end: dt.date) -> Iterator[dict[str, str]]:
    """Rows numbered with the log's own `seq`, so a reader sees a cut in the log as a gap."""
    prev = genesis(start, end)
    for event in events:
        row = event_row(event.seq, event)
        row["prev_hash"] = prev
        row["hash"] = prev = row_hash(prev, row)
        yield row


def events_between(start: dt.date, end: dt.date, tz) -> tuple[Iterator[AuditEvent], str]:
    """The events of whole days in the bank's time zone, both included, in log order.

    The rows run without a gap in the log's numbers from just after the last recorded
    checkpoint before the range (or from the genesis) to the range's last event, so
    `audit_verify` can chain them onto a head it trusts. Returns (events, that head).
    """
    from bankbuzz.audit import chain

    chain.number_pending()
    start_at = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    end_at = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    bounds = AuditEvent.objects.filter(at__gte=start_at, at__lt=end_at, seq__isnull=False).aggregate(
        first=models.Min("seq"), last=models.Max("seq")
    )
    if bounds["first"] is None:
        return iter(()), ""
    begin, head = 1, chain.LOG_GENESIS
    for checkpoint in chain.recorded_checkpoints(settings.AUDIT_CHECKPOINT_KEY):
        if checkpoint.seq < bounds["first"]:
            begin, head = checkpoint.seq + 1, checkpoint.head
    events = (
        AuditEvent.objects.filter(seq__gte=begin, seq__lte=bounds["last"])
        .order_by("seq")
        .iterator(chunk_size=2000)
    )
    return events, head


def write(
    out: io.TextIOBase, fmt: str, rows: Iterable[dict[str, str]], *, start, end, now, log_prev: str = ""
) -> Trailer:
    count, head = 0, genesis(start, end)
    writer = csv.writer(out, lineterminator="\n") if fmt == "csv" else None
    if writer:
        writer.writerow(COLUMNS)
    for row in rows:
        count, head = count + 1, row["hash"]
        if writer:
            writer.writerow([row[c] for c in COLUMNS])
        else:
            out.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
    trailer = Trailer(
        count, head, start.isoformat(), end.isoformat(), now.astimezone(dt.UTC).isoformat(), log_prev
    )
    if writer:
        # The closing row: seq END, the row count, the export time, the log's head before the
        # first row, the range and the head hash.
        writer.writerow(
            [
                END,
                str(count),
                trailer.exported_at,
                log_prev,
                "",
                "",
                "",
                "",
                "",
                trailer.start,
                trailer.end,
                "",
                "",
                head,
            ]
        )
    else:
        out.write(json.dumps({"trailer": trailer.__dict__}, separators=(",", ":")) + "\n")
    return trailer


# --- Verification ---------------------------------------------------------------------------------


class VerifyError(Exception):
    pass


def _read_csv(text: str) -> tuple[list[dict[str, str]], Trailer]:
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None or tuple(header) != COLUMNS:
        raise VerifyError("line 1: not a BankBuzz audit export (the CSV header differs)")
    rows, trailer = [], None
    for line_no, values in enumerate(reader, start=2):
        if trailer is not None:
            raise VerifyError(f"line {line_no}: rows after the closing END row")
        if len(values) != len(COLUMNS):
            raise VerifyError(f"line {line_no}: {len(values)} columns, expected {len(COLUMNS)}")
        if values[0] == END:
            trailer = Trailer(
                _int(values[1], line_no), values[-1], values[9], values[10], values[2], values[3]
            )
            continue
        rows.append(dict(zip(COLUMNS, values, strict=True)))
    if trailer is None:
        raise VerifyError("the closing END row is missing: the export was cut short")
    return rows, trailer


def _int(value: str, line_no: int) -> int:
    try:
        return int(value)
    except ValueError:
        raise VerifyError(f"line {line_no}: {value!r} is not a row count") from None


def _read_jsonl(text: str) -> tuple[list[dict[str, str]], Trailer]:
    rows, trailer = [], None
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if trailer is not None:
            raise VerifyError(f"line {line_no}: lines after the trailer")
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise VerifyError(f"line {line_no}: not JSON ({exc.msg})") from None
        if not isinstance(item, dict):
            raise VerifyError(f"line {line_no}: not a JSON object")
        if "trailer" in item:
            try:
                trailer = Trailer(**item["trailer"])
            except TypeError:
                raise VerifyError(f"line {line_no}: the trailer is damaged") from None
            continue
        if set(item) != set(COLUMNS) or not all(isinstance(v, str) for v in item.values()):
            raise VerifyError(f"line {line_no}: the row's fields differ from an audit export's")
        rows.append(item)
    if trailer is None:
        raise VerifyError("the trailer line is missing: the export was cut short")
    return rows, trailer


def verify_text(text: str) -> Trailer:
    """Check the whole chain; raises VerifyError naming the first row that does not hold."""
    is_csv = text.startswith(",".join(COLUMNS[:3]))
    rows, trailer = _read_csv(text) if is_csv else _read_jsonl(text)
    try:
        start, end = dt.date.fromisoformat(trailer.start), dt.date.fromisoformat(trailer.end)
    except ValueError:
        raise VerifyError("the trailer's date range is damaged") from None
    prev = genesis(start, end)
    for number, row in enumerate(rows, start=1):
        where = f"row {number} (seq {row['seq']}, audit event {row['id']})"
        if row["prev_hash"] != prev:
            raise VerifyError(
                f"{where}: does not follow the row before it: a row was removed, inserted or reordered"
            )
        if row_hash(prev, row) != row["hash"]:
            raise VerifyError(f"{where}: its contents were changed (the hash does not match)")
        prev = row["hash"]
    if trailer.rows != len(rows):
        raise VerifyError(
            f"the trailer says {trailer.rows} rows, the file has {len(rows)}: rows were removed"
        )
    if trailer.head != prev:
        raise VerifyError("the trailer's head hash does not match the last row: the end was changed")
    return trailer


def read_text(text: str) -> tuple[list[dict[str, str]], Trailer]:
    """verify_text, and the rows, for the checks against the log's own chain."""
    trailer = verify_text(text)
    is_csv = text.startswith(",".join(COLUMNS[:3]))
    rows, _ = _read_csv(text) if is_csv else _read_jsonl(text)
    return rows, trailer
