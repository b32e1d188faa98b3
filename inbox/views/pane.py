"""The conversation pane: the thread, the customer card, the composer, and the pane after an action."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from bankbuzz.accounts import roles
from bankbuzz.audit import permissions as audit_permissions
from bankbuzz.audit import selectors as audit_selectors
from bankbuzz.degrade import BROKER_ERRORS, DELAYED_NOTICE
from inbox import (
    customer_links,
    guard,
    moderation,
    permissions,
    presence,
    reply_services,
    selectors,
    services,
)
from inbox.models import Conversation, Tag
from inbox.views.listing import WITH_COUNTS, list_query_string, list_shell_context, list_url


def pane_context(request, conversation: Conversation, *, workers=None, tag_names=None, **extra) -> dict:
    """The pane's context; `workers` and `tag_names` when the caller has read them already.

    The lower part of the customer card (the other apps' panels, the legal holds, the customer's
    other conversations) is not read here: it arrives in a request of its own (`side_context`).
    """
    user = request.user
    can_write = roles.can_work_inbox(user)
    if can_write and tag_names is None:
        tag_names = list(Tag.objects.order_by(*Tag.ALPHABETICAL).values_list("name", flat=True))
    if can_write and workers is None:
        workers = list(selectors.inbox_workers())
    thread = _thread_page(request, conversation)
    return {
        "conversation": conversation,
        "thread": thread,
        "context": selectors.thread_context(
            conversation=conversation, network_thread=_network_thread(conversation, thread)
        ),
        "tags": list(conversation.tags.order_by(*Tag.ALPHABETICAL)),
        "all_tags": tag_names if can_write else [],
        "workers": workers if can_write else [],
        # The composer offers the first six as @mention chips: read no more than those.
        "mentionable": list(selectors.inbox_readers().exclude(pk=user.pk)[:6]) if can_write else [],
        "present": presence.present(conversation_id=conversation.pk, exclude_user_id=user.pk),
        "status_choices": [c for c in Conversation.Status.choices if c[0] != Conversation.Status.NEW],
        "priority_choices": Conversation.Priority.choices,
        "can_write": can_write,
        "can_unmask": permissions.can_unmask(user),
        "list_params": list_query_string(request.GET),
        **(_composer_context(request, conversation, extra.pop("composer", None)) if can_write else {}),
        **extra,
    }


def side_context(request, conversation: Conversation) -> dict:
    """The lower part of the customer card: the panels other apps registered (complaints), the
    experts' panel, the legal holds and the customer's other conversations (`inbox/_side.html`)."""
    user = request.user
    return {
        "conversation": conversation,
        "can_write": roles.can_work_inbox(user),
        **_customer_context(conversation),
        **_holds_context(user, conversation),
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
        "reply_tab": _opens_on_reply(conversation, routes, state),
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
        **moderation_flags(request.user, conversation),
    }


def _opens_on_reply(conversation: Conversation, routes: dict, state: dict) -> bool:
    """Whether the composer opens on "Reply to customer" rather than on the internal note.

    On the reply when there is one to show (a draft the guard sent back), and when the
    conversation waits for the bank's answer (new or open) and a reply can go out by some route;
    a conversation that waits on the customer or an expert, or is closed, opens on the note.
    After a note is added the composer stays on the note (`state["tab"]`).
    """
    if state.get("text"):
        return True
    if state.get("tab") == "note":
        return False
    waits_for_us = conversation.status in (Conversation.Status.NEW, Conversation.Status.OPEN)
    return waits_for_us and any(route.available for route in routes.values())


def moderation_flags(user, conversation: Conversation) -> dict[str, bool]:
    can = moderation.abilities(user, conversation)
    return {"can_hide": can.hide, "can_unhide": can.hide, "can_delete": can.delete}


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
                **moderation_flags(request.user, conversation),
            },
        )
    presence.heartbeat(conversation_id=conversation.pk, user=request.user)
    if request.htmx:
        return render(request, "inbox/_conversation.html", pane_context(request, conversation))
    # A direct link (a notification, a reload) opens the inbox with this conversation in the pane
    # and the page around it; the list's rows arrive in their own request once the page has loaded
    # (`list_url`), so the conversation is not kept waiting for them, and the rail's view counts
    # with them. The pane takes the workers and tag names the toolbar has read.
    shell = list_shell_context(request, counts=False)
    cursor = request.GET.get("cursor") or None
    if cursor:
        try:
            selectors.decode_cursor(cursor, shell["query"].sort)
        except selectors.BadCursor:
            cursor = None  # a stale page link: the list from its top
    context = pane_context(
        request,
        conversation,
        workers=shell["workers"],
        tag_names=[name for _pk, name in shell["tag_choices"]],
    )
    context.update(shell, list_url=list_url(request.GET, cursor=cursor), with_counts=WITH_COUNTS)
    return render(request, "inbox/list.html", context)


@never_cache
@require_GET
def conversation_side(request, pk: int):
    """The pane's lower card, asked for by the pane once it is shown (`inbox/_side_loading.html`):
    the thread and the composer are not kept waiting for the complaint, expert and hold panels,
    about a third of the pane's work (docs/benchmarks.md). Without htmx (a browser without
    JavaScript follows the placeholder's link), the same panels on a page of their own."""
    conversation = permissions.conversation_for_user(request.user, pk)
    context = side_context(request, conversation)
    if request.htmx:
        return render(request, "inbox/_side.html", context)
    return render(request, "inbox/side.html", context)


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
        changes = selectors.changes_since(conversation=conversation, version=version, user=request.user)
        context.update(
            thread=selectors.conversation_thread(conversation=conversation),
            tags=list(conversation.tags.order_by(*Tag.ALPHABETICAL)),
            can_write=roles.can_work_inbox(request.user),
            can_unmask=permissions.can_unmask(request.user),
            **moderation_flags(request.user, conversation),
            changes=changes,
            changes_text=services.describe_changes(changes),
        )
    return render(request, "inbox/_live.html", context)


def action_response(
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
        return redirect(
            reverse("inbox:detail", args=[conversation.pk]) + "?" + list_query_string(request.GET)
        )
    fresh = permissions.conversation_for_user(request.user, conversation.pk)
    fresh_rows = selectors.conversation_rows(user=request.user, ids=[fresh.pk], rows_only=True)
    context = pane_context(
        request,
        fresh,
        error=error,
        notice=notice,
        refreshed_row=fresh_rows[0] if fresh_rows else None,
        composer=composer,
    )
    return render(request, "inbox/_conversation.html", context, status=status)


def run_action(
    request, conversation: Conversation, action, *, notice: str = "", composer: dict | None = None
):
    """Run `action` and answer with the pane; `composer`: the composer's state to show it in."""
    try:
        action()
    except services.StaleAction as exc:
        return action_response(request, conversation, error=str(exc), status=409, composer=composer)
    except services.InboxError as exc:
        return action_response(request, conversation, error=str(exc), status=422, composer=composer)
    except BROKER_ERRORS:
        # Saved and committed; only handing the task to the queue failed (the sweep does it later).
        return action_response(request, conversation, notice=DELAYED_NOTICE, composer=composer)
    return action_response(request, conversation, notice=notice, composer=composer)
