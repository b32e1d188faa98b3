"""Inbox pages. Thin: check access, validate, call a service, render a partial or redirect.

Every view calls a helper of `inbox.permissions`. htmx requests get partials; the same
URLs work without JavaScript (full pages and redirects).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from bankbuzz.accounts import roles
from bankbuzz.accounts.models import User
from bankbuzz.audit import permissions as audit_permissions
from bankbuzz.audit import selectors as audit_selectors
from bankbuzz.degrade import BROKER_ERRORS, DELAYED_NOTICE
from inbox import (
    customer_links,
    forms,
    guard,
    moderation,
    permissions,
    presence,
    reply_services,
    rows,
    selectors,
    services,
)
from inbox.models import Conversation, Reply, SavedReply, Tag
from listening import label_services
from listening.models import Author, Mention, SocialAccount

# Filters that belong to the list's URL (kept when opening a conversation, paging, polling).
LIST_PARAMS = tuple(forms.ListFilterForm.base_fields)


def _list_params(params: QueryDict) -> str:
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
                "options_html": rows.render_options(options),
            }
        )
    return out


def _list_context(request, *, params: QueryDict | None = None, cursor: str | None = None) -> dict:
    params = params if params is not None else request.GET
    form, query, workers = _list_state(request, params)
    # Taken before the rows are read, so a conversation arriving in between is counted as new.
    since = timezone.now().isoformat()
    page = selectors.conversation_list(
        user=request.user, query=query, cursor=cursor, page_size=_page_size(), rows_only=True
    )
    row_ids = [c.pk for c in page.conversations]
    # One read for the account filter (all, in its field's order) and the rail (the active ones).
    accounts = list(form.fields["account"].queryset)
    tags = list(Tag.objects.order_by("name").values_list("pk", "name"))
    return {
        "form": form,
        "filter_selects": _filter_selects(form, accounts, tags),
        "tag_choices": tags,
        "query": query,
        "page": page,
        "cursor": cursor,
        "workers": workers,
        "saved_views": selectors.SAVED_VIEWS.values(),
        "sorts": [(key, label) for key, (label, _keys) in selectors.SORTS.items()],
        "counts": selectors.view_counts(user=request.user),
        "count_cap": selectors.COUNT_CAP,
        "list_params": _list_params(params),
        "view_params": _list_params(_without(params, "view", "cursor")),
        "since": since,
        "presence": presence.present_in_many(conversation_ids=row_ids, exclude_user_id=request.user.pk),
        "accounts": [a for a in accounts if a.is_active],
        "can_write": roles.can_work_inbox(request.user),
        "can_manage_tags": permissions.can_manage_tags(request.user),
        "can_see_approvals": permissions.can_approve_replies(request.user),
    }


def _page_size() -> int:
    return settings.INBOX_PAGE_SIZE


def _without(params: QueryDict, *names: str) -> QueryDict:
    copy = params.copy()
    for name in names:
        copy.pop(name, None)
    return copy


# --- The list ------------------------------------------------------------------------------------


@never_cache
@require_GET
def conversation_list(request):
    permissions.inbox_access(request.user)
    try:
        context = _list_context(request, cursor=request.GET.get("cursor") or None)
    except selectors.BadCursor as exc:
        return HttpResponseBadRequest(str(exc))
    if request.htmx.target == "list-region":
        return render(request, "inbox/_list.html", {**context, "list_partial": True})
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
        "saved_views": selectors.SAVED_VIEWS.values(),
        "counts": selectors.view_counts(user=request.user),
        "count_cap": selectors.COUNT_CAP,
        "query": query,
        "view_params": _list_params(_without(request.GET, "view", "cursor", "since", "rows", "selected")),
        "list_params": _list_params(request.GET),
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
            request, "inbox/_list.html", {**_list_context(request, params=params), "list_partial": True}
        )
    return redirect(f"{reverse('inbox:list')}?{_list_params(params)}")


# --- One conversation ---------------------------------------------------------------------------


def _pane_context(request, conversation: Conversation, *, workers=None, tag_names=None, **extra) -> dict:
    """The pane's context; `workers` and `tag_names` when the caller has read them already."""
    user = request.user
    can_write = roles.can_work_inbox(user)
    if can_write and tag_names is None:
        tag_names = list(Tag.objects.order_by("name").values_list("name", flat=True))
    if can_write and workers is None:
        workers = list(selectors.inbox_workers())
    thread = _thread_page(request, conversation)
    return {
        "conversation": conversation,
        "thread": thread,
        "context": selectors.thread_context(
            conversation=conversation, network_thread=_network_thread(conversation, thread)
        ),
        "tags": list(conversation.tags.order_by("name")),
        "all_tags": tag_names if can_write else [],
        "workers": workers if can_write else [],
        # The composer offers the first six as @mention chips: read no more than those.
        "mentionable": list(selectors.inbox_readers().exclude(pk=user.pk)[:6]) if can_write else [],
        **_customer_context(conversation),
        "present": presence.present(conversation_id=conversation.pk, exclude_user_id=user.pk),
        "status_choices": [c for c in Conversation.Status.choices if c[0] != Conversation.Status.NEW],
        "priority_choices": Conversation.Priority.choices,
        "can_write": can_write,
        "can_unmask": permissions.can_unmask(user),
        **_holds_context(user, conversation),
        "list_params": _list_params(request.GET),
        **(_composer_context(request, conversation, extra.pop("composer", None)) if can_write else {}),
        **extra,
    }


