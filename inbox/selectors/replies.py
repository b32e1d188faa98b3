"""Our replies as the leads and the outbox see them: waiting for approval, decided, delayed."""

from __future__ import annotations

from inbox.models import Reply


def replies_awaiting_approval(*, limit: int = 200) -> list[Reply]:
    """The leads' approvals queue, oldest first (the partial index reply_awaiting_idx)."""
    return list(
        Reply.objects.filter(state=Reply.State.AWAITING_APPROVAL)
        .select_related("author", "conversation__customer", "conversation__account")
        .order_by("created_at", "id")[:limit]
    )


def replies_recently_decided(*, limit: int = 20) -> list[Reply]:
    return list(
        Reply.objects.filter(decided_at__isnull=False)
        .select_related("author", "decided_by", "conversation__customer")
        .order_by("-decided_at")[:limit]
    )


def reply_awaits_dispatch(*, reply_id: int) -> bool:
    """Queued, and no task carries it yet (the broker refused it): sending is delayed."""
    return Reply.objects.filter(pk=reply_id, state=Reply.State.QUEUED, dispatched_at__isnull=True).exists()
