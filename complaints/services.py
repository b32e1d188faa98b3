"""Every write on complaints: confirm, dismiss, letters, regime changes, vulnerability, the beat.

Each service checks, then does, inside one transaction, and records an audit event. The clocks
are computed here once (clocks.py) and stored on the complaint.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from bankbuzz.accounts import roles
from bankbuzz.accounts.models import User
from bankbuzz.accounts.notifications import notify
from bankbuzz.api.webhooks import emit
from bankbuzz.audit.services import audit_record
from complaints import clocks, permissions
from complaints.models import (
    AccountRegime,
    BankHoliday,
    Category,
    Complaint,
    ComplaintRegime,
    Dismissal,
    Letter,
    Vulnerability,
)
from inbox import services as inbox_services
from inbox.models import Conversation, ConversationEvent, Reply
from listening.models import Author, Mention
from listening.pan_vault import mask_cards

logger = logging.getLogger(__name__)

# What the understanding layer (listening.enrichment) labels that a person should look at as a
# possible complaint: dissatisfaction, and reports of fraud (a notice of error, in Regulation E's terms).
SUGGESTING_INTENTS = ("complaint", "fraud")


class ComplaintError(Exception):
    """A refusal with a message for the person who asked."""


class ComplaintStale(ComplaintError):
    """Someone changed the complaint since the person read it."""


# --- The calendar and the regimes ---------------------------------------------------------------


def calendar() -> clocks.Calendar:
    return clocks.Calendar.of(
        settings.COMPLAINTS_TIME_ZONE,
        opens=settings.COMPLAINTS_OPENS,
        closes=settings.COMPLAINTS_CLOSE_OF_BUSINESS,
        holidays=BankHoliday.objects.values_list("date", flat=True),
    )


def default_regime(account_id: int | None) -> ComplaintRegime:
    if account_id is not None:
        chosen = AccountRegime.objects.filter(account_id=account_id, regime__is_active=True).select_related(
            "regime"
        )
        row = chosen.first()
        if row is not None:
            return row.regime
    regime = ComplaintRegime.objects.filter(code=settings.COMPLAINTS_DEFAULT_REGIME, is_active=True).first()
    if regime is None:
        regime = ComplaintRegime.objects.filter(is_active=True).order_by("pk").first()
    if regime is None:
        raise ComplaintError("No complaint regime is configured: ask an administrator to add one.")
    return regime


def account_regime_set(*, actor: User, account, regime: ComplaintRegime) -> AccountRegime:
    if not roles.can_manage_accounts(actor):
        raise ComplaintError("Only social leads and administrators choose an account's regime.")
    with transaction.atomic():
        row = AccountRegime.objects.select_for_update().filter(account=account).first()
        before = row.regime.code if row else None
        if row is None:
            row = AccountRegime.objects.create(account=account, regime=regime)
        else:
            row.regime = regime
            row.save(update_fields=["regime"])
        audit_record(
            actor=actor,
            verb="complaint.account_regime",
            obj=account,
            before={"regime": before},
            after={"regime": regime.code, "note": "new complaints only; open complaints keep their clocks"},
        )
    return row


# --- The conversation's thread -------------------------------------------------------------------


def _thread(conversation: Conversation | None, *, actor: User | None, text: str, data: dict) -> None:
    """Put a complaint step in the conversation's thread, so whoever opens it sees it in context."""
    if conversation is None:
        return
    inbox_services.conversation_event_record(
        conversation=conversation, actor=actor, kind=ConversationEvent.Kind.COMPLAINT, text=text, data=data
    )


# --- Suggestions --------------------------------------------------------------------------------


def customer_messages(conversation: Conversation):
    return Mention.objects.filter(
        network=conversation.network,
        thread_key=conversation.thread_key,
        author_id=conversation.customer_id,
        direction=Mention.Direction.IN,
    )


def suggested_messages(conversation: Conversation):
    """The customer's messages labelled complaint or fraud that no person has decided on yet."""
    return (
        customer_messages(conversation)
        .filter(intent__in=SUGGESTING_INTENTS)
        .exclude(pk__in=Dismissal.objects.filter(conversation=conversation).values("mention_id"))
        .exclude(pk__in=Complaint.messages.through.objects.values("mention_id"))
        .order_by("created_at", "id")
    )


