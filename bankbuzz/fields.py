"""Form fields shared by every app's filters and forms: bounded, so no value reaches arithmetic
that overflows (`date_to=9999-12-31` plus one day) or a query PostgreSQL refuses."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError

# A bank's social media history starts this century; a date past the next is a typing mistake.
EARLIEST_DATE = dt.date(2000, 1, 1)
LATEST_DATE = dt.date(2099, 12, 31)


class BoundedDateField(forms.DateField):
    default_error_messages = {
        "out_of_range": "Enter a date between %(earliest)s and %(latest)s.",
    }

    def to_python(self, value):
        value = super().to_python(value)
        if value is not None and not (EARLIEST_DATE <= value <= LATEST_DATE):
            raise ValidationError(
                self.error_messages["out_of_range"],
                code="out_of_range",
                params={"earliest": EARLIEST_DATE.isoformat(), "latest": LATEST_DATE.isoformat()},
            )
        return value
