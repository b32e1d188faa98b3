"""Retention settings, legal holds and erasure requests (compliance officers and administrators)."""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from bankbuzz.audit import erasure, retention
from bankbuzz.audit.forms import ErasureRequestForm, LegalHoldForm, LiftHoldForm, RetentionDaysForm
from bankbuzz.audit.models import AuditEvent, ErasureRequest, LegalHold
from bankbuzz.audit.permissions import can_change_retention, compliance_access, retention_access

LIST_SIZE = 200


def _first_error(form) -> str:
    for errors in form.errors.values():
        return errors[0]
    return "Check the form."


@never_cache
@require_http_methods(["GET", "POST"])
def retention_settings(request):
    retention_access(request.user, write=request.method == "POST")
    if request.method == "POST":
        form = RetentionDaysForm(request.POST)
        if not form.is_valid():
            messages.error(request, f"Not saved: {_first_error(form)}")
            return redirect("audit:retention")
        try:
            policy = retention.retention_policy_set(
                actor=request.user, key=form.cleaned_data["kind"], days=form.cleaned_data["days"]
            )
        except retention.RetentionError as exc:
            messages.error(request, f"Not saved: {exc}")
        else:
            action = retention.ACTIONS[policy.kind.action].lower()
            messages.success(request, f"{policy.kind.label}: {action} after {policy.days} days.")
        return redirect("audit:retention")
    last_run = AuditEvent.objects.filter(verb="retention.run").order_by("-at", "-id").first()
    return render(
        request,
        "audit/retention.html",
        {
            "policies": retention.policies(),
            "can_change": can_change_retention(request.user),
            "actions": retention.ACTIONS,
            "last_run": last_run,
            "tab": "retention",
        },
    )


@never_cache
@require_GET
def holds(request):
    compliance_access(request.user)
    all_holds = LegalHold.objects.select_related("placed_by", "lifted_by", "content_type")[:LIST_SIZE]
    active = [h for h in all_holds if h.is_active]
    lifted = [h for h in all_holds if not h.is_active]
    return render(
        request,
        "audit/holds.html",
        {"active": active, "lifted": lifted, "lift_form": LiftHoldForm(), "tab": "holds"},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def hold_new(request):
    compliance_access(request.user)
    targets = list(retention.registry.hold_targets.values())
    initial = {
        "target": request.GET.get("target", targets[0].key if targets else ""),
        "reference": request.GET.get("ref", ""),
    }
    form = LegalHoldForm(request.POST or None, targets=targets, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                hold = retention.legal_hold_place(
                    actor=request.user,
                    target_key=form.cleaned_data["target"],
                    reference=form.cleaned_data["reference"],
                    reason=form.cleaned_data["reason"],
                )
            except retention.RetentionError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"Legal hold {hold.pk} placed on {hold.object_repr}.")
                return redirect("audit:holds")
        status = 422
    return render(request, "audit/hold_form.html", {"form": form, "tab": "holds"}, status=status)


@never_cache
@require_POST
def hold_lift(request, pk: int):
    compliance_access(request.user)
    hold = get_object_or_404(LegalHold, pk=pk)
    form = LiftHoldForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Not lifted: give the reason the hold can be lifted.")
        return redirect("audit:holds")
    try:
        retention.legal_hold_lift(actor=request.user, hold=hold, reason=form.cleaned_data["reason"])
    except retention.RetentionError as exc:
        messages.error(request, f"Not lifted: {exc}")
    else:
        messages.success(request, f"Legal hold {hold.pk} lifted.")
    return redirect("audit:holds")


@never_cache
@require_GET
def erasures(request):
    compliance_access(request.user)
    requests = ErasureRequest.objects.select_related("requested_by")[:LIST_SIZE]
    return render(request, "audit/erasures.html", {"requests": requests, "tab": "erasure"})


@never_cache
@require_http_methods(["GET", "POST"])
def erasure_new(request):
    compliance_access(request.user)
    form = ErasureRequestForm(request.POST or None, networks=retention.registry.erasure_networks)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                done = erasure.erasure_request_create(
                    actor=request.user,
                    network=data["network"],
                    handle=data["handle"],
                    author_id=data["author_id"],
                    reference=data["reference"],
                )
            except retention.RetentionError as exc:
                form.add_error(None, str(exc))
            else:
                return redirect("audit:erasure", pk=done.pk)
        status = 422
    return render(request, "audit/erasure_form.html", {"form": form, "tab": "erasure"}, status=status)


@never_cache
@require_GET
def erasure_report(request, pk: int):
    compliance_access(request.user)
    erasure_request = get_object_or_404(ErasureRequest.objects.select_related("requested_by"), pk=pk)
    # The network by its name ("X", "LinkedIn"), as the form offered it, not its stored code.
    network = dict(retention.registry.erasure_networks).get(erasure_request.network, erasure_request.network)
    context = {"request_": erasure_request, "network": network, "tab": "erasure"}
    return render(request, "audit/erasure_report.html", context)


@never_cache
@require_GET
def erasure_download(request, pk: int):
    compliance_access(request.user)
    erasure_request = get_object_or_404(ErasureRequest.objects.select_related("requested_by"), pk=pk)
    body = {
        "erasure_request": erasure_request.pk,
        "reference": erasure_request.reference,
        "requested_by": erasure_request.requested_by.get_username() if erasure_request.requested_by else "",
        "requested_at": erasure_request.created_at.isoformat(),
        "state": erasure_request.state,
        **erasure_request.report,
    }
    response = HttpResponse(
        json.dumps(body, indent=2, ensure_ascii=False), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="bankbuzz-erasure-{erasure_request.pk}.json"'
    return response
