"""The hourly signed checkpoint of the audit log (beat: `audit-checkpoint` in bankbuzz/celery.py)."""

from __future__ import annotations

import itertools
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from bankbuzz.audit import chain
from bankbuzz.audit.services import audit_record
from bankbuzz.audit.sinks import parse_sink

logger = logging.getLogger(__name__)


def checkpoint_write(now=None) -> chain.Checkpoint:
    """Chain the events since the last recorded checkpoint, sign the head, send it out, record it.

    Refuses (LogProblem) when the events since the last checkpoint have a gap, so a checkpoint
    never vouches for a log that was already cut. The sink is written first: a checkpoint that
    did not leave the database is not recorded as one.
    """
    key = settings.AUDIT_CHECKPOINT_KEY
    now = now or timezone.now()
    with transaction.atomic():
        chain.number_pending()
        recorded = chain.recorded_checkpoints(key)
        if recorded:
            start, prev = recorded[-1].seq + 1, recorded[-1].head
        else:
            start, prev = 1, chain.LOG_GENESIS
        rows = chain.log_rows(start)
        if start == 1:
            first = next(rows, None)
            chain.check_genesis(first)
            rows = itertools.chain([first] if first else [], rows)
        seq, head, _ = chain.fold(rows, expected=start, prev=prev, checkpoints={})
        checkpoint = chain.Checkpoint(seq, head, now.isoformat()).signed(key)
        sink = parse_sink(settings.AUDIT_CHECKPOINT_SINK)
        if sink is None:
            logger.warning(
                "audit checkpoint at %s kept only in the log: AUDIT_CHECKPOINT_SINK is not set", seq
            )
        else:
            sink.write(checkpoint.line())
        audit_record(
            actor=None,
            verb=chain.CHECKPOINT_VERB,
            object_type="audit.log",
            object_id=str(seq),
            object_repr=f"Checkpoint at event {seq}",
            after=checkpoint.as_json(),
        )
    logger.info("audit checkpoint written at event %s", seq)
    return checkpoint
