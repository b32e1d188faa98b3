from django import forms

from incidents import publishing
from listening.models import Network

NETWORK_CHOICES = list(Network.choices)


class AccountsField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{publishing.NETWORK_NAMES.get(obj.network, obj.network)} · {obj.handle}"


class PostForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), max_length=3000, label="Post")
    accounts = AccountsField(
        queryset=publishing.publishing_accounts(), widget=forms.CheckboxSelectMultiple, label="Publish on"
    )
    scheduled_for = forms.DateTimeField(
        required=False,
        label="Schedule for (optional)",
        help_text="Empty: as soon as a second lead approves it.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["accounts"].queryset = publishing.publishing_accounts()


class DecisionForm(forms.Form):
    comment = forms.CharField(required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class IncidentForm(forms.Form):
    name = forms.CharField(max_length=120)
    terms = forms.CharField(
        max_length=1000,
        help_text="Comma-separated words or phrases; a customer message with one of them joins the incident.",
    )
    networks = forms.MultipleChoiceField(choices=NETWORK_CHOICES, widget=forms.CheckboxSelectMultiple)
    spike = forms.IntegerField(required=False, widget=forms.HiddenInput)


class ReplyTemplateForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=2000, label="Reply")


class ResolveForm(forms.Form):
    follow_up_text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=2000, required=False, label="Follow-up reply"
    )
    post_text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=3000, required=False, label="Follow-up post"
    )
    accounts = AccountsField(
        queryset=publishing.publishing_accounts(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Post on",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["accounts"].queryset = publishing.publishing_accounts()


class MemberForm(forms.Form):
    conversation = forms.IntegerField(min_value=1, label="Conversation number")
