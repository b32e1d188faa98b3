"""What the X API billed each account, and each account's monthly budget for it."""

from __future__ import annotations

from django.db import models

from listening.models.accounts import SocialAccount
from listening.models.queries import ListeningQuery


class XUsage(models.Model):
    """What the X API billed, per account, listening query (none: the account's own polls and
    replies), UTC day and unit kind (listening/x_costs.py). The cost is priced when recorded, so
    a price change leaves past months as they were billed."""

    account = models.ForeignKey(SocialAccount, on_delete=models.CASCADE, related_name="x_usage")
    query = models.ForeignKey(ListeningQuery, null=True, blank=True, on_delete=models.SET_NULL)
    day = models.DateField()
    kind = models.CharField(max_length=24)
    units = models.PositiveIntegerField(default=0)
    cost = models.DecimalField(max_digits=12, decimal_places=4, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "query", "day", "kind"], nulls_distinct=False, name="uniq_x_usage_row"
            )
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.day} {self.kind}: {self.units}"


class XBudget(models.Model):
    """An X account's monthly budget: a warning at 80 %, and at 100 % slower polling or a stop."""

    class AtLimit(models.TextChoices):
        SLOW = "slow", "Slow polling down"
        STOP = "stop", "Stop polling and notify"

    account = models.OneToOneField(SocialAccount, on_delete=models.CASCADE, related_name="x_budget")
    monthly_budget = models.DecimalField(max_digits=10, decimal_places=2)
    at_limit = models.CharField(max_length=8, choices=AtLimit.choices, default=AtLimit.SLOW)
    slow_interval = models.PositiveIntegerField(default=900, help_text="Seconds between polls at the limit.")
    # The first day of the month whose 80 % warning / 100 % action has been taken, so each happens once.
    warned_month = models.DateField(null=True, blank=True)
    limited_month = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.account} ${self.monthly_budget}/month"
