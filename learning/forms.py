from __future__ import annotations

from django import forms

from escalations.models import Department


class ArticleForm(forms.Form):
    title = forms.CharField(max_length=150)
    url = forms.CharField(
        max_length=500, label="Link to the bank's page", help_text="https:// only: customers are sent there."
    )
    summary = forms.CharField(
        max_length=600,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What an agent pastes into a reply; the link is added after it.",
    )
    topics = forms.CharField(
        max_length=400, required=False, help_text="Comma-separated, e.g. cards, declined, travel."
    )
    department = forms.ModelChoiceField(
        queryset=Department.objects.none(), label="Owning department", empty_label="Choose a department"
    )
    review_by = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="Review by")
    is_active = forms.BooleanField(required=False, initial=True, label="Suggest it to agents")

    def __init__(self, *args, departments=None, **kwargs):
        super().__init__(*args, **kwargs)
        if departments is not None:
            self.fields["department"].queryset = departments


class SuggestionUseForm(forms.Form):
    kind = forms.ChoiceField(choices=[("saved_reply", "Saved reply"), ("article", "Advice article")])
    entry = forms.IntegerField(min_value=1, max_value=2**31 - 1)
    rank = forms.IntegerField(min_value=1, max_value=3)


class ProposalForm(forms.Form):
    title = forms.CharField(max_length=100)
    body = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 6}),
        label="Text",
        help_text="Variables: {customer_name}, {handle}, {agent_first_name}, {bank_name}.",
    )
    shortcut = forms.CharField(max_length=31, required=False, help_text="Typed as ;shortcut in the composer.")
    tags = forms.CharField(max_length=200, required=False, help_text="Comma-separated.")


class RejectForm(forms.Form):
    comment = forms.CharField(max_length=1000, widget=forms.Textarea(attrs={"rows": 2}), label="Why not")


class ExperimentForm(forms.Form):
    topic = forms.CharField(max_length=40, help_text="A conversation tag, e.g. cards.")
    control = forms.ModelChoiceField(
        queryset=None, label="Version A (the current saved reply)", empty_label="Choose a saved reply"
    )
    variant = forms.ModelChoiceField(queryset=None, label="Version B", empty_label="Choose a saved reply")
    days = forms.IntegerField(min_value=1, max_value=90, initial=14, label="Run for (days)")

    def __init__(self, *args, **kwargs):
        from inbox.models import SavedReply

        super().__init__(*args, **kwargs)
        active = SavedReply.objects.filter(is_active=True).order_by("title")
        self.fields["control"].queryset = active
        self.fields["variant"].queryset = active


class ExperimentEndForm(forms.Form):
    keep = forms.IntegerField(required=False)
