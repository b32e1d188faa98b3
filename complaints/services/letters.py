"""Letters: sent as a private message or recorded as sent by e-mail or post, and what a sent
letter does to the complaint's clocks and status.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from bankbuzz.accounts.models import User
from bankbuzz.api.webhooks import emit
from bankbuzz.audit.services import audit_record
from complaints import clocks, permissions
from complaints.models import Complaint, Letter
from complaints.services.regimes import calendar
from complaints.services.steps import (
    ComplaintError,
    check_version,
    lock_complaint,
    post_to_thread,
    save_with_version,
    webhook_payload,
)
from inbox.models import Reply
from listening.pan_vault import mask_cards

# Replies still on their way: a private letter in one of these is pending, not lost.
PENDING_REPLY_STATES = ("draft", "awaiting_approval", "approved", "queued", "sending")
# Letters that end the complaint: they carry its outcome and redress.
CLOSING_KINDS = (Letter.Kind.SUMMARY, Letter.Kind.FINAL)


def _sent_instant(sent_on: dt.date, now: dt.datetime) -> dt.datetime:
    """A letter sent today counts now; one posted earlier counts at noon of its date."""
    if sent_on == timezone.localdate(now):
        return now
    return timezone.make_aware(dt.datetime.combine(sent_on, dt.time(12, 0)))


def letter_send(
    *,
    actor: User,
    complaint: Complaint,
    kind: str,
    text: str,
    channel: str,
    sent_on: dt.date | None = None,
    outcome: str = "",
    redress: Decimal | None = None,
    seen_version: int | None = None,
) -> Letter:
    """Send a letter through the private channel (an ordinary reply: the guard and the approval
    rules apply), or record one sent by e-mail or post on `sent_on`."""
    permissions.work_access(actor)
    text = _checked_text(kind=kind, channel=channel, text=text)
    now = timezone.now()
    if channel == Letter.Channel.PRIVATE:
        sent_on = timezone.localdate(now)
    elif sent_on is None:
        raise ComplaintError("Give the date the letter was sent.")
    closing = kind in CLOSING_KINDS
    if closing and outcome not in Complaint.Outcome.values[1:]:
        raise ComplaintError("Choose the outcome: upheld, partly upheld or not upheld.")
    with transaction.atomic():
        complaint = lock_complaint(complaint)
        check_version(complaint, seen_version)
        _check_sendable(complaint, kind=kind, channel=channel, sent_on=sent_on, now=now)
        reply = _private_reply(actor, complaint, text) if channel == Letter.Channel.PRIVATE else None
        letter = Letter.objects.create(
            complaint=complaint,
            kind=kind,
            channel=channel,
            # A letter recorded as sent by e-mail or post skipped the reply guard: never a card in clear.
            text=mask_cards(text),
            sent_on=None if reply else sent_on,
            reply=reply,
            outcome=outcome if closing else "",
            redress=redress if closing else None,
            created_by=actor,
        )
        audit_record(
            actor=actor,
            verb=f"complaint.letter.{kind}",
            obj=complaint,
            after={
                "letter": letter.pk,
                "channel": channel,
                "sent_on": sent_on if reply is None else None,
                "reply": reply.pk if reply else None,
                "reply_state": reply.state if reply else None,
                "outcome": outcome,
            },
        )
        _letter_sent_or_pending(complaint, letter, reply, actor=actor, sent_on=sent_on, now=now)
    return letter


def _checked_text(*, kind: str, channel: str, text: str) -> str:
    """The letter's text, stripped, once the kind, the channel and the text itself are sound."""
    if kind not in Letter.Kind.values:
        raise ComplaintError("Choose which letter to send.")
    if channel not in Letter.Channel.values:
        raise ComplaintError("Choose how the letter goes: private message, e-mail or post.")
    text = (text or "").strip()
    if not text:
        raise ComplaintError("The letter is empty.")
    if len(text) > 10000:
        raise ComplaintError("The letter is longer than 10,000 characters.")
    if "[What we found" in text:
        raise ComplaintError("Write what you found and what the bank will do in place of the bracketed line.")
    return text


def _check_sendable(
    complaint: Complaint, *, kind: str, channel: str, sent_on: dt.date, now: dt.datetime
) -> None:
    """Refuse a letter the locked complaint cannot take now: closed, misdated, or not its regime's."""
    if not complaint.is_open:
        raise ComplaintError("This complaint is closed.")
    if sent_on > timezone.localdate(now):
        raise ComplaintError("The date sent cannot be in the future.")
    if sent_on < timezone.localdate(complaint.received_at):
        raise ComplaintError("The date sent is before the complaint was received.")
    if kind == Letter.Kind.SUMMARY and complaint.summary_due_at is None:
        raise ComplaintError(f"{complaint.regime.name} has no summary resolution: send a final response.")
    if kind == Letter.Kind.HOLDING:
        if clocks.extended_due(calendar(), complaint.counts_from, complaint.regime_snapshot) is None:
            raise ComplaintError(f"{complaint.regime.name} allows no holding reply: send the final response.")
        if complaint.holding_reply_at:
            raise ComplaintError("A holding reply was sent already.")
    if (
        channel == Letter.Channel.PRIVATE
        and complaint.letters.filter(
            kind=kind, sent_at__isnull=True, reply__state__in=PENDING_REPLY_STATES
        ).exists()
    ):
        raise ComplaintError(
            f"This {Letter.Kind(kind).label.lower()} is already on its way as a private message: "
            "it counts once sent."
        )


