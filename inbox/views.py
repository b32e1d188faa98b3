from django.conf import settings
from django.http import HttpResponseBadRequest
from django.shortcuts import render
from django.views.decorators.http import require_GET

from inbox import permissions, selectors
from listening.models import SocialAccount


@require_GET
def conversation_list(request):
    permissions.inbox_access(request.user)
    try:
        page = selectors.conversation_list(
            user=request.user, cursor=request.GET.get("cursor") or None, page_size=settings.INBOX_PAGE_SIZE
        )
    except selectors.BadCursor as exc:
        return HttpResponseBadRequest(str(exc))
    context = {
        "page": page,
        "is_first_page": not request.GET.get("cursor"),
        "accounts": SocialAccount.objects.filter(is_active=True).order_by("network", "handle"),
    }
    template = "inbox/_list.html" if request.headers.get("HX-Request") else "inbox/list.html"
    return render(request, template, context)


@require_GET
def conversation_detail(request, pk: int):
    conversation = permissions.conversation_for_user(request.user, pk)
    messages = selectors.conversation_messages(conversation=conversation)
    template = "inbox/_conversation.html" if request.headers.get("HX-Request") else "inbox/detail.html"
    return render(request, template, {"conversation": conversation, "messages": messages})