def _network_thread(conversation: Conversation, thread) -> str:
    """The network's thread the customer writes in, from their messages on the page (no query)."""
    if conversation.thread_key.startswith(("dm:", "m:")):
        return ""
    for item in thread:
        if item.kind == "message" and item.obj.network_thread:
            return item.obj.network_thread
    return ""


def _customer_context(conversation: Conversation) -> dict:
    """The card's other conversations: the customer's own and those of people linked to them."""
    linked = customer_links.linked_authors(conversation.customer)
    return {
        "others": customer_links.other_conversations(conversation=conversation, linked=linked),
        "linked_authors": linked,
        "link_suggestions": customer_links.link_suggestions(conversation.customer, linked=linked),
    }


def _holds_context(user, conversation: Conversation) -> dict:
    """Compliance officers and administrators see the legal holds on the thread and its customer."""
    if not audit_permissions.can_read_audit(user):
        return {}
    return {
        "can_hold": True,
        "holds": audit_selectors.active_holds_on(conversation, conversation.customer),
    }


def _thread_page(request, conversation: Conversation):
    """The thread's latest page, or (a direct link without JavaScript) the page before `?before=`."""
    before = request.GET.get("before") if request.method == "GET" else None
    try:
        return selectors.conversation_thread(conversation=conversation, before=before or None)
    except selectors.BadCursor:
        return selectors.conversation_thread(conversation=conversation)


def _composer_context(request, conversation: Conversation, state: dict | None) -> dict:
    """What the reply composer needs: where a reply can go, limits, saved replies, the guard's verdict."""
    state = state or {}
    routes = reply_services.reply_routes(conversation=conversation)
    channel = state.get("channel") or (
        "public" if routes["public"].available or not routes["private"].available else "private"
    )
    blocked = state.get("blocked")
    return {
        "routes": routes,
        "reply_channel": channel,
        "reply_text": state.get("text", ""),
        "reply_saved": state.get("saved_reply") or "",
        "reply_error": state.get("error", ""),
        "reply_blocked": blocked,
        "reply_segments": blocked.result.segments(blocked.text) if blocked else [],
        "limits": {
            "public": guard.length_limit(conversation.network, "public") or "",
            "private": guard.length_limit(conversation.network, "private") or "",
        },
        "saved_replies": reply_services.saved_replies_for(conversation=conversation, agent=request.user),
        "can_override": reply_services.can_override(request.user),
        **_moderation_flags(request.user, conversation),
    }


