"""Views: check access (permissions.py), validate a form, call a service, redirect or render."""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from bankbuzz.jinja import render as render_partial
from escalations import forms, permissions, selectors, services
from escalations.models import Escalation, Holiday, RoutingRule
from inbox.permissions import conversation_for_user


def _detail_url(escalation: Escalation) -> str:
    return reverse("escalations:detail", args=[escalation.pk])


# --- The queue ----------------------------------------------------------------------------------

# The queue's rows are a Jinja2 partial (templates/jinja2/escalations/_queue_rows.html): 50 rows
# through Django's engine (an include, two `{% url %}`, `truncatechars` and a form each) were about
# two thirds of the page's CPU (docs/benchmarks.md).


def _queue_rows_html(request, rows, *, is_expert: bool, my_departments) -> SafeString:
    from escalations.templatetags.escalation_tags import countdown, sla_label

    context = {
        "rows": rows,
        "user": request.user,
        "is_expert": is_expert,
        "my_departments": my_departments,
        "sla_label": sla_label,
        "countdown": countdown,
    }
    return render_partial("escalations/_queue_rows.html", context, request)


@never_cache
@require_GET
def queue(request):
    permissions.queue_access(request.user)
    departments = selectors.queue_departments(request.user)
    form = forms.QueueFilterForm(
        request.GET or None, departments=departments, mine=not permissions.can_see_all(request.user)
    )
    filters = selectors.QueueFilters()
    if form.is_valid():
        filters = selectors.QueueFilters(
            department=form.cleaned_data["department"],
            state=form.cleaned_data["state"] or "active",
            sla=form.cleaned_data["sla"],
        )
    try:
        page = selectors.escalation_queue(
            user=request.user, filters=filters, cursor=request.GET.get("cursor")
        )
    except selectors.BadCursor:
        page = selectors.escalation_queue(user=request.user, filters=filters)
    params = request.GET.copy()
    params.pop("cursor", None)
    now = timezone.now()
    rows = [(row, row.sla_state(now)) for row in page.rows]
    is_expert = permissions.is_expert(request.user)
    my_departments = permissions.department_ids_of(request.user)
    return render(
        request,
        "escalations/queue.html",
        {
            "form": form,
            "rows": rows,
            "rows_html": _queue_rows_html(request, rows, is_expert=is_expert, my_departments=my_departments),
            "next_cursor": page.next_cursor,
            "params": params.urlencode(),
            "departments": departments,
            "now": now,
            "is_expert": is_expert,
            "my_departments": my_departments,
        },
    )


# --- One escalation ------------------------------------------------------------------------------


def _detail_context(request, escalation: Escalation, **forms_given) -> dict:
    can_answer = permissions.can_answer(request.user, escalation)
    return {
        "escalation": escalation,
        "sla": escalation.sla_state(),
        "thread": selectors.thread_context(escalation.conversation),
        "notes": selectors.conversation_notes(escalation.conversation),
        "history": selectors.escalation_history(escalation),
        "can_answer": can_answer,
        "can_work_inbox": permissions.can_escalate(request.user),
        "answer_form": forms_given.get("answer_form") or forms.AnswerForm(),
        "ask_form": forms_given.get("ask_form") or forms.AskForm(),
        "info_form": forms_given.get("info_form") or forms.InfoForm(),
        "transfer_form": forms_given.get("transfer_form")
        or forms.TransferForm(departments=selectors.transfer_targets(escalation)),
        "close_form": forms.CloseForm(),
    }


@never_cache
@require_GET
def detail(request, pk: int):
    escalation = permissions.escalation_for_user(request.user, pk)
    return render(request, "escalations/detail.html", _detail_context(request, escalation))


def _run(request, escalation: Escalation, action, *, done: str):
    try:
        action()
    except services.EscalationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return redirect(_detail_url(escalation))


def _invalid(request, escalation: Escalation, **forms_given):
    context = _detail_context(request, escalation, **forms_given)
    return render(request, "escalations/detail.html", context, status=422)


@require_POST
def claim(request, pk: int):
    escalation = permissions.escalation_for_user(request.user, pk, write=True)
    return _run(
        request,
        escalation,
        lambda: services.escalation_claim(actor=request.user, escalation=escalation),
        done="It is yours.",
    )


@require_POST
def answer(request, pk: int):
    escalation = permissions.escalation_for_user(request.user, pk, write=True)
    form = forms.AnswerForm(request.POST)
    if not form.is_valid():
        return _invalid(request, escalation, answer_form=form)
    return _run(
        request,
        escalation,
        lambda: services.escalation_answer(
            actor=request.user,
            escalation=escalation,
            answer=form.cleaned_data["answer"],
            proposed_reply=form.cleaned_data["proposed_reply"],
        ),
        done="Answered: the conversation is back with the social team.",
    )


