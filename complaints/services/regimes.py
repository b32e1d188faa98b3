"""The business calendar, the regimes an account's complaints fall under, and the clocks they set."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import Case, Exists, F, OuterRef, Value, When

from bankbuzz.accounts import roles
from bankbuzz.accounts.models import User
from bankbuzz.audit.services import audit_record
from complaints import clocks
from complaints.models import AccountRegime, BankHoliday, Complaint, ComplaintRegime
from complaints.services.steps import ComplaintError


def calendar() -> clocks.Calendar:
    return clocks.Calendar.of(
        settings.COMPLAINTS_TIME_ZONE,
        opens=settings.COMPLAINTS_OPENS,
        closes=settings.COMPLAINTS_CLOSE_OF_BUSINESS,
        holidays=BankHoliday.objects.values_list("date", flat=True),
    )


def default_regime(account_id: int | None) -> ComplaintRegime:
    """The regime a new complaint through this account falls under, in one query: the account's
    own (if active), else the configured default (if active), else the first active one."""
    chosen = (
        Exists(AccountRegime.objects.filter(account_id=account_id, regime=OuterRef("pk")))
        if account_id is not None
        else Value(False)
    )
    named = Case(When(code=settings.COMPLAINTS_DEFAULT_REGIME, then=Value(True)), default=Value(False))
    regime = (
        ComplaintRegime.objects.filter(is_active=True)
        .annotate(chosen=chosen, named=named)
        .order_by(F("chosen").desc(), F("named").desc(), "pk")
        .first()
    )
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


def set_clocks(complaint: Complaint, regime: ComplaintRegime, *, cal: clocks.Calendar) -> None:
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
