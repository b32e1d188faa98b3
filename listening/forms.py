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
    "instagram": [("access_token", "Instagram user token (Instagram Login), or the linked Page's token")],
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
        if network != "x":
            self.fields["token_expires_on"] = forms.DateField(
                label="The token expires on (from the sign-in's expires_in; blank keeps the date stored)",
                required=False,
                widget=forms.DateInput(attrs={"type": "date"}),
            )

    def clean(self):
        cleaned = super().clean()
        if not any(cleaned.values()):
            raise forms.ValidationError("Enter at least one new value; blank fields keep what is stored.")
        return cleaned

    def credentials(self) -> dict[str, str]:
        return {k: v for k, v in self.cleaned_data.items() if k != "token_expires_on"}


class ListeningQueryForm(forms.Form):
    """A listening query; the text is checked by the query parser (errors point at the mistake)."""

    name = forms.CharField(max_length=100, help_text="What the page calls it, e.g. “Card problems”.")
    text = forms.CharField(
        label="Query",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false", "class": "query-text"}),
        help_text='AND, OR, NOT, (parentheses), "exact phrases", -exclusions, @handles, #hashtags, lang:en.',
    )
    kind = forms.ChoiceField(label="About", choices=())
    networks = forms.MultipleChoiceField(choices=(), widget=forms.CheckboxSelectMultiple)
    inbox_policy = forms.ChoiceField(
        label="What reaches the inbox",
        choices=(),
        widget=forms.RadioSelect,
        help_text="X search hits only: comments on the bank's own pages always reach the inbox.",
    )
    spike_sensitivity = forms.FloatField(
        label="Spike sensitivity",
        required=False,
        min_value=1.0,
        max_value=20.0,
        help_text="Standard deviations above the usual volume that raise an alert (blank: 5). "
        "Lower is more sensitive.",
    )
    is_active = forms.BooleanField(label="Active", required=False, initial=True)

    def __init__(self, *args, instance=None, **kwargs):
        from listening.models import ListeningQuery, Network

        self.instance = instance
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = ListeningQuery.Kind.choices
        self.fields["networks"].choices = Network.choices
        self.fields["inbox_policy"].choices = ListeningQuery.InboxPolicy.choices
        if instance is None and not self.is_bound:
            self.initial.update(
                {
                    # Most new queries are topics; "the bank" and competitors feed share of voice.
                    "kind": ListeningQuery.Kind.TOPIC,
                    "networks": list(Network.values),
                    "inbox_policy": ListeningQuery.InboxPolicy.QUESTIONS,
                    "is_active": True,
                }
            )

    def clean_name(self):
        from listening.models import ListeningQuery

        name = self.cleaned_data["name"].strip()
        clash = ListeningQuery.objects.filter(name__iexact=name)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError("Another query has this name.")
        return name

    def clean(self):
        from listening.query.services import QueryInvalid, query_validate

        cleaned = super().clean()
        text, networks = cleaned.get("text"), cleaned.get("networks")
        self.syntax_error = None
        if text and networks:
            try:
                query_validate(text=text, networks=networks)
            except QueryInvalid as exc:
                self.syntax_error = exc.syntax
                self.add_error("text", exc.message)
        return cleaned


class XBudgetForm(forms.Form):
    monthly_budget = forms.DecimalField(
        label="Monthly budget (USD)", min_value=1, max_value=1_000_000, max_digits=10, decimal_places=2
    )
    at_limit = forms.ChoiceField(
        label="At 100 %",
        choices=[("slow", "Slow polling down"), ("stop", "Stop polling and notify")],
        widget=forms.RadioSelect,
    )
    slow_interval = forms.IntegerField(
        label="Slowed poll interval (seconds)", min_value=60, max_value=86_400, initial=900
    )