def suggestion_dismiss(*, actor: User, conversation: Conversation, reason: str) -> int:
    """ "Not a complaint": every message suggested now is dismissed, with the reason."""
    permissions.work_access(actor)
    reason = mask_cards((reason or "").strip())
    if not reason:
        raise ComplaintError("Say why this is not a complaint: the reason is kept for the regulator.")
    with transaction.atomic():
        mentions = list(suggested_messages(conversation).values_list("pk", flat=True))
        if not mentions:
            return 0
        Dismissal.objects.bulk_create(
            [
                Dismissal(conversation=conversation, mention_id=pk, reason=reason[:300], actor=actor)
                for pk in mentions
            ],
            ignore_conflicts=True,
        )
        audit_record(
            actor=actor,
            verb="complaint.dismiss",
            obj=conversation,
            after={"messages": mentions, "reason": reason[:300]},
        )
        _thread(
            conversation,
            actor=actor,
            text=f"dismissed the suggested complaint: {reason[:200]}",
            data={"messages": mentions},
        )
    return len(mentions)


# --- Confirming (or raising by hand) ---------------------------------------------------------------


def _category(pk, kind: str) -> Category | None:
    if pk in (None, ""):
        return None
    category = Category.objects.filter(pk=pk, kind=kind, is_active=True).first()
    if category is None:
        raise ComplaintError(f"Choose a {kind} category from the list.")
    return category


def _payload(complaint: Complaint) -> dict:
    return {
        "id": complaint.pk,
        "reference": complaint.reference,
        "status": complaint.status,
        "regime": complaint.regime.code,
        "conversation": complaint.conversation_id,
        "received_at": complaint.received_at.isoformat(),
        "final_due_at": complaint.final_due_at.isoformat(),
        "url": reverse("api:complaint-detail", args=[complaint.pk]),
    }


def _clock_fields(complaint: Complaint, regime: ComplaintRegime, *, cal: clocks.Calendar) -> None:
    snapshot = regime.snapshot()
    due = clocks.clocks_for(cal, complaint.received_at, snapshot)
    complaint.regime = regime
    complaint.regime_snapshot = snapshot
    complaint.counts_from = due.counts_from
    complaint.summary_due_at = due.summary_due_at
    complaint.acknowledge_due_at = due.acknowledge_due_at
    complaint.final_due_at = due.final_due_at
    if complaint.holding_reply_at:
        extended = clocks.extended_due(cal, due.counts_from, snapshot)
        if extended and extended > complaint.final_due_at:
            complaint.final_due_at = extended


def complaint_confirm(
    *,
    actor: User,
    conversation: Conversation,
    mention_ids: list[int] | None = None,
    product=None,
    cause=None,
    summary: str = "",
    regime: ComplaintRegime | None = None,
) -> Complaint:
    """Record the conversation's complaint.

    `mention_ids`: the customer's messages it is about (by hand: the ones the agent chose);
    none given, the suggested ones. The earliest is the first message of dissatisfaction: the
    complaint's receipt, from which the clocks count.
    """
    permissions.work_access(actor)
    product = _category(product, Category.Kind.PRODUCT)
    cause = _category(cause, Category.Kind.CAUSE)
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update(of=("self",)).get(pk=conversation.pk)
        if conversation.complaints.filter(status=Complaint.Status.OPEN).exists():
            raise ComplaintError("This conversation already has an open complaint.")
        if mention_ids:
            messages = list(
                customer_messages(conversation).filter(pk__in=mention_ids).order_by("created_at", "id")
            )
            if len(messages) != len(set(mention_ids)):
                raise ComplaintError("Choose the customer's own messages in this conversation.")
        else:
            messages = list(suggested_messages(conversation))
        if not messages:
            raise ComplaintError("Choose the customer's message that expresses the dissatisfaction.")
        regime = regime or default_regime(conversation.account_id)
        now = timezone.now()
        complaint = Complaint(
            conversation=conversation,
            customer_id=conversation.customer_id,
            account_id=conversation.account_id,
            network=conversation.network,
            first_message=messages[0],
            received_at=min(messages[0].created_at, now),
            summary=(summary or "").strip()[:300],
            product=product,
            cause=cause,
            confirmed_by=actor,
            created_at=now,
            updated_at=now,
        )
        _clock_fields(complaint, regime, cal=calendar())
        try:
            with transaction.atomic():
                complaint.save()
        except IntegrityError:
            raise ComplaintError("This conversation already has an open complaint.") from None
        complaint.messages.set(messages)
        audit_record(
            actor=actor,
            verb="complaint.confirm",
            obj=complaint,
            after={
                "conversation": conversation.pk,
                "messages": [m.pk for m in messages],
                "received_at": complaint.received_at,
                "regime": regime.code,
                "final_due_at": complaint.final_due_at,
                "product": product.name if product else None,
                "cause": cause.name if cause else None,
                "by_hand": bool(mention_ids),
            },
        )
        _thread(
            conversation,
            actor=actor,
            text=f"confirmed complaint {complaint.reference} under {regime.name}",
            data={"complaint": complaint.pk},
        )
        emit("complaint.opened", _payload(complaint))
    return complaint


