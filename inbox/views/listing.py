"""The inbox's list: its filters and saved views, its pages, and its live poll."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.http import HttpResponseBadRequest, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from bankbuzz.accounts import roles
from inbox import forms, partials, permissions, presence, selectors
from inbox.models import Tag
from listening.models import SocialAccount

# Filters that belong to the list's URL (kept when opening a conversation, paging, polling).
LIST_PARAMS = tuple(forms.ListFilterForm.base_fields)


def list_query_string(params: QueryDict) -> str:
    return urlencode([(k, v) for k in LIST_PARAMS for v in params.getlist(k) if v])


def _list_state(request, params: QueryDict | None = None):
    params = params if params is not None else request.GET
    workers = list(selectors.inbox_workers())
    form = forms.ListFilterForm(params, workers=workers)
    form.is_valid()
    return form, form.list_query(), workers


# The toolbar's selects, printed from plain lists (Django's select widgets cost about 18 ms a
# page, option by option through widget templates; see docs/benchmarks.md).
FILTER_SELECTS = ("network", "account", "status", "assignee", "tag", "sentiment", "priority")


def _filter_selects(
    form: forms.ListFilterForm, accounts: list[SocialAccount], tags: list[tuple[int, str]]
) -> list[dict]:
    """[{name, label, options: [(value, label, selected)]}] for the toolbar, from the bound form.

    `accounts`: every account in the account field's order (read once for this and the rail);
    `tags`: every (id, name) in name order (read once for this and, on a direct link, the pane).
    """
    out = []
    for name in FILTER_SELECTS:
        field = form.fields[name]
        if name == "tag":
            choices = [("", field.empty_label), *tags]
        elif name == "account":
            choices = [("", field.empty_label), *((a.pk, str(a)) for a in accounts)]
        else:
            choices = field.choices
        current = str(form.data.get(name, "") or "")
        options = [(str(value), label, str(value) == current) for value, label in choices]
        out.append(
            {
                "name": name,
                "label": name.capitalize(),
                "options": options,
                # Printed in Python: about 70 options a page through the template cost ~1 ms.
                "options_html": partials.render_options(options),
            }
        )
    return out


def _rail_views(request, params: QueryDict, *, counts: bool = True) -> dict:
    """The rail's saved views (`inbox/_views.html`): with their capped counts unless `counts` is false,
    and each view's link keeping the list's other filters."""
    return {
        "saved_views": selectors.SAVED_VIEWS.values(),
        "counts": selectors.view_counts(user=request.user) if counts else {},
        "count_cap": selectors.COUNT_CAP,
        "view_params": list_query_string(_without(params, "view", "cursor")),
    }


def list_shell_context(request, *, params: QueryDict | None = None, counts: bool = True) -> dict:
    """The inbox page around its rows: the toolbar (form, selects, sorts), the rail (views, counts,
    accounts) and the permissions; no row is read (a direct link's list arrives in its own request,
    and with `counts` false the rail's counts with it: `WITH_COUNTS`)."""
    params = params if params is not None else request.GET
    form, query, workers = _list_state(request, params)
    # One read for the account filter (all, in its field's order) and the rail (the active ones).
    accounts = list(form.fields["account"].queryset)
    tags = list(Tag.objects.order_by(*Tag.ALPHABETICAL).values_list("pk", "name"))
    return {
        "form": form,
        "filter_selects": _filter_selects(form, accounts, tags),
        "tag_choices": tags,
        "query": query,
        "workers": workers,
        "sorts": [(key, label) for key, (label, _keys) in selectors.SORTS.items()],
        **_rail_views(request, params, counts=counts),
        "list_params": list_query_string(params),
        "accounts": [a for a in accounts if a.is_active],
        "can_write": roles.can_work_inbox(request.user),
        "can_manage_tags": permissions.can_manage_tags(request.user),
        "can_see_approvals": permissions.can_approve_replies(request.user),
    }


def list_rows_context(request, *, query, cursor: str | None = None) -> dict:
    """The page of rows `inbox/_list.html` prints, their presence, and the poll's `since`."""
    # Taken before the rows are read, so a conversation arriving in between is counted as new.
    since = timezone.now().isoformat()
    page = selectors.conversation_list(
        user=request.user, query=query, cursor=cursor, page_size=_page_size(), rows_only=True
    )
    row_ids = [c.pk for c in page.conversations]
    return {
        "page": page,
        "cursor": cursor,
        "since": since,
        "presence": presence.present_in_many(conversation_ids=row_ids, exclude_user_id=request.user.pk),
    }


def list_page_context(request, *, params: QueryDict | None = None, cursor: str | None = None) -> dict:
    context = list_shell_context(request, params=params)
    context.update(list_rows_context(request, query=context["query"], cursor=cursor))
    return context


# The header a direct link's placeholder sends for its list (`inbox/_list_loading.html`): the page
# was printed without the rail's counts, which come with the rows, in the rail's place.
WITH_COUNTS = "X-Inbox-Counts"


def list_region_context(request, *, cursor: str | None = None) -> dict:
    """What `inbox/_list.html` prints when htmx swaps the list alone in (a direct link's list,
    a page of older rows): the rows and what their region needs, not the toolbar's or the rail's
    reads (the filter selects, the tags; the view counts only when `WITH_COUNTS` asks for them)."""
    form, query, _workers = _list_state(request)
    context = {
        "query": query,
        "list_params": list_query_string(request.GET),
        "accounts": [a for a in form.fields["account"].queryset if a.is_active],
        "can_write": roles.can_work_inbox(request.user),
        "list_partial": True,
    }
    if request.headers.get(WITH_COUNTS) == "1":
        context.update(views_oob=True, **_rail_views(request, request.GET))
    context.update(list_rows_context(request, query=query, cursor=cursor))
    return context


def list_url(params: QueryDict, *, cursor: str | None = None) -> str:
    """The list's URL with the list's filters of `params` (and a page's cursor)."""
    query = list_query_string(params)
    if cursor:
        query = f"{query}&{urlencode({'cursor': cursor})}" if query else urlencode({"cursor": cursor})
    return reverse("inbox:list") + (f"?{query}" if query else "")


def _page_size() -> int:
    return settings.INBOX_PAGE_SIZE


def _without(params: QueryDict, *names: str) -> QueryDict:
    copy = params.copy()
    for name in names:
        copy.pop(name, None)
    return copy


@never_cache
@require_GET
def conversation_list(request):
    permissions.inbox_access(request.user)
    cursor = request.GET.get("cursor") or None
    try:
        if request.htmx.target == "list-region":
            return render(request, "inbox/_list.html", list_region_context(request, cursor=cursor))
        context = list_page_context(request, cursor=cursor)
    except selectors.BadCursor as exc:
        return HttpResponseBadRequest(str(exc))
    return render(request, "inbox/list.html", context)


@never_cache
@require_GET
def list_poll(request):
    """The list's heartbeat: counts, "N new" for this view, and rows that changed in place."""
    permissions.inbox_access(request.user)
    _form, query, _workers = _list_state(request)
    try:
        since = dt.datetime.fromisoformat(request.GET.get("since", ""))
    except ValueError:
        since = timezone.now()
    shown = forms.parse_selection(request.GET.get("rows", "").split(","))[:200]
    selected = {pk for pk, _v in forms.parse_selection(request.GET.get("selected", "").split(","))}
    ids = [pk for pk, _v in shown]
    current = dict(
        permissions.conversations_visible_to(request.user).filter(pk__in=ids).values_list("pk", "version")
    )
    changed = [pk for pk, version in shown if pk in current and current[pk] != version]
    context = {
        **_rail_views(request, request.GET),
        "query": query,
        "list_params": list_query_string(request.GET),
        "new_count": selectors.new_since_count(user=request.user, query=query, since=since, shown=ids),
        "new_cap": selectors.NEW_CAP,
        "changed_rows": (
            selectors.conversation_rows(user=request.user, ids=changed, rows_only=True) if changed else []
        ),
        "selected": selected,
        "presence": presence.present_in_many(conversation_ids=ids, exclude_user_id=request.user.pk),
        "row_ids": ids,
        "can_write": roles.can_work_inbox(request.user),
    }
    return render(request, "inbox/_list_poll.html", context)
