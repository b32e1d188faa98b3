from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone

from bankbuzz.audit.export import FORMATS
from bankbuzz.audit.selectors import AuditFilters


class AuditFilterForm(forms.Form):
    actor = forms.CharField(required=False, max_length=150, label="Actor")
    verb = forms.CharField(required=False, max_length=64, label="Verb", help_text='"escalation." for all')
    object_type = forms.CharField(required=False, max_length=64, label="Object type")
    object_id = forms.CharField(required=False, max_length=64, label="Object id")
    start = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def filters(self) -> AuditFilters:
        if not self.is_valid():
            return AuditFilters()
        data = {k: (v.strip() if isinstance(v, str) else v) for k, v in self.cleaned_data.items()}
        return AuditFilters(**data)


class AuditExportForm(forms.Form):
    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))
    format = forms.ChoiceField(choices=[(f, {"csv": "CSV", "jsonl": "JSON lines"}[f]) for f in FORMATS])

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
