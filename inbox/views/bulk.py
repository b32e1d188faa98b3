"""One action on many conversations of the list at once (the bulk bar)."""

from __future__ import annotations

from django.contrib import messages
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from inbox import forms, permissions, services
from inbox.views.listing import list_page_context, list_query_string


@require_POST
def bulk_apply(request):
    permissions.inbox_access(request.user, write=True)
    form = forms.BulkForm(request.POST)
    items = forms.parse_selection(request.POST.getlist("ids"))
    params = QueryDict(request.POST.get("return", ""))
    if not items:
        messages.error(request, "Select one or more conversations first (x or the checkboxes).")
    elif not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    else:
        data = form.cleaned_data
        try:
            result = services.conversations_bulk_apply(
                actor=request.user,
                items=items,
                action=data["action"],
                # Every field of the bar is sent (a select always has a value): take the action's own.
                value={"tag": data.get("tag"), "status": data.get("status")}.get(data["action"]) or "",
                assignee=data.get("assignee"),
            )
        except services.InboxError as exc:
            messages.error(request, str(exc))
        else:
            noun = "conversation" if result.done == 1 else "conversations"
            text = f"Done for {result.done} {noun}."
            if result.skipped:
                text += f" Skipped {len(result.skipped)}: " + " · ".join(result.skipped)
            (messages.warning if result.skipped else messages.success)(request, text)
    if request.htmx:
        return render(
            request, "inbox/_list.html", {**list_page_context(request, params=params), "list_partial": True}
        )
    return redirect(f"{reverse('inbox:list')}?{list_query_string(params)}")