@never_cache
@require_GET
def conversation_detail(request, pk: int):
    conversation = permissions.conversation_for_user(request.user, pk)
    before = request.GET.get("before")
    if before and request.htmx:
        # "Earlier messages": the page of the thread before the cursor, in place of the link.
        try:
            thread = selectors.conversation_thread(conversation=conversation, before=before)
        except selectors.BadCursor as exc:
            return HttpResponseBadRequest(str(exc))
        return render(
            request,
            "inbox/_thread.html",
            {
                "conversation": conversation,
                "thread": thread,
                "can_write": roles.can_work_inbox(request.user),
                "can_unmask": permissions.can_unmask(request.user),
                **_moderation_flags(request.user, conversation),
            },
        )
    presence.heartbeat(conversation_id=conversation.pk, user=request.user)
    if request.htmx:
        return render(request, "inbox/_conversation.html", _pane_context(request, conversation))
    # A direct link (a notification, a reload) opens the inbox with this conversation in the pane;
    # the pane takes the workers and tag names the list has read.
    try:
        list_context = _list_context(request, cursor=request.GET.get("cursor") or None)
    except selectors.BadCursor:
        list_context = _list_context(request, params=QueryDict())
    context = _pane_context(
        request,
        conversation,
        workers=list_context["workers"],
        tag_names=[name for _pk, name in list_context["tag_choices"]],
    )
    context.update(list_context)
    return render(request, "inbox/list.html", context)


def _action_response(
    request,
    conversation: Conversation,
    *,
    error: str = "",
    status: int = 200,
    notice: str = "",
    composer: dict | None = None,
):
    """After an action: the pane as it is now (with the outcome) and the list row, refreshed."""
    if not request.htmx:
        if error:
            messages.error(request, error)
        elif notice:
            (messages.warning if notice == DELAYED_NOTICE else messages.success)(request, notice)
        return redirect(reverse("inbox:detail", args=[conversation.pk]) + "?" + _list_params(request.GET))
    fresh = permissions.conversation_for_user(request.user, conversation.pk)
    fresh_rows = selectors.conversation_rows(user=request.user, ids=[fresh.pk], rows_only=True)
    context = _pane_context(
        request,
        fresh,
        error=error,
        notice=notice,
        refreshed_row=fresh_rows[0] if fresh_rows else None,
        composer=composer,
    )
    return render(request, "inbox/_conversation.html", context, status=status)


def _run(request, conversation: Conversation, action, *, notice: str = ""):
    try:
        action()
    except services.StaleAction as exc:
        return _action_response(request, conversation, error=str(exc), status=409)
    except services.InboxError as exc:
        return _action_response(request, conversation, error=str(exc), status=422)
    except BROKER_ERRORS:
        # Saved and committed; only handing the task to the queue failed (the sweep does it later).
        return _action_response(request, conversation, notice=DELAYED_NOTICE)
    return _action_response(request, conversation, notice=notice)


def _seen_version(request) -> int | None:
    form = forms.VersionedForm(request.POST)
    return form.cleaned_data["version"] if form.is_valid() else None


