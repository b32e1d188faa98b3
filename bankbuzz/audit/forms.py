from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone

from bankbuzz.audit.export import FORMATS
from bankbuzz.audit.selectors import AuditFilters
from bankbuzz.fields import BoundedDateField


def _date_input():
    # <input type="date"> shows and sends yyyy-mm-dd only, whatever the locale's date format.
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AuditFilterForm(forms.Form):
    actor = forms.CharField(required=False, max_length=150, label="Actor")
    verb = forms.CharField(required=False, max_length=64, label="Verb", help_text='"escalation." for all')
    object_type = forms.CharField(required=False, max_length=64, label="Object type")
    object_id = forms.CharField(required=False, max_length=64, label="Object id")
    start = BoundedDateField(required=False, label="From", widget=_date_input())
    end = BoundedDateField(required=False, label="To", widget=_date_input())
    system = forms.BooleanField(required=False, label="Show system events")

    def filters(self) -> AuditFilters:
        if not self.is_valid():
            return AuditFilters(people_only=True)
        data = {k: (v.strip() if isinstance(v, str) else v) for k, v in self.cleaned_data.items()}
        show_system = data.pop("system")
        return AuditFilters(**data, people_only=not show_system)


class AuditExportForm(forms.Form):
    start = BoundedDateField(label="From", widget=_date_input())
    end = BoundedDateField(label="To", widget=_date_input())
    format = forms.ChoiceField(
        choices=[(f, {"csv": "CSV", "jsonl": "JSON lines"}[f]) for f in FORMATS],
        widget=forms.RadioSelect,
        label="Format",
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            raise forms.ValidationError("The end date is before the start date.")
        if end and end > timezone.localdate() + dt.timedelta(days=1):
            raise forms.ValidationError("The end date is in the future.")
        return data

    @classmethod
    def last_week(cls) -> dict:
        today = timezone.localdate()
        return {"start": today - dt.timedelta(days=7), "end": today, "format": "csv"}


class RetentionDaysForm(forms.Form):
    kind = forms.CharField(max_length=64, widget=forms.HiddenInput)
    days = forms.IntegerField(min_value=0, max_value=100 * 365, label="Days")


class LegalHoldForm(forms.Form):
    target = forms.ChoiceField(label="Hold", widget=forms.RadioSelect)
    reference = forms.CharField(max_length=120, label="Which one")
    reason = forms.CharField(
        max_length=2000,
        label="Reason",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The case, complaint or inquiry it is for; shown to everyone who sees the hold.",
    )

    def __init__(self, *args, targets=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = [(t.key, t.label) for t in targets]
        self.fields["reference"].help_text = "; ".join(f"{t.label}: {t.help}" for t in targets)


class LiftHoldForm(forms.Form):
    reason = forms.CharField(max_length=2000, label="Why the hold can be lifted")


class ErasureRequestForm(forms.Form):
    network = forms.ChoiceField(label="Network", required=False)
    handle = forms.CharField(
        max_length=100, required=False, label="Handle", help_text="As on the network: @jane_doe"
    )
    author_id = forms.IntegerField(
        required=False,
        min_value=1,
        label="or the person's id",
        help_text="From a conversation's customer card",
    )
    reference = forms.CharField(
        max_length=100, required=False, label="Request reference", help_text="e.g. DSR-2031-0042"
    )

    def __init__(self, *args, networks=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["network"].choices = [("", "Choose a network"), *networks]

    def clean(self):
        data = super().clean()
        if not data.get("author_id") and not (data.get("network") and data.get("handle")):
            raise forms.ValidationError("Name the person: a network and a handle, or the person's id.")
        return data
