"""What is done to one message of the thread: unmask, hide, unhide, delete, correct a label."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from inbox import forms, moderation, permissions, services
from inbox.views.pane import action_response, run_action
from listening import label_services
from listening.models import Mention


@never_cache
@require_POST
def message_unmask(request, pk: int, mention_pk: int):
    conversation = permissions.conversation_for_user(request.user, pk, write=True)
    mention = get_object_or_404(Mention, pk=mention_pk)
    try:
        text = services.mention_unmask(actor=request.user, conversation=conversation, mention=mention)
    except services.InboxError as exc:
        return HttpResponse(str(exc), status=403, content_type="text/plain")
    return render(request, "inbox/_unmasked.html", {"message": mention, "text": text})


_MODERATION_NOTICES = {
    moderation.HIDE: "Hidden. The customer and their friends still see it; nobody else does.",
    moderation.UNHIDE: "Shown again to everyone.",
    moderation.DELETE: "Deleted on the network. The thread keeps it, marked deleted, for the record.",
}


def _moderate(request, pk: int, mention_pk: int, action: str):
    conversation = permissions.conversation_for_user(request.user, pk, write=True)
    mention = get_object_or_404(Mention, pk=mention_pk)
    return run_action(
        request,
        conversation,
        lambda: moderation.mention_moderate(
            actor=request.user, conversation=conversation, mention=mention, action=action
        ),
        notice=_MODERATION_NOTICES[action],
    )


@require_POST
def comment_hide(request, pk: int, mention_pk: int):
    return _moderate(request, pk, mention_pk, moderation.HIDE)


@require_POST
def comment_unhide(request, pk: int, mention_pk: int):
    return _moderate(request, pk, mention_pk, moderation.UNHIDE)


@require_POST
def reply_delete(request, pk: int, mention_pk: int):
    return _moderate(request, pk, mention_pk, moderation.DELETE)


@require_POST
def message_label(request, pk: int, mention_pk: int):
    """Correct one label of a customer's message: one click in the pane, audited, kept for training."""
    conversation = permissions.conversation_for_user(request.user, pk, write=True)
    mention = get_object_or_404(
        Mention, pk=mention_pk, network=conversation.network, thread_key=conversation.thread_key
    )
    form = forms.LabelForm(request.POST)
    if not form.is_valid():
        return action_response(request, conversation, error="Choose a label and its value.", status=422)
    label, value = form.cleaned_data["label"], form.cleaned_data["value"]
    try:
        changed = label_services.label_correct(actor=request.user, mention=mention, label=label, value=value)
    except label_services.LabelError as exc:
        return action_response(request, conversation, error=str(exc), status=422)
    if changed and label == "sentiment":
        services.conversation_sentiment_follow(conversation=conversation, mention=mention)
    shown = label.replace("_", " ").capitalize()
    pretty = value.replace("_", " ")
    notice = f"{shown} corrected to {pretty}." if changed else f"{shown} was {pretty} already."
    return action_response(request, conversation, notice=notice)
