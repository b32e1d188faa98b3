"""Posts of the bank's own: write, check, approve (four eyes), schedule, publish exactly once.

    awaiting_approval -> scheduled -> publishing -> published | failed
            \\-> rejected (edit: back to awaiting_approval)      withdrawn (before anything left)

Each account's copy is a PostDelivery, the outbox row, moved on by the same relay as inbox.Reply
(`inbox.replies.relay`, `PostOutbox` below): approval queues the copies with `not_before`
set to the scheduled time; the relay (`posts_dispatch`, at once on approval and then by beat
every few seconds) hands due copies to `incidents.publish_delivery`; only the worker whose
UPDATE moved a copy from "queued" to "sending" publishes it, under a lease longer than the
task's hard time limit; every attempt after the first asks the network first
(`Connector.find_published`) whether the post is already there.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from bankbuzz.accounts import roles
from bankbuzz.accounts.models import User
from bankbuzz.accounts.notifications import notify
from bankbuzz.audit.services import audit_record
from bankbuzz.cardmask import shorten
from inbox import guard
from inbox.replies.errors import RetryLater  # noqa: F401 - what delivery_publish raises for a later time
from inbox.replies.relay import Outbox, safe_url
from inbox.replies.routes import NETWORK_NAMES
from incidents.models import Incident, Post, PostDelivery
from listening.connectors import base
from listening.models import Mention, SocialAccount
from listening.pan_vault import mask_cards

logger = logging.getLogger(__name__)

State = Post.State
DState = PostDelivery.State

# A post of the bank's own, per network, in the network's own way of counting.
POST_LIMITS = {"x": 280, "facebook": 63_206, "linkedin": 3_000}
# Networks BankBuzz publishes on (Instagram only takes posts with an image or video).
PUBLISHABLE = tuple(POST_LIMITS)


class PublishError(Exception):
    """A post refused, with what to do instead."""


# --- Who may do what ---------------------------------------------------------------------------------


def can_write_posts(user: User) -> bool:
    return roles.has_role(user, roles.LEAD)


def can_approve_posts(user: User) -> bool:
    return roles.has_role(user, roles.LEAD)


def can_read_posts(user: User) -> bool:
    return roles.can_read_inbox(user)


def publishing_accounts():
    return SocialAccount.objects.filter(network__in=PUBLISHABLE).order_by("network", "handle")


# --- Checking a text -----------------------------------------------------------------------------------


@dataclass
class Preview:
    account: SocialAccount
    length: int
    limit: int

    @property
    def fits(self) -> bool:
        return self.length <= self.limit

    @property
    def network_name(self) -> str:
        return NETWORK_NAMES.get(self.account.network, self.account.network)


def post_preview(*, text: str, accounts) -> list[Preview]:
    text = (text or "").strip()
    return [
        Preview(account=a, length=guard.reply_length(a.network, text), limit=POST_LIMITS[a.network])
        for a in accounts
        if a.network in POST_LIMITS
    ]


def _clean(*, text: str, accounts, scheduled_for: dt.datetime | None) -> tuple[str, list[SocialAccount]]:
    text = (text or "").strip()
    if not text:
        raise PublishError("Write the post first: it is empty.")
    accounts = list(accounts or [])
    if not accounts:
        raise PublishError("Choose at least one of the bank's accounts to publish on.")
    refused = [a for a in accounts if a.network not in POST_LIMITS]
    if refused:
        raise PublishError(
            f"BankBuzz cannot publish on {', '.join(sorted({NETWORK_NAMES[a.network] for a in refused}))}: "
            "only X, Facebook and LinkedIn."
        )
    too_long = [p for p in post_preview(text=text, accounts=accounts) if not p.fits]
    if too_long:
        raise PublishError(
            "Too long for "
            + ", ".join(f"{p.network_name} ({p.length:,} of {p.limit:,} characters)" for p in too_long)
            + ": shorten it."
        )
    result = guard.check(text, channel=guard.PUBLIC)
    if result.blocked:
        raise PublishError(result.message(guard.PUBLIC).replace("the reply", "the post"))
    if scheduled_for is not None and scheduled_for <= timezone.now():
        raise PublishError("The scheduled time has passed: choose a later time, or leave it empty.")
    return text, accounts


def _post_url(post: Post) -> str:
    return reverse("incidents:post", args=[post.pk])


def _approvers(exclude: User) -> list[User]:
    return list(
        User.objects.filter(groups__name=roles.LEAD, is_active=True).exclude(pk=exclude.pk).distinct()
    )


# --- Writing, approving, changing ------------------------------------------------------------------------


@transaction.atomic
def post_submit(
    *,
    actor: User,
    text: str,
    accounts,
    scheduled_for: dt.datetime | None = None,
    purpose: str = Post.Purpose.OTHER,
    incident: Incident | None = None,
) -> Post:
    """Write a post and send it for approval; nothing leaves before a second lead approves it."""
    if not can_write_posts(actor):
        raise PublishError("Only social leads write the bank's posts.")
    text, accounts = _clean(text=text, accounts=accounts, scheduled_for=scheduled_for)
    post = Post.objects.create(
        text=text, purpose=purpose, incident=incident, author=actor, scheduled_for=scheduled_for
    )
    PostDelivery.objects.bulk_create([PostDelivery(post=post, account=a) for a in accounts])
    audit_record(
        actor=actor,
        verb="post.submit",
        obj=post,
        after={
            "text": text,
            "accounts": [a.pk for a in accounts],
            "scheduled_for": scheduled_for.isoformat() if scheduled_for else None,
            "incident": incident.pk if incident else None,
        },
    )
    notify(
        recipients=_approvers(actor),
        verb="post.approval",
        text=f"{actor.display_name}'s {post.get_purpose_display().lower()} waits for your approval",
        url=_post_url(post),
        email=False,
    )
    return post


def _lock(post: Post) -> tuple[Post, list[PostDelivery]]:
    current = Post.objects.select_for_update().get(pk=post.pk)
    # Row locks on the copies: a worker's claim (an UPDATE from "queued") waits for us, then
    # finds them no longer queued.
    deliveries = list(PostDelivery.objects.select_for_update().filter(post=current).select_related("account"))
    return current, deliveries


def _check_changeable(actor: User, post: Post, deliveries: list[PostDelivery], verb: str) -> None:
    if post.author_id != actor.pk and not roles.has_role(actor, roles.LEAD):
        raise PublishError(f"Only its author or a lead may {verb} a post.")
    if post.state not in Post.CHANGEABLE or any(
        d.state not in (DState.WAITING, DState.QUEUED, DState.CANCELLED) for d in deliveries
    ):
        raise PublishError(f"Too late to {verb} it: it is {post.get_state_display().lower()}.")


@transaction.atomic
def post_edit(
    *, actor: User, post: Post, text: str, accounts, scheduled_for: dt.datetime | None = None
) -> Post:
    """Change a post before it goes out; a changed post needs a new approval."""
    current, deliveries = _lock(post)
    _check_changeable(actor, current, deliveries, "edit")
    text, accounts = _clean(text=text, accounts=accounts, scheduled_for=scheduled_for)
    before = {
        "text": current.text,
        "accounts": sorted(d.account_id for d in deliveries),
        "state": current.state,
        "scheduled_for": current.scheduled_for.isoformat() if current.scheduled_for else None,
    }
    wanted = {a.pk for a in accounts}
    PostDelivery.objects.filter(post=current).exclude(account_id__in=wanted).delete()
    have = {d.account_id for d in deliveries}
    PostDelivery.objects.bulk_create(
        [PostDelivery(post=current, account=a) for a in accounts if a.pk not in have]
    )
    PostDelivery.objects.filter(post=current).update(
        state=DState.WAITING, not_before=None, queued_at=None, dispatched_at=None, updated_at=timezone.now()
    )
    Post.objects.filter(pk=current.pk).update(
        text=text,
        scheduled_for=scheduled_for,
        state=State.AWAITING_APPROVAL,
        decided_by=None,
        decided_at=None,
        decision_comment="",
        updated_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        verb="post.edit",
        obj=current,
        before=before,
        after={"text": text, "accounts": sorted(wanted), "state": State.AWAITING_APPROVAL},
    )
    if before["state"] != State.AWAITING_APPROVAL:
        notify(
            recipients=_approvers(actor),
            verb="post.approval",
            text=f"{actor.display_name} changed a post: it waits for your approval again",
            url=_post_url(current),
            email=False,
        )
    current.refresh_from_db()
    return current


@transaction.atomic
def post_withdraw(*, actor: User, post: Post) -> Post:
    current, deliveries = _lock(post)
    _check_changeable(actor, current, deliveries, "withdraw")
    PostDelivery.objects.filter(post=current).update(
        state=DState.CANCELLED, lease_until=None, not_before=None, updated_at=timezone.now()
    )
    Post.objects.filter(pk=current.pk).update(state=State.WITHDRAWN, updated_at=timezone.now())
    audit_record(actor=actor, verb="post.withdraw", obj=current, before={"state": current.state})
    current.refresh_from_db()
    return current


@transaction.atomic
def post_approve(*, actor: User, post: Post, comment: str = "") -> Post:
    """The second person: a lead who is not the author. The copies go out at the scheduled time."""
    if not can_approve_posts(actor):
        raise PublishError("Only social leads approve the bank's posts.")
    current, deliveries = _lock(post)
    if current.author_id == actor.pk:
        raise PublishError("You wrote this post: another lead approves it (four eyes).")
    if current.state != State.AWAITING_APPROVAL:
        who = f" by {current.decided_by.display_name}" if current.decided_by else ""
        raise PublishError(f"Not done: this post is already {current.get_state_display().lower()}{who}.")
    # Checked again: the guard's settings may have changed since it was written.
    _clean(text=current.text, accounts=[d.account for d in deliveries], scheduled_for=None)
    now = timezone.now()
    when = current.scheduled_for if current.scheduled_for and current.scheduled_for > now else None
    Post.objects.filter(pk=current.pk).update(
        state=State.SCHEDULED,
        decided_by=actor,
        decided_at=now,
        decision_comment=mask_cards((comment or "").strip())[:1000],
        updated_at=now,
    )
    PostDelivery.objects.filter(post=current, state=DState.WAITING).update(
        state=DState.QUEUED, not_before=when, queued_at=now, dispatched_at=None, updated_at=now
    )
    audit_record(
        actor=actor,
        verb="post.approve",
        obj=current,
        after={"comment": comment, "goes_out": when.isoformat() if when else "now"},
    )
    notify(
        recipients=[current.author],
        verb="post.approved",
        text=f"{actor.display_name} approved your post"
        + (f"; it goes out {timezone.localtime(when):%d %b %H:%M}" if when else "; it is on its way"),
        url=_post_url(current),
        email=False,
    )
    ids = [d.pk for d in deliveries]
    transaction.on_commit(lambda: posts_dispatch(ids=ids), robust=True)
    current.refresh_from_db()
    return current


@transaction.atomic
def post_reject(*, actor: User, post: Post, comment: str) -> Post:
    if not can_approve_posts(actor):
        raise PublishError("Only social leads approve or send back the bank's posts.")
    comment = (comment or "").strip()
    if not comment:
        raise PublishError("Say why, so the author can fix the post: the comment is empty.")
    if not Post.objects.filter(pk=post.pk, state=State.AWAITING_APPROVAL).update(
        state=State.REJECTED,
        decided_by=actor,
        decided_at=timezone.now(),
        decision_comment=mask_cards(comment)[:1000],
        updated_at=timezone.now(),
    ):
        current = Post.objects.get(pk=post.pk)
        raise PublishError(f"Not done: this post is already {current.get_state_display().lower()}.")
    audit_record(actor=actor, verb="post.reject", obj=post, after={"comment": comment})
    notify(
        recipients=[post.author],
        verb="post.rejected",
        text=f"{actor.display_name} sent back your post: {shorten(comment, 150)}",
        url=_post_url(post),
        email=False,
    )
    post.refresh_from_db()
    return post


# --- The relay and the worker ----------------------------------------------------------------------------


class PostOutbox(Outbox):
    """Copies of the bank's posts, each published on its account once it is due."""

    model = PostDelivery
    noun = "copy"
    log_name = "publishing"
    dispatch_batch = 100
    recover_batch = 200
    related = ("post", "account")
    waiting_note = "scheduled for later"

    def task(self):
        from incidents.tasks import publish_delivery

        return publish_delivery

    def network(self, delivery: PostDelivery) -> str:
        return delivery.account.network

    def account(self, delivery: PostDelivery) -> SocialAccount:
        return delivery.account

    def prepare(self, delivery: PostDelivery, now: dt.datetime) -> str:
        Post.objects.filter(pk=delivery.post_id, state=State.SCHEDULED).update(
            state=State.PUBLISHING, updated_at=now
        )
        return ""

    def find(self, connector, delivery: PostDelivery):
        return connector.find_published(text=delivery.post.text)

    def deliver(self, connector, delivery: PostDelivery) -> base.SentMessage:
        return connector.publish_post(text=delivery.post.text)

    def rate_limit_note(self, network: str, reset_at: dt.datetime) -> str:
        return f"Waiting for {network}'s rate limit to reset"

    def auth_failed_reason(self, network: str, exc: base.AuthFailed) -> str:
        logger.info("publishing on %s: %s", network, exc.message)
        return f"{network} refused the bank's token; an administrator must reconnect the account"

    def on_failed(self, delivery: PostDelivery, reason: str) -> None:
        audit_record(
            actor=None,
            verb="post.fail",
            obj=delivery.post,
            after={"account": delivery.account_id, "error": shorten(reason, 500)},
        )
        _settle(delivery.post_id, timezone.now())
        notify(
            recipients=[delivery.post.author],
            verb="post.failed",
            text=f"Your post was not published on {delivery.account}: {shorten(reason, 150)}",
            url=_post_url(delivery.post),
            email=False,
        )

    def on_sent(self, delivery: PostDelivery, sent: base.SentMessage, now: dt.datetime) -> None:
        from listening.services import mention_record_sent

        # The bank's own post, stored as an outbound mention: a thread of its own, in which the
        # customers' answers to it land (X: the tweet's conversation; Facebook: the post; LinkedIn: its URN).
        mention, _ = mention_record_sent(
            account=delivery.account,
            sent=sent,
            text=delivery.post.text,
            kind=Mention.Kind.POST,
            thread_key=sent.external_id,
            sent_at=now,
        )
        PostDelivery.objects.filter(pk=delivery.pk).update(mention=mention)
        audit_record(
            actor=None,
            verb="post.published",
            obj=delivery.post,
            after={
                "account": delivery.account_id,
                "external_id": sent.external_id,
                "url": safe_url(sent.url),
            },
        )
        _settle(delivery.post_id, now)


