"""Agents change a saved reply's words when they use it; the common changes can become the text.

After a reply that used a saved reply is sent, the outcome task compares what was sent with the
saved reply (names turned back into variables, spaces normalised) and keeps the difference. A
social lead sees the most common edits of each saved reply and can adopt one: the saved reply
gets that text (through inbox's audited service) and a new version number.
"""

from __future__ import annotations

import datetime as dt
import re

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, Max, OuterRef, Q

from bankbuzz.accounts.models import User
from bankbuzz.audit.services import audit_record
from inbox import guard, reply_services
from inbox.models import Reply, SavedReply
from learning.models import SavedReplyEdit, SavedReplyVersion
from learning.services import LearningError

LOOKBACK = dt.timedelta(days=30)
COMMON = 5


def _squash(text: str) -> str:
    return " ".join((text or "").split())


def unfill(text: str, reply: Reply) -> str:
    """The sent text with the values `fill_variables` put in turned back into the variables."""
    customer = reply.conversation.customer
    first = (customer.name or "").split(" ")[0] if customer.name else customer.handle
    values = {
        "{handle}": str(customer),
        "{customer_name}": first,
        "{agent_first_name}": reply.author.first_name or reply.author.get_username(),
        "{bank_name}": settings.BANK_NAME,
    }
    # Longest first, so "@jane_doe" is not half-replaced by "jane".
    for variable, value in sorted(values.items(), key=lambda kv: -len(kv[1] or "")):
        if value and len(value) > 1:
            text = re.sub(rf"(?<!\w){re.escape(value)}(?!\w)", variable, text)
    return _squash(text)


def collect_edits(*, now: dt.datetime) -> int:
    """Compare each newly sent reply that used a saved reply with it; returns how many were kept."""
    seen = SavedReplyEdit.objects.filter(reply=OuterRef("pk"))
    replies = (
        Reply.objects.filter(state=Reply.State.SENT, saved_reply__isnull=False, sent_at__gte=now - LOOKBACK)
        .exclude(Exists(seen))
        .select_related("saved_reply", "author", "conversation__customer")
    )
    rows = []
    for reply in replies.iterator(chunk_size=500):
        base = _squash(reply.saved_reply.body)
        text = unfill(reply.text, reply)
        edited = text != base
        if edited and guard.check(reply.text, channel="public").blocked:
            text = ""  # personal data: counted as an edit, never kept
        rows.append(
            SavedReplyEdit(
                saved_reply=reply.saved_reply,
                reply=reply,
                base_body=base,
                text=text if edited else "",
                edited=edited,
            )
        )
    SavedReplyEdit.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def common_edits(saved: SavedReply, *, limit: int = COMMON) -> dict:
    """The most common edits of the saved reply's current text, with how often it was kept as it is."""
    current = SavedReplyEdit.objects.filter(saved_reply=saved, base_body=_squash(saved.body))
    counts = current.aggregate(
        used=Count("pk"), kept=Count("pk", filter=Q(edited=False)), edited=Count("pk", filter=Q(edited=True))
    )
    top = list(
        current.filter(edited=True)
        .exclude(text="")
        .values("text")
        .annotate(n=Count("pk"))
        .order_by("-n", "text")[:limit]
    )
    return {**counts, "top": top}


@transaction.atomic
def edit_adopt(*, actor: User, saved: SavedReply, text: str) -> SavedReplyVersion:
    """Make a recorded edit the saved reply's text, as a new version (audited)."""
    if not reply_services.can_manage_saved_replies(actor):
        raise LearningError("Only social leads adopt edits of saved replies.")
    saved = SavedReply.objects.select_for_update().get(pk=saved.pk)
    if not text or not SavedReplyEdit.objects.filter(saved_reply=saved, edited=True, text=text).exists():
        raise LearningError("That edit is not among those agents made to this saved reply.")
    before = saved.body
    last = saved.versions.aggregate(last=Max("number"))["last"]
    if last is None:
        SavedReplyVersion.objects.create(saved_reply=saved, number=1, body=before, source="original")
        last = 1
    reply_services.saved_reply_update(
        actor=actor,
        saved=saved,
        title=saved.title,
        body=text,
        shortcut=saved.shortcut,
        tags=saved.tags,
        networks=saved.networks,
        is_active=saved.is_active,
    )
    version = SavedReplyVersion.objects.create(
        saved_reply=saved, number=last + 1, body=text, source="adopted edit", created_by=actor
    )
    audit_record(
        actor=actor,
        verb="saved_reply.adopt_edit",
        obj=saved,
        before={"body": before, "version": last},
        after={"body": text, "version": version.number},
    )
    return version
