"""The tags page (leads): rename and delete tags."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from inbox import permissions, services
from inbox.models import Conversation, Tag


@never_cache
@require_GET
def tag_list(request):
    permissions.inbox_access(request.user)
    if not permissions.can_manage_tags(request.user):
        raise PermissionDenied("Only social leads manage tags.")
    # Every use, and the open ones the link shows (the inbox's "All open" view).
    open_ones = Q(conversations__status__in=Conversation.ACTIVE)
    tags = Tag.objects.annotate(
        uses=Count("conversations"), open_uses=Count("conversations", filter=open_ones)
    ).order_by(*Tag.ALPHABETICAL)
    return render(request, "inbox/tags.html", {"tags": tags})


@require_POST
def tag_rename(request, tag_pk: int):
    tag = permissions.tag_for_manager(request.user, tag_pk)
    try:
        services.tag_rename(actor=request.user, tag=tag, name=request.POST.get("name", ""))
        messages.success(request, "Tag renamed.")
    except services.InboxError as exc:
        messages.error(request, str(exc))
    return redirect("inbox:tags")


@require_POST
def tag_delete(request, tag_pk: int):
    tag = permissions.tag_for_manager(request.user, tag_pk)
    services.tag_delete(actor=request.user, tag=tag)
    messages.success(request, f"Tag {tag.name} deleted.")
    return redirect("inbox:tags")
