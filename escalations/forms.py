"""Forms of escalations: escalate, the expert's actions, departments and routing rules."""

from __future__ import annotations

import datetime as dt

from django import forms

from bankbuzz.accounts import roles
from bankbuzz.accounts.models import User
from bankbuzz.fields import BoundedDateField
from escalations.models import Department, RoutingRule
from escalations.services.departments import DEPARTMENT_FIELDS
from escalations.services.routing import RULE_FIELDS
from inbox.models import Conversation

PRIORITIES = Conversation.Priority.choices
WEEKDAYS = [(0, "Mon"), (1, "Tue"), (2, "Wed"), (3, "Thu"), (4, "Fri"), (5, "Sat"), (6, "Sun")]


class EscalateForm(forms.Form):
    department = forms.ModelChoiceField(queryset=Department.objects.filter(is_active=True), empty_label=None)
    priority = forms.TypedChoiceField(choices=PRIORITIES, coerce=int)
    question = forms.CharField(widget=forms.Textarea(attrs={"rows": 10}), max_length=5000)


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label="Answer for the social team (internal)",
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=5000,
    )
    proposed_reply = forms.CharField(
        label="Proposed public reply (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        help_text="The agent reviews and sends it. Never include account or card numbers.",
    )


class AskForm(forms.Form):
    question = forms.CharField(
        label="What do you need from the agent?", widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )


class InfoForm(forms.Form):
    text = forms.CharField(
        label="Information for the expert", widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )


class TransferForm(forms.Form):
    department = forms.ModelChoiceField(queryset=Department.objects.none(), empty_label=None)
    reason = forms.CharField(max_length=500)

    def __init__(self, *args, departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Department.objects.filter(pk__in=[d.pk for d in departments])


class CloseForm(forms.Form):
    reason = forms.CharField(max_length=500, required=False)


class QueueFilterForm(forms.Form):
    department = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    state = forms.ChoiceField(
        required=False,
        choices=[
            ("active", "Active"),
            ("mine", "Mine"),
            ("unassigned", "Unassigned"),
            ("waiting_agent", "Waiting on the agent"),
            ("answered", "Answered"),
            ("closed", "Closed"),
        ],
    )
    sla = forms.ChoiceField(
        required=False, choices=[("", "Any SLA"), ("warning", "Due soon"), ("breach", "Breached")]
    )

    def __init__(self, *args, departments=(), mine: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        # "My" only for a specialist, whose queue is their own departments'.
        everything = "All my departments" if mine else "All departments"
        self.fields["department"].label = "Department"
        self.fields["department"].choices = [("", everything)] + [(d.pk, d.name) for d in departments]


def _people(*role_names: str):
    return User.objects.filter(is_active=True, groups__name__in=role_names).distinct().order_by("first_name")


class PeopleField(forms.ModelMultipleChoiceField):
    """People ticked by name, their username beside it (two people may share a name)."""

    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj) -> str:
        name = obj.display_name
        return name if name == obj.username else f"{name} ({obj.username})"


class DepartmentForm(forms.ModelForm):
    work_days = forms.TypedMultipleChoiceField(
        label="Work days", choices=WEEKDAYS, coerce=int, widget=forms.CheckboxSelectMultiple
    )
    members = PeopleField(
        queryset=User.objects.none(), required=False, help_text="Specialists who answer its escalations."
    )
    leads = PeopleField(
        queryset=User.objects.none(),
        required=False,
        help_text="Told of its escalations and SLA warnings, and of a breach nobody has taken.",
    )

    class Meta:
        model = Department
        fields = DEPARTMENT_FIELDS  # what department_save records in the audit log
        widgets = {
            "day_start": forms.TimeInput(attrs={"type": "time"}),
            "day_end": forms.TimeInput(attrs={"type": "time"}),
            "description": forms.Textarea(attrs={"rows": 2}),
        }
        labels = {
            "time_zone": "Time zone",
            "day_start": "Working day starts",
            "day_end": "Working day ends",
            "notification_email": "Team mailbox",
            "is_active": "Active (offered when escalating)",
        }
        help_texts = {"notification_email": "Copied on SLA warnings."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = _people(roles.SPECIALIST)
        self.fields["leads"].queryset = _people(roles.SPECIALIST, roles.LEAD, roles.MANAGER)
        if self.instance.pk:
            self.initial["members"] = list(self.instance.members.values_list("pk", flat=True))
            self.initial["leads"] = list(self.instance.leads.values_list("pk", flat=True))


class SlaForm(forms.Form):
    priority = forms.TypedChoiceField(choices=PRIORITIES, coerce=int)
    first_response_minutes = forms.IntegerField(min_value=1, max_value=60 * 24 * 30)
    resolution_minutes = forms.IntegerField(min_value=1, max_value=60 * 24 * 90)


class HolidayForm(forms.Form):
    date = BoundedDateField(widget=forms.DateInput(attrs={"type": "date"}))
    name = forms.CharField(max_length=80, required=False)

    def clean_date(self):
        value = self.cleaned_data["date"]
        if value < dt.date(2000, 1, 1):
            raise forms.ValidationError("That date is too far in the past.")
        return value


class RoutingRuleForm(forms.ModelForm):
    has_pii = forms.NullBooleanField(
        label="Has personal data",
        required=False,
        widget=forms.Select(choices=[("unknown", "Either way"), ("true", "Yes"), ("false", "No")]),
    )

    class Meta:
        model = RoutingRule
        fields = RULE_FIELDS  # what the routing rule services record in the audit log
        widgets = {"phrases": forms.Textarea(attrs={"rows": 4})}
        labels = {
            "position": "Position (lower is tried first)",
            "is_active": "Active",
            "priority_hint": "Priority hint",
            "min_followers": "At least this many followers",
            "priority": "Priority of the escalation",
            "auto_escalate": "Escalate by itself",
        }
        help_texts = {
            "intent": "Matches only a label the model is confident of.",
            "priority_hint": "",
            "language": "A language code such as en or fr. Empty: any language.",
            "min_followers": "Empty: anyone.",
            "has_pii": "",
            "auto_escalate": "Otherwise the rule only suggests the department to the agent.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["intent"].widget = forms.Select(
            choices=[
                ("", "Any"),
                ("complaint", "Complaint"),
                ("fraud", "Fraud or unauthorised payment"),
                ("question", "Question"),
                ("outage", "Service outage"),
                ("thanks", "Thanks or praise"),
                ("close_or_switch", "Close or switch"),
                ("spam", "Spam"),
                ("other", "Other"),
            ]
        )
        self.fields["priority_hint"].widget = forms.Select(
            choices=[
                ("", "Any"),
                ("urgent", "Urgent"),
                ("high", "High"),
                ("normal", "Normal"),
                ("low", "Low"),
            ]
        )
        self.fields["department"].queryset = Department.objects.filter(is_active=True)
        self.fields["department"].empty_label = "Choose a department"
        self.fields["network"].choices = [("", "Any network"), *self.fields["network"].choices[1:]]
        self.fields["priority"].choices = [
            ("", "The conversation's own"),
            *self.fields["priority"].choices[1:],
        ]
