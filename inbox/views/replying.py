"""Replying from the composer: submit through the guard, retry, withdraw."""

from __future__ import annotations

from django.http import QueryDict
from django.shortcuts import render
from django.views.decorators.http import require_POST

from bankbuzz.degrade import BROKER_ERRORS, DELAYED_NOTICE
from inbox import forms, permissions, reply_services, selectors, services
from inbox.models import Conversation, Reply, SavedReply
from inbox.views.listing import list_page_context
from inbox.views.pane import action_response, pane_context, run_action


def _composer_response(request, conversation: Conversation, *, composer: dict, error: str, status: int):
    """A refused reply: the pane again, with the text kept and the reason (and spans) shown.

    The reason shows in the composer, next to the text it is about, not in the pane's banner.
    """
    composer.setdefault("error", error)
    if request.htmx:
        return action_response(request, conversation, status=status, composer=composer)
    fresh = permissions.conversation_for_user(request.user, conversation.pk)
    context = pane_context(request, fresh, composer=composer)
    context.update(list_page_context(request, params=QueryDict()))
    return render(request, "inbox/list.html", context, status=status)


@require_POST
def reply_submit(request, pk: int):
    conversation = permissions.conversation_for_user(request.user, pk, write=True)
    form = forms.ReplyForm(request.POST)
    if not form.is_valid():
        composer = {"text": request.POST.get("text", "")[:10000], "channel": request.POST.get("channel", "")}
        return _composer_response(
            request,
            conversation,
            composer=composer,
            error="Write the reply (at most 10,000 characters).",
            status=422,
        )
    data = form.cleaned_data
    channel = "private" if data.get("switch") == "private" else data["channel"]
    saved = SavedReply.objects.filter(pk=data["saved_reply"]).first() if data.get("saved_reply") else None
    composer = {"text": data["text"], "channel": channel, "saved_reply": saved.pk if saved else ""}
    try:
        reply = reply_services.reply_submit(
            actor=request.user,
            conversation=conversation,
            channel=channel,
            text=data["text"],
            seen_version=data["version"],
            saved_reply=saved,
            override_reason=data.get("override_reason") or "",
            confirm_private=bool(data.get("confirm_private")),
        )
    except reply_services.ReplyBlocked as exc:
        composer["blocked"] = exc
        composer["error"] = str(exc)
        return _composer_response(request, conversation, composer=composer, error=str(exc), status=422)
    except services.StaleAction as exc:
        composer["error"] = str(exc)
        return _composer_response(request, conversation, composer=composer, error=str(exc), status=409)
    except services.InboxError as exc:
        composer["error"] = str(exc)
        return _composer_response(request, conversation, composer=composer, error=str(exc), status=422)
    except BROKER_ERRORS:
        # The reply is saved as queued; only handing it to the queue failed. The relay sends it
        # once the queue is back, so sending it again would only make a second reply.
        return action_response(request, conversation, notice=DELAYED_NOTICE)
    if reply.resubmitted:
        notice = "You sent this reply a moment ago: it is the same one, not a second."
    elif reply.state == Reply.State.AWAITING_APPROVAL:
        notice = "Waiting for a lead's approval: " + "; ".join(reply.approval_reasons) + "."
    elif selectors.reply_awaits_dispatch(reply_id=reply.pk):
        notice = DELAYED_NOTICE
    else:
        notice = "On its way: it shows in the thread once the network has it."
    return action_response(request, conversation, notice=notice)


def _reply_action(request, reply_pk: int, action, notice: str):
    reply = permissions.reply_for_user(request.user, reply_pk)
    conversation = permissions.conversation_for_user(request.user, reply.conversation_id)
    return run_action(request, conversation, lambda: action(reply), notice=notice)


@require_POST
def reply_retry(request, reply_pk: int):
    permissions.inbox_access(request.user, write=True)
    return _reply_action(
        request, reply_pk, lambda r: reply_services.reply_retry(actor=request.user, reply=r), "Queued again."
    )


@require_POST
def reply_withdraw(request, reply_pk: int):
    permissions.inbox_access(request.user, write=True)
    return _reply_action(
        request,
        reply_pk,
        lambda r: reply_services.reply_withdraw(actor=request.user, reply=r),
        "Withdrawn: it will not be sent.",
    )
