"""The approvals queue (leads): replies waiting for a decision, approve or send back."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from bankbuzz.degrade import BROKER_ERRORS, DELAYED_NOTICE
from inbox import forms, permissions, reply_services, selectors, services


@never_cache
@require_GET
def approvals(request):
    permissions.approvals_access(request.user)
    waiting = selectors.replies_awaiting_approval()
    return render(
        request,
        "inbox/approvals.html",
        {
            "waiting": [
                (r, reply_services.can_approve(request.user, r) and r.author_id != request.user.pk)
                for r in waiting
            ],
            "decided": selectors.replies_recently_decided(),
        },
    )


def _decide(request, reply_pk: int, decide, done: str):
    permissions.approvals_access(request.user)
    reply = permissions.reply_for_user(request.user, reply_pk)
    form = forms.DecisionForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    try:
        decide(reply, comment)
        messages.success(request, done)
    except services.InboxError as exc:
        messages.error(request, str(exc))
    except BROKER_ERRORS:
        messages.warning(request, DELAYED_NOTICE)
    return redirect("inbox:approvals")


@require_POST
def reply_approve(request, reply_pk: int):
    return _decide(
        request,
        reply_pk,
        lambda r, c: reply_services.reply_approve(actor=request.user, reply=r, comment=c),
        "Approved: the reply is on its way.",
    )


@require_POST
def reply_reject(request, reply_pk: int):
    return _decide(
        request,
        reply_pk,
        lambda r, c: reply_services.reply_reject(actor=request.user, reply=r, comment=c),
        "Sent back to its author with your comment.",
    )
