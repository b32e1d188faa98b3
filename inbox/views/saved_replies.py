"""Saved replies (leads): the list, the form to write or edit one, deleting."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from inbox import forms, permissions, reply_services, services
from inbox.models import SavedReply


@never_cache
@require_GET
def saved_reply_list(request):
    permissions.saved_replies_access(request.user)
    return render(
        request,
        "inbox/saved_replies.html",
        {"saved_replies": SavedReply.objects.order_by("-is_active", "title"), "form": forms.SavedReplyForm()},
    )


def _saved_reply_form_view(request, saved: SavedReply | None):
    if request.method == "POST":
        form = forms.SavedReplyForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                if saved is None:
                    reply_services.saved_reply_create(
                        actor=request.user,
                        title=data["title"],
                        body=data["body"],
                        shortcut=data["shortcut"],
                        tags=data["tags"],
                        networks=data["networks"],
                    )
                else:
                    reply_services.saved_reply_update(
                        actor=request.user,
                        saved=saved,
                        title=data["title"],
                        body=data["body"],
                        shortcut=data["shortcut"],
                        tags=data["tags"],
                        networks=data["networks"],
                        is_active=data["is_active"],
                    )
            except services.InboxError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "Saved reply saved.")
                return redirect("inbox:saved_replies")
    elif saved is not None:
        form = forms.SavedReplyForm(
            initial={
                "title": saved.title,
                "body": saved.body,
                "shortcut": saved.shortcut,
                "tags": ", ".join(saved.tags),
                "networks": saved.networks,
                "is_active": saved.is_active,
            }
        )
    else:
        form = forms.SavedReplyForm()
    return render(request, "inbox/saved_reply_edit.html", {"form": form, "saved": saved})


@never_cache
def saved_reply_new(request):
    permissions.saved_replies_access(request.user)
    return _saved_reply_form_view(request, None)


@never_cache
def saved_reply_edit(request, saved_pk: int):
    saved = permissions.saved_reply_for_manager(request.user, saved_pk)
    return _saved_reply_form_view(request, saved)


@require_POST
def saved_reply_delete(request, saved_pk: int):
    saved = permissions.saved_reply_for_manager(request.user, saved_pk)
    reply_services.saved_reply_delete(actor=request.user, saved=saved)
    messages.success(request, f"Saved reply “{saved.title}” deleted.")
    return redirect("inbox:saved_replies")
