from django import forms

# The keys each connector reads (see the docstring at the top of each connector module).
CREDENTIAL_FIELDS: dict[str, list[tuple[str, str]]] = {
    "x": [
        ("bearer_token", "App bearer token (reads mentions and search)"),
        ("oauth2_user_token", "OAuth 2.0 user token of the bank's account (replies and direct messages)"),
        ("consumer_key", "OAuth 1.0a consumer key (instead of the user token)"),
        ("consumer_secret", "OAuth 1.0a consumer secret"),
        ("access_token", "OAuth 1.0a access token"),
        ("access_token_secret", "OAuth 1.0a access token secret"),
    ],
    "facebook": [("page_access_token", "Page access token")],
    "linkedin": [("access_token", "Access token of the organisation's administrator")],
}


class CredentialsForm(forms.Form):
    """Secrets are write-only: the form never shows what is stored, blank keeps it."""

    def __init__(self, *args, network: str, **kwargs):
        super().__init__(*args, **kwargs)
        for key, label in CREDENTIAL_FIELDS.get(network, []):
            self.fields[key] = forms.CharField(
                label=label,
                required=False,
                strip=True,
                max_length=2000,
                widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
            )

    def clean(self):
        cleaned = super().clean()
        if not any(cleaned.values()):
            raise forms.ValidationError("Enter at least one new value; blank fields keep what is stored.")
        return cleaned