@require_POST
def ask(request, pk: int):
    escalation = permissions.escalation_for_user(request.user, pk, write=True)
    form = forms.AskForm(request.POST)
    if not form.is_valid():
        return _invalid(request, escalation, ask_form=form)
    return _run(
        request,
        escalation,
        lambda: services.escalation_request_info(
            actor=request.user, escalation=escalation, question=form.cleaned_data["question"]
        ),
        done="Asked: the SLA clock is paused until the agent answers.",
    )


@require_POST
def transfer(request, pk: int):
    escalation = permissions.escalation_for_user(request.user, pk, write=True)
    form = forms.TransferForm(request.POST, departments=selectors.transfer_targets(escalation))
    if not form.is_valid():
        return _invalid(request, escalation, transfer_form=form)
    department = form.cleaned_data["department"]
    try:
        services.escalation_transfer(
            actor=request.user,
            escalation=escalation,
            department=department,
            reason=form.cleaned_data["reason"],
        )
    except services.EscalationError as exc:
        messages.error(request, str(exc))
        return redirect(_detail_url(escalation))
    messages.success(request, f"Transferred to {department.name}.")
    # After a transfer the specialist may no longer see it.
    if permissions.escalations_visible_to(request.user).filter(pk=escalation.pk).exists():
        return redirect(_detail_url(escalation))
    return redirect("escalations:queue")


@require_POST
def close(request, pk: int):
    escalation = permissions.escalation_for_user(request.user, pk, close=True)
    form = forms.CloseForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _run(
        request,
        escalation,
        lambda: services.escalation_close(actor=request.user, escalation=escalation, reason=reason),
        done="Closed.",
    )


@require_POST
def give_info(request, pk: int):
    escalation = permissions.escalation_for_user(request.user, pk, as_agent=True)
    form = forms.InfoForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Write the information for the expert first.")
    else:
        try:
            services.escalation_give_info(
                actor=request.user, escalation=escalation, text=form.cleaned_data["text"]
            )
        except services.EscalationError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Sent to the expert: their clock runs again.")
    return redirect(reverse("inbox:detail", args=[escalation.conversation_id]))


# --- Escalating a conversation ---------------------------------------------------------------


def _in_side_panel(request) -> bool:
    """An htmx request from the conversation pane: the form lives in the pane's side panel."""
    return bool(request.htmx) and request.htmx.target == "escalate-sheet"


@never_cache
@require_http_methods(["GET", "POST"])
def escalate(request, conversation_pk: int):
    """The escalate form: a page of its own, or the conversation pane's side panel (htmx).

    The same form, the same service and the same checks either way. From the side panel, a
    success reloads the pane in place (HX-Location) and says so in a toast.
    """
    conversation = conversation_for_user(request.user, conversation_pk, write=True)
    side_panel = _in_side_panel(request)
    suggestion = selectors.routing_suggest(conversation)
    status = 200
    if request.method == "POST":
        form = forms.EscalateForm(request.POST)
        if form.is_valid():
            department = form.cleaned_data["department"]
            rule = suggestion.rule if suggestion and suggestion.department == department else None
            try:
                services.escalation_open(
                    actor=request.user,
                    conversation=conversation,
                    department=department,
                    priority=form.cleaned_data["priority"],
                    question=form.cleaned_data["question"],
                    rule=rule,
                )
            except services.EscalationError as exc:
                form.add_error(None, str(exc))
            else:
                done = f"Escalated to {department.name}."
                pane = reverse("inbox:detail", args=[conversation.pk])
                if side_panel:
                    response = HttpResponse(status=200)
                    response["HX-Trigger"] = json.dumps({"bankbuzz:toast": done})
                    response["HX-Location"] = json.dumps(
                        {"path": pane, "target": "#pane", "swap": "innerHTML"}
                    )
                    return response
                messages.success(request, done)
                return redirect(pane)
        status = 422
    else:
        form = forms.EscalateForm(
            initial={
                "department": suggestion.department.pk if suggestion else None,
                "priority": suggestion.priority if suggestion else conversation.priority,
                "question": selectors.question_prefill(conversation),
            }
        )
    context = {"conversation": conversation, "form": form, "suggestion": suggestion, "side_panel": side_panel}
    template = "escalations/_escalate_form.html" if side_panel else "escalations/escalate.html"
    return render(request, template, context, status=status)


