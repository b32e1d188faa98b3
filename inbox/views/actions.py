"""What agents do to a conversation in the pane: claim, assign, status, priority, tags, links, notes."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_POST

from bankbuzz.accounts.models import User
from inbox import customer_links, forms, permissions, services
from inbox.models import Conversation, Tag
from inbox.views.pane import action_response, run_action
from listening.models import Author

# After a note, the composer stays on the note whatever the conversation's status.
NOTE_TAB = {"tab": "note"}


def _seen_version(request) -> int | None:
    form = forms.VersionedForm(request.POST)
    return form.cleaned_data["version"] if form.is_valid() else None


@require_POST
def conversation_claim(request, pk: int):
    conversation = permissions.conversation_for_user(request.user, pk, write=True)
    version = _seen_version(request)
    return run_action(
        request,
        conversation,
        lambda: services.conversation_claim(
            actor=request.user, conversation=conversation, seen_version=version
        ),
        notice="It is yours now.",
    )


@require_POST
def conversation_assign(request, pk: int):
    conversation = permissions.conversation_for_user(request.user, pk, write=True)
    form = forms.AssignForm(request.POST)
    if not form.is_valid():
        return action_response(
            request, conversation, error="Choose a colleague who works the inbox.", status=422
        )
    assignee: User | None = form.cleaned_data["assignee"]
    return run_action(
        request,
        conversation,
        lambda: services.conversation_assign(
            actor=request.user,
            conversation=conversation,
            assignee=assignee,
            seen_version=form.cleaned_data["version"],
        ),
        notice=f"Assigned to {assignee.display_name}." if assignee else "Unassigned.",
    )


@require_POST
def conversation_status(request, pk: int):
    conversation = permissions.conversation_for_user(request.user, pk, write=True)
    form = forms.StatusForm(request.POST)
    if not form.is_valid():
        return action_response(request, conversation, error="Choose a status.", status=422)
    status = form.cleaned_data["status"]
    return run_action(
        request,
        conversation,
        lambda: services.conversation_set_status(
            actor=request.user,
            conversation=conversation,
            status=status,
            seen_version=form.cleaned_data["version"],
        ),
        notice=f"Status: {Conversation.Status(status).label}.",
    )


@require_POST
def conversation_priority(request, pk: int):
    conversation = permissions.conversation_for_user(request.user, pk, write=True)
    form = forms.PriorityForm(request.POST)
    if not form.is_valid():
        return action_response(request, conversation, error="Choose a priority.", status=422)
    return run_action(
        request,
        conversation,
        lambda: services.conversation_set_priority(
            actor=request.user,
            conversation=conversation,
            priority=form.cleaned_data["priority"],
            seen_version=form.cleaned_data["version"],
        ),
        notice="Priority changed.",
    )


@require_POST
def conversation_tag_add(request, pk: int):
    conversation = permissions.conversation_for_user(request.user, pk, write=True)
    form = forms.TagForm(request.POST)
    if not form.is_valid():
        return action_response(
            request, conversation, error="Type a tag of at most 40 characters.", status=422
        )
    return run_action(
        request,
        conversation,
        lambda: services.conversation_tag_add(
            actor=request.user, conversation=conversation, name=form.cleaned_data["name"]
        ),
    )


@require_POST
def conversation_tag_remove(request, pk: int, tag_pk: int):
    conversation = permissions.conversation_for_user(request.user, pk, write=True)
    tag = get_object_or_404(Tag, pk=tag_pk)
    return run_action(
        request,
        conversation,
        lambda: services.conversation_tag_remove(actor=request.user, conversation=conversation, tag=tag),
    )


@require_POST
def customer_link(request, pk: int):
    """Confirm, or take back, that another network's author is this conversation's customer."""
    conversation = permissions.conversation_for_user(request.user, pk, write=True)
    form = forms.CustomerLinkForm(request.POST)
    if not form.is_valid():
        return action_response(request, conversation, error="Choose whom to link or unlink.", status=422)
    other = get_object_or_404(Author, pk=form.cleaned_data["other"])
    if form.cleaned_data["action"] == "unlink":
        change = customer_links.customer_link_remove
        notice = f"{other.label} on {other.get_network_display()} is no longer linked."
    else:
        change = customer_links.customer_link_add
        notice = f"Linked: {other.label} on {other.get_network_display()} is the same person."
    try:
        change(actor=request.user, conversation=conversation, other=other)
    except customer_links.LinkRefused as exc:
        return action_response(request, conversation, error=str(exc), status=422)
    return action_response(request, conversation, notice=notice)


@require_POST
def note_add(request, pk: int):
    conversation = permissions.conversation_for_user(request.user, pk, write=True)
    form = forms.NoteForm(request.POST)
    if not form.is_valid():
        return action_response(
            request,
            conversation,
            error="Write the note first (at most 5,000 characters).",
            status=422,
            composer=NOTE_TAB,
        )
    return run_action(
        request,
        conversation,
        lambda: services.note_add(
            actor=request.user, conversation=conversation, text=form.cleaned_data["text"]
        ),
        notice="Note added.",
        composer=NOTE_TAB,
    )
