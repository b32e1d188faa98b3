"""Reads of the listening part that span relations."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone

from bankbuzz.network_versions import VersionStatus, network_version
from listening.models import LabelCorrection, QuarantinedItem, SocialAccount
from listening.tokens import TokenStatus, token_status
from listening.x_costs import Spend, account_spend


@dataclass
class AccountHealth:
    account: SocialAccount
    items_last_hour: int
    items_last_day: int
    quarantined: int
    next_poll_at: dt.datetime | None
    # The API version the account's connector speaks, with its end of life (None for X).
    api_version: VersionStatus | None = None
    # X only: what it cost today and this month, against its budget.
    x_spend: Spend | None = None
    token: TokenStatus | None = None


def account_health_rows() -> list[AccountHealth]:
    """One row per account, counts included, in three queries whatever the number of accounts."""
    now = timezone.now()
    accounts = list(
        SocialAccount.objects.annotate(
            items_last_hour=Count("mention", filter=Q(mention__received_at__gte=now - dt.timedelta(hours=1))),
            items_last_day=Count("mention", filter=Q(mention__received_at__gte=now - dt.timedelta(days=1))),
        ).order_by("network", "handle")
    )
    quarantined = dict(
        QuarantinedItem.objects.filter(reprocessed_at__isnull=True)
        .values_list("account_id")
        .annotate(n=Count("id"))
        .values_list("account_id", "n")
    )
    return [
        AccountHealth(
            account=account,
            items_last_hour=account.items_last_hour,
            items_last_day=account.items_last_day,
            quarantined=quarantined.get(account.pk, 0),
            next_poll_at=next_poll_at(account),
            api_version=network_version(account.network),
            x_spend=account_spend(account),
            token=token_status(account),
        )
        for account in accounts
    ]


def next_poll_at(account: SocialAccount) -> dt.datetime | None:
    if not account.is_active or account.health == SocialAccount.Health.NEEDS_REAUTH:
        return None
    if account.rate_limited_until and account.rate_limited_until > timezone.now():
        return account.rate_limited_until
    if account.last_poll_at is None:
        return timezone.now()
    return account.last_poll_at + dt.timedelta(seconds=account.poll_interval)


def label_corrections_for_training(*, since=None) -> list[dict]:
    """Agents' label corrections as training rows, one per message: its latest value per label.

    The text is the masked one: personal data never leaves in a training file.
    """
    corrections = LabelCorrection.objects.select_related("mention").order_by("mention_id", "created_at", "id")
    if since is not None:
        corrections = corrections.filter(created_at__gte=since)
    rows: dict[int, dict] = {}
    for correction in corrections.iterator(chunk_size=500):
        mention = correction.mention
        row = rows.setdefault(
            mention.pk,
            {"id": f"c-{mention.pk}", "text": mention.masked_text, "language": mention.lang or None},
        )
        value = correction.new_value
        row[correction.label] = value == "yes" if correction.label == "needs_reply" else value
        row["corrected_at"] = correction.created_at.isoformat()
    return list(rows.values())
