from django import forms

from bankbuzz.api.models import ApiToken
from bankbuzz.api.tokens import LIFETIMES_DAYS


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=80, label="Name", help_text="What will use it, e.g. \u201cCRM sync\u201d."
    )
    scope = forms.ChoiceField(choices=ApiToken.Scope.choices, initial=ApiToken.Scope.READ)
    days = forms.TypedChoiceField(
        choices=[(d, f"{d} days") for d in LIFETIMES_DAYS], coerce=int, initial=30, label="Expires after"
    )
