"""The dashboard's filters, all in the URL so a dashboard can be bookmarked and shared."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django import forms
from django.utils import timezone

from bankbuzz.fields import BoundedDateField
from dashboards.permissions import Scope
from listening.models import Network

PRESETS = [
    ("today", "Today"),
    ("7d", "Last 7 days"),
    ("30d", "Last 30 days"),
    ("90d", "Last 90 days"),
    ("custom", "Custom"),
]
PRESET_DAYS = {"today": 1, "7d": 7, "30d": 30, "90d": 90}
DEFAULT_PRESET = "30d"
MAX_DAYS = 366


@dataclass(frozen=True)
class Filters:
    """A validated set of filters. Dates are whole days in the bank's time zone, both included."""

    start: dt.date
    end: dt.date
    preset: str = DEFAULT_PRESET
    network: str = ""
    account: int | None = None
    department: int | None = None
    agent: str = ""  # a user id, or "none" for unassigned

    @property
    def start_at(self) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(self.start, dt.time.min))

    @property
    def end_at(self) -> dt.datetime:
        """The instant after the last day (exclusive)."""
        return timezone.make_aware(dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def agent_id(self) -> int | None:
        return int(self.agent) if self.agent.isdigit() else None

    def params(self) -> dict[str, str]:
        """The filters as URL parameters (what every link and export carries)."""
        out = {"from": self.start.isoformat(), "to": self.end.isoformat()}
        if self.preset != "custom":
            out = {"range": self.preset}
        for name in ("network", "account", "department", "agent"):
            value = getattr(self, name)
            if value not in ("", None):
                out[name] = str(value)
        return out


def _dates_for(preset: str, today: dt.date) -> tuple[dt.date, dt.date]:
    return today - dt.timedelta(days=PRESET_DAYS[preset] - 1), today


class DateInput(forms.DateInput):
    input_type = "date"


class FilterForm(forms.Form):
    range = forms.ChoiceField(choices=PRESETS, required=False, label="Period")
    date_from = BoundedDateField(required=False, widget=DateInput, label="From")
    date_to = BoundedDateField(required=False, widget=DateInput, label="To")
    network = forms.ChoiceField(choices=[("", "Any network"), *Network.choices], required=False)
    account = forms.TypedChoiceField(coerce=int, empty_value=None, required=False)
    department = forms.TypedChoiceField(coerce=int, empty_value=None, required=False)
    agent = forms.ChoiceField(required=False)

    def __init__(self, data=None, *, accounts=(), departments=(), agents=(), scope: Scope, **kwargs):
        if data is not None:
            # "from" and "to" are the URL's names (short, like the inbox's); Python needs others.
            data = data.copy()
            for url_name, field in (("from", "date_from"), ("to", "date_to")):
                if url_name in data and field not in data:
                    data[field] = data[url_name]
        super().__init__(data, **kwargs)
        self.scope = scope
        self.fields["account"].choices = [("", "Any account"), *[(a.pk, str(a)) for a in accounts]]
        self.fields["department"].choices = [("", "Any department"), *[(d.pk, d.name) for d in departments]]
        self.fields["agent"].choices = [
            ("", "Anyone"),
            ("none", "Nobody (unassigned)"),
            *[(str(u.pk), u.display_name) for u in agents],
        ]

    def filters(self, *, today: dt.date | None = None) -> Filters:
        """The valid part of the filters: a bad value is dropped (and shown as an error), not a 500."""
        today = today or timezone.localdate()
        data = dict(self.cleaned_data) if self.is_bound else {}
        for name in self.errors:
            data.pop(name, None)
        preset = data.get("range") or ""
        start, end = data.get("date_from"), data.get("date_to")
        if preset in PRESET_DAYS or not (start or end):
            preset = preset if preset in PRESET_DAYS else DEFAULT_PRESET
            start, end = _dates_for(preset, today)
        else:
            preset = "custom"
            end = end or today
            start = start or end - dt.timedelta(days=PRESET_DAYS[DEFAULT_PRESET] - 1)
            if start > end:
                start, end = end, start
            start = max(start, end - dt.timedelta(days=MAX_DAYS - 1))
        agent = data.get("agent") or ""
        department = data.get("department")
        if self.scope.agent_id is not None:
            agent = str(self.scope.agent_id)
        if self.scope.department_ids is not None and department not in self.scope.department_ids:
            department = None
        return Filters(
            start=start,
            end=end,
            preset=preset,
            network=data.get("network") or "",
            account=data.get("account"),
            department=department,
            agent=agent,
        )