def _check_version(complaint: Complaint, seen_version: int | None) -> None:
    if seen_version is not None and seen_version != complaint.version:
        raise ComplaintStale("Someone changed this complaint since you opened it: look again, then retry.")


def _locked(complaint: Complaint) -> Complaint:
    return (
        Complaint.objects.select_for_update(of=("self",))
        .select_related("regime", "customer", "conversation")
        .get(pk=complaint.pk)
    )


def _save(complaint: Complaint, fields: list[str]) -> None:
    complaint.version += 1
    complaint.updated_at = timezone.now()
    complaint.save(update_fields=[*fields, "version", "updated_at"])


def complaint_categorise(
    *,
    actor: User,
    complaint: Complaint,
    product=None,
    cause=None,
    summary: str | None = None,
    seen_version=None,
) -> Complaint:
    permissions.work_access(actor)
    product = _category(product, Category.Kind.PRODUCT)
    cause = _category(cause, Category.Kind.CAUSE)
    with transaction.atomic():
        complaint = _locked(complaint)
        _check_version(complaint, seen_version)
        before = {
            "product": complaint.product.name if complaint.product else None,
            "cause": complaint.cause.name if complaint.cause else None,
            "summary": complaint.summary,
        }
        complaint.product, complaint.cause = product, cause
        if summary is not None:
            complaint.summary = summary.strip()[:300]
        _save(complaint, ["product", "cause", "summary"])
        audit_record(
            actor=actor,
            verb="complaint.categorise",
            obj=complaint,
            before=before,
            after={
                "product": product.name if product else None,
                "cause": cause.name if cause else None,
                "summary": complaint.summary,
            },
        )
    return complaint


def complaint_change_regime(
    *, actor: User, complaint: Complaint, regime: ComplaintRegime, reason: str, seen_version=None
) -> Complaint:
    """Move an open complaint to another regime: its clocks are computed again from its receipt."""
    if not permissions.can_change_regime(actor):
        raise ComplaintError("Only social leads move a complaint to another regime.")
    reason = mask_cards((reason or "").strip())
    if not reason:
        raise ComplaintError("Say why the regime changes: it moves the complaint's deadlines.")
    with transaction.atomic():
        complaint = _locked(complaint)
        _check_version(complaint, seen_version)
        if not complaint.is_open:
            raise ComplaintError("This complaint is closed: its regime no longer changes.")
        if regime.pk == complaint.regime_id:
            raise ComplaintError(f"This complaint is already under {regime.name}.")
        before = {
            "regime": complaint.regime.code,
            "summary_due_at": complaint.summary_due_at,
            "acknowledge_due_at": complaint.acknowledge_due_at,
            "final_due_at": complaint.final_due_at,
        }
        _clock_fields(complaint, regime, cal=calendar())
        complaint.notices = []
        _save(
            complaint,
            [
                "regime",
                "regime_snapshot",
                "counts_from",
                "summary_due_at",
                "acknowledge_due_at",
                "final_due_at",
                "notices",
            ],
        )
        audit_record(
            actor=actor,
            verb="complaint.regime_change",
            obj=complaint,
            before=before,
            after={
                "regime": regime.code,
                "summary_due_at": complaint.summary_due_at,
                "acknowledge_due_at": complaint.acknowledge_due_at,
                "final_due_at": complaint.final_due_at,
                "reason": reason[:500],
            },
        )
        _thread(
            complaint.conversation,
            actor=actor,
            text=f"moved complaint {complaint.reference} to {regime.name}: {reason[:150]}",
            data={"complaint": complaint.pk},
        )
    return complaint