def _private_reply(actor: User, complaint: Complaint, text: str) -> Reply:
    """The letter as a private message to the customer, through the inbox's reply guard."""
    if complaint.conversation is None:
        raise ComplaintError("The conversation is gone: record the letter as sent by e-mail or post.")
    from inbox.reply_services import ReplyError, reply_submit
    from inbox.services import InboxError

    try:
        with transaction.atomic():
            return reply_submit(
                actor=actor,
                conversation=complaint.conversation,
                channel="private",
                text=text,
                seen_version=None,
            )
    except (ReplyError, InboxError) as exc:
        raise ComplaintError(f"The letter was not sent: {exc}") from None


def _letter_sent_or_pending(
    complaint: Complaint,
    letter: Letter,
    reply: Reply | None,
    *,
    actor: User,
    sent_on: dt.date,
    now: dt.datetime,
) -> None:
    """A letter sent counts now; a private one still on its way is noted in the thread."""
    if reply is None:
        _letter_counts(complaint, letter, at=_sent_instant(sent_on, now), actor=actor)
    elif reply.state == reply.State.SENT:
        _letter_counts(complaint, letter, at=reply.sent_at or now, actor=actor)
    else:
        post_to_thread(
            complaint.conversation,
            actor=actor,
            text=(
                f"wrote the {letter.get_kind_display().lower()} of complaint {complaint.reference}: "
                f"it counts once the private message is sent ({reply.get_state_display().lower()})"
            ),
            data={"complaint": complaint.pk, "letter": letter.pk, "reply": reply.pk},
        )


def _letter_counts(complaint: Complaint, letter: Letter, *, at: dt.datetime, actor: User | None) -> None:
    """The letter went out at `at`: it acknowledges, extends, resolves or closes the complaint.

    Called with the complaint locked (`lock_complaint`), in the transaction that records the sending.
    """
    letter.sent_at = at
    letter.sent_on = timezone.localdate(at)
    letter.save(update_fields=["sent_at", "sent_on"])
    kind = letter.kind
    fields: list[str] = []
    if kind in (Letter.Kind.ACKNOWLEDGEMENT, Letter.Kind.HOLDING) and not complaint.acknowledged_at:
        complaint.acknowledged_at = at
        fields.append("acknowledged_at")
    if kind == Letter.Kind.HOLDING and not complaint.holding_reply_at:
        complaint.holding_reply_at = at
        extended = clocks.extended_due(calendar(), complaint.counts_from, complaint.regime_snapshot)
        if extended and extended > complaint.final_due_at:
            complaint.final_due_at = extended
            complaint.notices = [n for n in complaint.notices if not n.startswith("final:")]
        fields += ["holding_reply_at", "final_due_at", "notices"]
    closes = kind in CLOSING_KINDS and complaint.is_open
    if closes:
        complaint.status = (
            Complaint.Status.RESOLVED if kind == Letter.Kind.SUMMARY else Complaint.Status.CLOSED
        )
        complaint.closed_at = at
        complaint.outcome = letter.outcome
        complaint.redress = letter.redress
        if kind == Letter.Kind.SUMMARY:
            complaint.resolved_at = at
        else:
            complaint.final_response_at = at
        fields += ["status", "closed_at", "outcome", "redress", "resolved_at", "final_response_at"]
    save_with_version(complaint, fields)
    audit_record(
        actor=actor,
        verb="complaint.letter_sent",
        obj=complaint,
        after={
            "letter": letter.pk,
            "kind": kind,
            "channel": letter.channel,
            "sent_at": at,
            "status": complaint.status,
            "outcome": complaint.outcome,
            "final_due_at": complaint.final_due_at,
        },
    )
    how = (
        "as a private message"
        if letter.channel == Letter.Channel.PRIVATE
        else f"by {letter.get_channel_display().lower()}"
    )
    post_to_thread(
        complaint.conversation,
        actor=actor,
        text=f"sent the {letter.get_kind_display().lower()} of complaint {complaint.reference} {how}",
        data={"complaint": complaint.pk, "letter": letter.pk},
    )
    if closes:
        outcome = complaint.get_outcome_display().lower()
        verb = "closed" if kind == Letter.Kind.FINAL else "resolved"
        post_to_thread(
            complaint.conversation,
            actor=actor,
            text=f"{verb} complaint {complaint.reference}: {outcome}",
            data={"complaint": complaint.pk},
        )
        emit("complaint.closed", webhook_payload(complaint))


def letters_settle(*, letter_ids: list[int] | None = None) -> int:
    """Private letters whose reply has been sent since: they count from the reply's sending time.

    Run by the beat with the clocks, and when a complaint's page or panel is read (so it is
    never shown as pending after it went). Idempotent: a letter counts once.
    """
    pending = Letter.objects.filter(sent_at__isnull=True, reply__isnull=False, reply__state=Reply.State.SENT)
    if letter_ids is not None:
        pending = pending.filter(pk__in=letter_ids)
    settled = 0
    for pk in pending.values_list("pk", flat=True)[:500]:
        with transaction.atomic():
            letter = (
                Letter.objects.select_for_update(of=("self",))
                .select_related("reply", "created_by")
                .filter(pk=pk, sent_at__isnull=True)
                .first()
            )
            if letter is None:
                continue
            complaint = lock_complaint(letter.complaint)
            _letter_counts(
                complaint, letter, at=letter.reply.sent_at or timezone.now(), actor=letter.created_by
            )
            settled += 1
    return settled
