"""Forms of the inbox: the list's filters (from the URL) and the actions on a conversation."""

from __future__ import annotations

from django import forms

from bankbuzz.accounts.models import User
from bankbuzz.fields import BoundedDateField
from inbox import selectors
from inbox.models import Conversation, Tag
from listening.label_services import LABELS
from listening.models import Network, SocialAccount

SENTIMENTS = [
    ("", "Any sentiment"),
    ("negative", "Negative"),
    ("neutral", "Neutral"),
    ("positive", "Positive"),
]


class DateInput(forms.DateInput):
    input_type = "date"


class ListFilterForm(forms.Form):
    """The list's state, all in the URL so a view can be bookmarked and shared."""

    view = forms.ChoiceField(choices=[(k, v.label) for k, v in selectors.SAVED_VIEWS.items()], required=False)
    sort = forms.ChoiceField(
        choices=[(k, label) for k, (label, _) in selectors.SORTS.items()], required=False
    )
    q = forms.CharField(required=False, max_length=200, label="Search")
    network = forms.ChoiceField(choices=[("", "Any network"), *Network.choices], required=False)
    account = forms.ModelChoiceField(
        queryset=SocialAccount.objects.order_by("network", "handle"),
        required=False,
        empty_label="Any account",
    )
    status = forms.ChoiceField(choices=[("", "Any status"), *Conversation.Status.choices], required=False)
    assignee = forms.ChoiceField(required=False)
    tag = forms.ModelChoiceField(
        queryset=Tag.objects.order_by(*Tag.ALPHABETICAL), required=False, empty_label="Any tag"
    )
    sentiment = forms.ChoiceField(choices=SENTIMENTS, required=False)
    priority = forms.TypedChoiceField(
        choices=[("", "Any priority"), *Conversation.Priority.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    lang = forms.CharField(required=False, max_length=8, label="Language")
    pii = forms.BooleanField(required=False, label="Has personal data")
    active_from = BoundedDateField(required=False, widget=DateInput, label="Active from")
    active_to = BoundedDateField(required=False, widget=DateInput, label="Active to")

    def __init__(self, *args, workers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [
            ("", "Anyone"),
            ("me", "Me"),
            ("none", "Nobody"),
            *[(str(u.pk), u.display_name) for u in workers],
        ]

    def list_query(self) -> selectors.ListQuery:
        """The valid part of the filters: a bad value is dropped (and reported), not a 500."""
        data = self.cleaned_data if self.is_bound else {}
        for name in self.errors:
            data.pop(name, None)
        account = data.get("account")
        tag = data.get("tag")
        return selectors.ListQuery(
            view=data.get("view") or selectors.DEFAULT_VIEW,
            sort=data.get("sort") or selectors.DEFAULT_SORT,
            q=(data.get("q") or "").strip(),
            network=data.get("network") or "",
            account=account.pk if account else None,
            status=data.get("status") or "",
            assignee=data.get("assignee") or "",
            tag=tag.pk if tag else None,
            sentiment=data.get("sentiment") or "",
            priority=data.get("priority"),
            lang=(data.get("lang") or "").strip().lower(),
            pii=bool(data.get("pii")),
            active_from=data.get("active_from"),
            active_to=data.get("active_to"),
        )


class LabelForm(forms.Form):
    """One label of a customer's message, corrected by an agent (values checked by the service)."""

    label = forms.ChoiceField(choices=[(name, name) for name in LABELS])
    value = forms.CharField(max_length=16)


class VersionedForm(forms.Form):
    """Every action on a conversation carries the version its user saw."""

    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class AssignForm(VersionedForm):
    assignee = forms.ModelChoiceField(queryset=User.objects.none(), required=False, empty_label="Nobody")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = selectors.inbox_workers()


class StatusForm(VersionedForm):
    status = forms.ChoiceField(
        choices=[c for c in Conversation.Status.choices if c[0] != Conversation.Status.NEW]
    )


class PriorityForm(VersionedForm):
    priority = forms.TypedChoiceField(choices=Conversation.Priority.choices, coerce=int)


class TagForm(forms.Form):
    name = forms.CharField(max_length=40, label="Add a tag")


class NoteForm(forms.Form):
    text = forms.CharField(max_length=5000, widget=forms.Textarea, label="Internal note")


class BulkForm(forms.Form):
    action = forms.ChoiceField(
        choices=[
            ("claim", "Assign to me"),
            ("assign", "Assign to…"),
            ("unassign", "Unassign"),
            ("tag", "Tag"),
            ("status", "Set status"),
            ("spam", "Mark spam"),
        ]
    )
    assignee = forms.ModelChoiceField(queryset=User.objects.none(), required=False)
    status = forms.ChoiceField(
        choices=[c for c in Conversation.Status.choices if c[0] != Conversation.Status.NEW], required=False
    )
    tag = forms.CharField(max_length=40, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = selectors.inbox_workers()

    def clean(self):
        data = super().clean()
        action = data.get("action")
        if action == "assign" and not data.get("assignee"):
            self.add_error("assignee", "Choose whom to assign them to.")
        if action == "status" and not data.get("status"):
            self.add_error("status", "Choose a status.")
        if action == "tag" and not data.get("tag"):
            self.add_error("tag", "Type a tag.")
        return data


def parse_selection(values: list[str]) -> list[tuple[int, int]]:
    """Bulk checkboxes carry "id:version"; anything else is ignored."""
    items = []
    for value in values[:500]:
        pk, _, version = value.partition(":")
        if pk.isdigit() and version.isdigit():
            items.append((int(pk), int(version)))
    return items


class ReplyForm(VersionedForm):
    channel = forms.ChoiceField(choices=[("public", "Public reply"), ("private", "Private message")])
    text = forms.CharField(max_length=10000, widget=forms.Textarea, label="Reply", strip=False)
    saved_reply = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    override_reason = forms.CharField(max_length=2000, required=False, widget=forms.Textarea)
    # The "send it privately instead" button of a blocked public reply.
    switch = forms.ChoiceField(choices=[("", ""), ("private", "private")], required=False)
    # "The customer asked for this in private": lets an IBAN or account number go privately.
    confirm_private = forms.BooleanField(required=False)


class DecisionForm(forms.Form):
    comment = forms.CharField(max_length=1000, required=False, widget=forms.Textarea, label="Comment")


class SavedReplyForm(forms.Form):
    title = forms.CharField(max_length=100)
    body = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        label="Text",
        help_text="Variables: {customer_name}, {handle}, {agent_first_name}, {bank_name}.",
    )
    shortcut = forms.CharField(
        max_length=30,
        required=False,
        help_text="Typed as ;shortcut in the composer. Letters, digits, - and _.",
    )
    tags = forms.CharField(max_length=200, required=False, help_text="Comma-separated.")
    networks = forms.MultipleChoiceField(
        choices=Network.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every network.",
    )
    is_active = forms.BooleanField(required=False, initial=True, label="Offered in the composer")


class CustomerLinkForm(forms.Form):
    other = forms.IntegerField(min_value=1, max_value=2**63 - 1)
    action = forms.ChoiceField(choices=[("link", "Link"), ("unlink", "Unlink")])