@never_cache
@require_GET
def conversation(request, pk: int):
    """The conversation behind an escalation, read-only and masked, for its specialists."""
    conversation_ = permissions.conversation_for_expert(request.user, pk)
    escalations = [
        e
        for e in selectors.conversation_escalations(conversation_)
        if permissions.escalations_visible_to(request.user).filter(pk=e.pk).exists()
    ]
    return render(
        request,
        "escalations/conversation.html",
        {
            "conversation": conversation_,
            "customer_messages": selectors.thread_messages(conversation_),
            "notes": selectors.conversation_notes(conversation_),
            "escalations": escalations,
        },
    )


# --- Departments -------------------------------------------------------------------------------


@never_cache
@require_GET
def departments(request):
    if not permissions.can_manage_departments(request.user):
        permissions.queue_access(request.user)
    return render(
        request,
        "escalations/departments.html",
        {
            "departments": selectors.departments_overview(),
            "can_manage": permissions.can_manage_departments(request.user),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def department_edit(request, pk: int | None = None):
    if pk is None:
        if not permissions.can_manage_departments(request.user):
            permissions.department_for_manager(request.user, 0)  # raises 403
        department = None
    else:
        department = permissions.department_for_manager(request.user, pk)
    form = forms.DepartmentForm(request.POST or None, instance=department)
    sla_form = forms.SlaForm()
    holiday_form = forms.HolidayForm()
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in forms.DepartmentForm.Meta.fields}
        try:
            department = services.department_save(
                actor=request.user,
                department=department,
                fields=data,
                members=list(form.cleaned_data["members"]),
                leads=list(form.cleaned_data["leads"]),
            )
        except services.EscalationError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Saved {department.name}.")
            return redirect("escalations:department_edit", pk=department.pk)
    return render(
        request,
        "escalations/department_edit.html",
        {
            "department": department,
            "form": form,
            "sla_form": sla_form,
            "holiday_form": holiday_form,
            "policies": list(department.sla_policies.all()) if department else [],
            "holidays": list(department.holidays.all()) if department else [],
        },
    )


@require_POST
def department_sla(request, pk: int):
    department = permissions.department_for_manager(request.user, pk)
    form = forms.SlaForm(request.POST)
    if form.is_valid():
        try:
            services.sla_policy_set(actor=request.user, department=department, **form.cleaned_data)
        except services.EscalationError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "SLA saved.")
    else:
        messages.error(request, "Give both targets in minutes.")
    return redirect("escalations:department_edit", pk=department.pk)


@require_POST
def holiday_add(request, pk: int):
    department = permissions.department_for_manager(request.user, pk)
    form = forms.HolidayForm(request.POST)
    if form.is_valid():
        services.holiday_add(actor=request.user, department=department, **form.cleaned_data)
        messages.success(request, "Holiday added.")
    else:
        messages.error(request, "Choose a date.")
    return redirect("escalations:department_edit", pk=department.pk)


@require_POST
def holiday_remove(request, pk: int, holiday_pk: int):
    department = permissions.department_for_manager(request.user, pk)
    holiday = Holiday.objects.filter(department=department, pk=holiday_pk).first()
    if holiday is not None:
        services.holiday_remove(actor=request.user, holiday=holiday)
        messages.success(request, "Holiday removed.")
    return redirect("escalations:department_edit", pk=department.pk)


# --- Routing rules -------------------------------------------------------------------------------


@never_cache
@require_GET
def rules(request):
    if not permissions.can_manage_rules(request.user):
        permissions.rule_for_manager(request.user, 0)  # raises 403
    return render(
        request,
        "escalations/rules.html",
        {"rules": RoutingRule.objects.select_related("department").order_by("position", "id")},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def rule_edit(request, pk: int | None = None):
    if pk is None:
        if not permissions.can_manage_rules(request.user):
            permissions.rule_for_manager(request.user, 0)
        rule = None
    else:
        rule = permissions.rule_for_manager(request.user, pk)
    form = forms.RoutingRuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in forms.RoutingRuleForm.Meta.fields}
        # The form's instance already carries the new values; save through the service from a fresh copy.
        target = RoutingRule.objects.get(pk=rule.pk) if rule else None
        try:
            services.routing_rule_save(actor=request.user, rule=target, fields=data)
        except services.EscalationError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Routing rule saved.")
            return redirect("escalations:rules")
    return render(request, "escalations/rule_edit.html", {"rule": rule, "form": form})


@require_POST
def rule_delete(request, pk: int):
    rule = permissions.rule_for_manager(request.user, pk)
    services.routing_rule_delete(actor=request.user, rule=rule)
    messages.success(request, f"Deleted the rule “{rule.name}”.")
    return redirect("escalations:rules")