# --- Letters ----------------------------------------------------------------------------------


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
    now = timezone.now()
    if channel == Letter.Channel.PRIVATE:
        sent_on = timezone.localdate(now)
    elif sent_on is None:
        raise ComplaintError("Give the date the letter was sent.")
    if kind in (Letter.Kind.SUMMARY, Letter.Kind.FINAL) and outcome not in Complaint.Outcome.values[1:]:
        raise ComplaintError("Choose the outcome: upheld, partly upheld or not upheld.")
    with transaction.atomic():
        complaint = _locked(complaint)
        _check_version(complaint, seen_version)
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
                raise ComplaintError(
                    f"{complaint.regime.name} allows no holding reply: send the final response."
                )
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
        reply = None
        if channel == Letter.Channel.PRIVATE:
            if complaint.conversation is None:
                raise ComplaintError("The conversation is gone: record the letter as sent by e-mail or post.")
            from inbox.reply_services import ReplyError, reply_submit
            from inbox.services import InboxError

            try:
                with transaction.atomic():
                    reply = reply_submit(
                        actor=actor,
                        conversation=complaint.conversation,
                        channel="private",
                        text=text,
                        seen_version=None,
                    )
            except (ReplyError, InboxError) as exc:
                raise ComplaintError(f"The letter was not sent: {exc}") from None
        letter = Letter.objects.create(
            complaint=complaint,
            kind=kind,
            channel=channel,
            # A letter recorded as sent by e-mail or post skipped the reply guard: never a card in clear.
            text=mask_cards(text),
            sent_on=None if reply else sent_on,
            reply=reply,
            outcome=outcome if kind in (Letter.Kind.SUMMARY, Letter.Kind.FINAL) else "",
            redress=redress if kind in (Letter.Kind.SUMMARY, Letter.Kind.FINAL) else None,
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
        if reply is None:
            _letter_counts(complaint, letter, at=_sent_instant(sent_on, now), actor=actor)
        elif reply.state == reply.State.SENT:
            _letter_counts(complaint, letter, at=reply.sent_at or now, actor=actor)
        else:
            _thread(
                complaint.conversation,
                actor=actor,
                text=(
                    f"wrote the {letter.get_kind_display().lower()} of complaint {complaint.reference}: "
                    f"it counts once the private message is sent ({reply.get_state_display().lower()})"
                ),
                data={"complaint": complaint.pk, "letter": letter.pk, "reply": reply.pk},
            )
    return letter


# Replies still on their way: a private letter in one of these is pending, not lost.
PENDING_REPLY_STATES = ("draft", "awaiting_approval", "approved", "queued", "sending")


def _letter_counts(complaint: Complaint, letter: Letter, *, at: dt.datetime, actor: User | None) -> None:
    """The letter went out at `at`: it acknowledges, extends, resolves or closes the complaint.

    Called with the complaint locked (`_locked`), in the transaction that records the sending.
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
    closes = kind in (Letter.Kind.SUMMARY, Letter.Kind.FINAL) and complaint.is_open
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
    _save(complaint, fields)
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
    _thread(
        complaint.conversation,
        actor=actor,
        text=f"sent the {letter.get_kind_display().lower()} of complaint {complaint.reference} {how}",
        data={"complaint": complaint.pk, "letter": letter.pk},
    )
    if closes:
        outcome = complaint.get_outcome_display().lower()
        verb = "closed" if kind == Letter.Kind.FINAL else "resolved"
        _thread(
            complaint.conversation,
            actor=actor,
            text=f"{verb} complaint {complaint.reference}: {outcome}",
            data={"complaint": complaint.pk},
        )
        emit("complaint.closed", _payload(complaint))


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
            complaint = _locked(letter.complaint)
            _letter_counts(
                complaint, letter, at=letter.reply.sent_at or timezone.now(), actor=letter.created_by
            )
            settled += 1
    return settled


# --- Vulnerability ------------------------------------------------------------------------------


def vulnerability_set(*, actor: User, customer: Author, drivers: list[str], note: str = "") -> Vulnerability:
    permissions.vulnerability_access(actor, write=True)
    drivers = [d for d in Vulnerability.Driver.values if d in set(drivers or [])]
    if not drivers:
        raise ComplaintError("Choose at least one driver: health, life events, resilience or capability.")
    note = mask_cards((note or "").strip()[:2000])
    with transaction.atomic():
        flag, created = Vulnerability.objects.select_for_update().get_or_create(
            customer=customer, defaults={"drivers": drivers, "note": note, "set_by": actor}
        )
        before = None if created else {"drivers": flag.drivers}
        if not created:
            flag.drivers, flag.note, flag.set_by, flag.updated_at = drivers, note, actor, timezone.now()
            flag.save()
        # The note's words stay out of the audit log, which administrators read.
        audit_record(
            actor=actor,
            verb="vulnerability.set",
            object_type="listening.author",
            object_id=str(customer.pk),
            object_repr=f"Customer {customer.pk}",
            before=before,
            after={"drivers": drivers, "note": "(changed)" if note else ""},
        )
    return flag


def vulnerability_clear(*, actor: User, customer: Author) -> bool:
    permissions.vulnerability_access(actor, write=True)
    with transaction.atomic():
        deleted, _ = Vulnerability.objects.filter(customer=customer).delete()
        if deleted:
            audit_record(
                actor=actor,
                verb="vulnerability.clear",
                object_type="listening.author",
                object_id=str(customer.pk),
                object_repr=f"Customer {customer.pk}",
            )
    return bool(deleted)


def vulnerability_view(*, actor: User, customer: Author) -> Vulnerability | None:
    """Read a customer's flag; every read by a person is recorded (special-category data)."""
    permissions.vulnerability_access(actor)
    flag = Vulnerability.objects.filter(customer=customer).first()
    audit_record(
        actor=actor,
        verb="vulnerability.view",
        object_type="listening.author",
        object_id=str(customer.pk),
        object_repr=f"Customer {customer.pk}",
        after={"flagged": flag is not None},
    )
    return flag


# --- The beat: warnings before and at breach ---------------------------------------------------


def _recipients(complaint: Complaint) -> list[User]:
    people = list(User.objects.filter(groups__name=roles.LEAD, is_active=True))
    conversation = complaint.conversation
    if conversation is not None and conversation.assignee_id:
        people.append(conversation.assignee)
    elif complaint.confirmed_by_id:
        people.append(complaint.confirmed_by)
    return people


def _owed_clocks(complaint: Complaint) -> list[tuple[str, dt.datetime]]:
    owed = [("final", complaint.final_due_at)]
    if complaint.acknowledge_due_at and not complaint.acknowledged_at:
        owed.append(("acknowledge", complaint.acknowledge_due_at))
    return owed


def complaints_check_clocks(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Every few minutes (beat): a notice when a clock is due soon and when it runs out, each once.

    The clock keeps running whatever happens to the conversation (an escalation to a department
    has an SLA of its own, which does not stop this one).
    """
    now = now or timezone.now()
    cal = calendar()
    sent = {"due_soon": 0, "breach": 0}
    horizon = now + dt.timedelta(days=21)  # "due soon" is at most a few business days away
    candidates = Complaint.objects.filter(status=Complaint.Status.OPEN).filter(
        Q(final_due_at__lte=horizon) | Q(acknowledge_due_at__lte=horizon, acknowledged_at__isnull=True)
    )
    for pk in candidates.values_list("pk", flat=True)[:2000]:
        with transaction.atomic():
            complaint = (
                Complaint.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("conversation__assignee", "confirmed_by", "regime")
                .filter(pk=pk, status=Complaint.Status.OPEN)
                .first()
            )
            if complaint is None:
                continue
            soon_days = (complaint.regime_snapshot or {}).get("due_soon_business_days", 2)
            new = []
            for clock, due in _owed_clocks(complaint):
                if due <= now:
                    level = "breach"
                elif cal.business_days_left(now, due) <= soon_days:
                    level = "due_soon"
                else:
                    continue
                key = f"{clock}:{level}"
                if key in complaint.notices:
                    continue
                new.append((clock, level, due))
            if not new:
                continue
            for clock, level, due in new:
                complaint.notices = [*complaint.notices, f"{clock}:{level}"]
                what = "acknowledgement" if clock == "acknowledge" else "final response"
                when = timezone.localtime(due).strftime("%d %b %H:%M")
                text = (
                    f"Complaint {complaint.reference}: the {what} was due {when} and has not been sent"
                    if level == "breach"
                    else f"Complaint {complaint.reference}: the {what} is due {when}"
                )
                notify(
                    recipients=_recipients(complaint),
                    verb=f"complaint.{level}",
                    text=text,
                    url=reverse("complaints:detail", args=[complaint.pk]),
                )
                emit("complaint.due_soon", {**_payload(complaint), "clock": clock, "level": level})
                sent[level] += 1
            complaint.save(update_fields=["notices"])
    return sent