POSTS = PostOutbox()
SEND_LEASE = POSTS.send_lease  # longer than publish_delivery's hard time limit (90 s)


def posts_dispatch(*, ids: list[int] | None = None, now: dt.datetime | None = None) -> list[int]:
    """Publish `incidents.publish_delivery` for due, queued copies no live task carries."""
    return POSTS.dispatch(ids=ids, now=now)


def delivery_publish(*, delivery_id: int) -> str:
    """Publish one queued copy; "sent", "failed" or "skipped". Raises RetryLater / TransientSendError."""
    return POSTS.send(delivery_id)


def delivery_give_up(*, delivery_id: int, reason: str) -> None:
    POSTS.give_up(delivery_id, reason)


def deliveries_recover(*, now: dt.datetime | None = None) -> list[int]:
    return POSTS.recover(now=now)


def _settle(post_id: int, now: dt.datetime) -> None:
    """The post's state from its copies': published when all are out, failed when one failed."""
    states = set(PostDelivery.objects.filter(post_id=post_id).values_list("state", flat=True))
    if states <= {DState.SENT}:
        Post.objects.filter(pk=post_id, state__in=(State.SCHEDULED, State.PUBLISHING)).update(
            state=State.PUBLISHED, published_at=now, updated_at=now
        )
    elif DState.FAILED in states and not states & {DState.QUEUED, DState.SENDING}:
        Post.objects.filter(pk=post_id, state__in=(State.SCHEDULED, State.PUBLISHING)).update(
            state=State.FAILED, updated_at=now
        )


@transaction.atomic
def delivery_retry(*, actor: User, delivery: PostDelivery) -> PostDelivery:
    if not can_write_posts(actor):
        raise PublishError("Only social leads publish the bank's posts.")
    if not PostDelivery.objects.filter(pk=delivery.pk, state=DState.FAILED).update(
        state=DState.QUEUED,
        not_before=None,
        dispatched_at=None,
        queued_at=timezone.now(),
        updated_at=timezone.now(),
    ):
        raise PublishError("Not done: this copy has not failed.")
    Post.objects.filter(pk=delivery.post_id, state=State.FAILED).update(state=State.PUBLISHING)
    audit_record(actor=actor, verb="post.retry", obj=delivery.post, after={"account": delivery.account_id})
    transaction.on_commit(lambda: posts_dispatch(ids=[delivery.pk]), robust=True)
    delivery.refresh_from_db()
    return delivery