@require_POST
def conversation_claim(request, pk: int):
    conversation = permissions.conversation_for_user(request.user, pk, write=True)
    version = _seen_version(request)
    return _run(
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
        return _action_response(
            request, conversation, error="Choose a colleague who works the inbox.", status=422
        )
    assignee: User | None = form.cleaned_data["assignee"]
    return _run(
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
        return _action_response(request, conversation, error="Choose a status.", status=422)
    status = form.cleaned_data["status"]
    return _run(
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
        return _action_response(request, conversation, error="Choose a priority.", status=422)
    return _run(
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
        return _action_response(
            request, conversation, error="Type a tag of at most 40 characters.", status=422
        )
    return _run(
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
    return _run(
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
        return _action_response(request, conversation, error="Choose whom to link or unlink.", status=422)
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
        return _action_response(request, conversation, error=str(exc), status=422)
    return _action_response(request, conversation, notice=notice)


@require_POST
def note_add(request, pk: int):
    conversation = permissions.conversation_for_user(request.user, pk, write=True)
    form = forms.NoteForm(request.POST)
    if not form.is_valid():
        return _action_response(
            request, conversation, error="Write the note first (at most 5,000 characters).", status=422
        )
    return _run(
        request,
        conversation,
        lambda: services.note_add(
            actor=request.user, conversation=conversation, text=form.cleaned_data["text"]
        ),
        notice="Note added.",
    )


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


@never_cache
@require_POST
def conversation_live(request, pk: int):
    """The open pane's heartbeat: presence in, presence and what changed out."""
    conversation = permissions.conversation_for_user(request.user, pk)
    typing = request.POST.get("typing", "") if roles.can_work_inbox(request.user) else ""
    presence.heartbeat(conversation_id=conversation.pk, user=request.user, typing=typing)
    try:
        seen = int(request.POST.get("seen", ""))
        version = int(request.POST.get("v", ""))
    except ValueError:
        seen = version = conversation.version
    context = {
        "conversation": conversation,
        "present": presence.present(conversation_id=conversation.pk, exclude_user_id=request.user.pk),
        "thread_changed": conversation.version != seen,
    }
    if conversation.version != seen:
        context.update(
            thread=selectors.conversation_thread(conversation=conversation),
            tags=list(conversation.tags.order_by("name")),
            can_write=roles.can_work_inbox(request.user),
            can_unmask=permissions.can_unmask(request.user),
            **_moderation_flags(request.user, conversation),
            changes=selectors.changes_since(conversation=conversation, version=version, user=request.user),
            changes_text=services.describe_changes(
                selectors.changes_since(conversation=conversation, version=version, user=request.user)
            ),
        )
    return render(request, "inbox/_live.html", context)


# --- Tags (leads) -----------------------------------------------------------------------------


@never_cache
@require_GET
def tag_list(request):
    permissions.inbox_access(request.user)
    if not permissions.can_manage_tags(request.user):
        raise PermissionDenied("Only social leads manage tags.")
    tags = Tag.objects.annotate(uses=Count("conversations")).order_by("name")
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


# --- Replying -----------------------------------------------------------------------------------


def _composer_response(request, conversation: Conversation, *, composer: dict, error: str, status: int):
    """A refused reply: the pane again, with the text kept and the reason (and spans) shown.

    The reason shows in the composer, next to the text it is about, not in the pane's banner.
    """
    composer.setdefault("error", error)
    if request.htmx:
        return _action_response(request, conversation, status=status, composer=composer)
    fresh = permissions.conversation_for_user(request.user, conversation.pk)
    context = _pane_context(request, fresh, composer=composer)
    context.update(_list_context(request, params=QueryDict()))
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
        return _action_response(request, conversation, notice=DELAYED_NOTICE)
    if reply.resubmitted:
        notice = "You sent this reply a moment ago: it is the same one, not a second."
    elif reply.state == Reply.State.AWAITING_APPROVAL:
        notice = "Waiting for a lead's approval: " + "; ".join(reply.approval_reasons) + "."
    elif selectors.reply_awaits_dispatch(reply_id=reply.pk):
        notice = DELAYED_NOTICE
    else:
        notice = "On its way: it shows in the thread once the network has it."
    return _action_response(request, conversation, notice=notice)


def _reply_action(request, reply_pk: int, action, notice: str):
    reply = permissions.reply_for_user(request.user, reply_pk)
    conversation = permissions.conversation_for_user(request.user, reply.conversation_id)
    return _run(request, conversation, lambda: action(reply), notice=notice)


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


def _moderation_flags(user, conversation: Conversation) -> dict[str, bool]:
    can = moderation.abilities(user, conversation)
    return {"can_hide": can.hide, "can_unhide": can.hide, "can_delete": can.delete}


_MODERATION_NOTICES = {
    moderation.HIDE: "Hidden. The customer and their friends still see it; nobody else does.",
    moderation.UNHIDE: "Shown again to everyone.",
    moderation.DELETE: "Deleted on the network. The thread keeps it, marked deleted, for the record.",
}


def _moderate(request, pk: int, mention_pk: int, action: str):
    conversation = permissions.conversation_for_user(request.user, pk, write=True)
    mention = get_object_or_404(Mention, pk=mention_pk)
    return _run(
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
        return _action_response(request, conversation, error="Choose a label and its value.", status=422)
    label, value = form.cleaned_data["label"], form.cleaned_data["value"]
    try:
        changed = label_services.label_correct(actor=request.user, mention=mention, label=label, value=value)
    except label_services.LabelError as exc:
        return _action_response(request, conversation, error=str(exc), status=422)
    if changed and label == "sentiment":
        services.conversation_sentiment_follow(conversation=conversation, mention=mention)
    shown = label.replace("_", " ").capitalize()
    pretty = value.replace("_", " ")
    notice = f"{shown} corrected to {pretty}." if changed else f"{shown} was {pretty} already."
    return _action_response(request, conversation, notice=notice)


# --- Approvals (leads) ------------------------------------------------------------------------------


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


# --- Saved replies (leads) ---------------------------------------------------------------------------


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
