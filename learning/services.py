"""Every write of the learning app, each audited."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from bankbuzz.accounts.models import User
from bankbuzz.accounts.notifications import notify
from bankbuzz.audit.services import audit_record
from escalations.models import Department, Escalation
from inbox.models import Conversation, SavedReply
from learning import permissions
from learning.models import AdviceArticle, SuggestionUse


class LearningError(Exception):
    """A change refused, with a message for the person who asked."""


ARTICLE_FIELDS = ("title", "url", "summary", "topics", "department", "review_by", "is_active")


def clean_topics(topics) -> list[str]:
    if isinstance(topics, str):
        topics = topics.split(",")
    return sorted({" ".join(t.split()).lower()[:40] for t in topics or [] if t and t.strip()})[:12]


def _clean_article(*, actor: User, fields: dict) -> dict:
    title = " ".join((fields.get("title") or "").split())
    url = (fields.get("url") or "").strip()
    summary = (fields.get("summary") or "").strip()
    department = fields.get("department")
    review_by = fields.get("review_by")
    if not title or len(title) > 150:
        raise LearningError("Give the article a title of at most 150 characters.")
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    # Customers are sent to it: only the bank's own pages over https.
    if parts is None or parts.scheme != "https" or not parts.hostname or len(url) > 500:
        raise LearningError(
            "The link must be the bank's page, starting with https:// (at most 500 characters)."
        )
    if not summary or len(summary) > 600:
        raise LearningError("Write the summary an agent pastes (at most 600 characters).")
    if not isinstance(department, Department):
        raise LearningError("Choose the department that owns the article.")
    if not permissions.managed_departments(actor).filter(pk=department.pk).exists():
        raise LearningError(f"You do not manage the articles of {department.name}.")
    if not isinstance(review_by, dt.date):
        raise LearningError("Give the date by which the article is reviewed.")
    return {
        "title": title,
        "url": url,
        "summary": summary,
        "topics": clean_topics(fields.get("topics")),
        "department": department,
        "review_by": review_by,
        "is_active": bool(fields.get("is_active", True)),
    }


def _record(article: AdviceArticle) -> dict:
    return {
        "title": article.title,
        "url": article.url,
        "summary": article.summary,
        "topics": article.topics,
        "department": article.department_id,
        "review_by": article.review_by,
        "is_active": article.is_active,
    }


@transaction.atomic
def article_create(*, actor: User, fields: dict) -> AdviceArticle:
    if not permissions.can_manage_library(actor):
        raise LearningError("Only social leads and department leads manage the advice library.")
    data = _clean_article(actor=actor, fields=fields)
    article = AdviceArticle.objects.create(**data, created_by=actor, updated_by=actor)
    audit_record(actor=actor, verb="advice.create", obj=article, after=_record(article))
    return article


@transaction.atomic
def article_update(*, actor: User, article: AdviceArticle, fields: dict) -> AdviceArticle:
    article = AdviceArticle.objects.select_for_update().get(pk=article.pk)
    if not permissions.can_manage_article(actor, article):
        raise LearningError("You do not manage this article.")
    data = _clean_article(actor=actor, fields=fields)
    before = _record(article)
    for name, value in data.items():
        setattr(article, name, value)
    article.updated_by = actor
    article.updated_at = timezone.now()
    article.save()
    audit_record(actor=actor, verb="advice.update", obj=article, before=before, after=_record(article))
    return article


@transaction.atomic
def suggestion_use_record(
    *,
    actor: User,
    kind: str,
    entry_id: int,
    rank: int,
    conversation: Conversation | None = None,
    escalation: Escalation | None = None,
) -> SuggestionUse:
    """Record which suggestion was inserted (the view checked the actor may write there)."""
    if not 1 <= rank <= 3:
        raise LearningError("A suggestion's rank is 1, 2 or 3.")
    entry = {"saved_reply": None, "article": None}
    if kind == "saved_reply":
        entry["saved_reply"] = SavedReply.objects.filter(pk=entry_id, is_active=True).first()
    elif kind == "article":
        entry["article"] = AdviceArticle.objects.filter(pk=entry_id, is_active=True).first()
    if not any(entry.values()):
        raise LearningError("That suggestion is no longer in the library.")
    use = SuggestionUse.objects.create(
        user=actor, conversation=conversation, escalation=escalation, rank=rank, **entry
    )
    place = {"conversation": conversation.pk} if conversation else {"escalation": escalation.pk}
    audit_record(
        actor=actor, verb="suggestion.use", obj=use, after={"kind": kind, "entry": entry_id, **place}
    )
    return use


def review_due_notify(*, today: dt.date | None = None) -> int:
    """Tell each overdue article's department leads once per review date; returns how many told."""
    today = today or timezone.localdate()
    told = 0
    due = AdviceArticle.objects.filter(is_active=True, review_by__lt=today).select_related("department")
    for article in due.exclude(review_notified_for=F("review_by")).iterator():
        with transaction.atomic():
            claimed = (
                AdviceArticle.objects.filter(pk=article.pk)
                .exclude(review_notified_for=article.review_by)
                .update(review_notified_for=article.review_by)
            )
            if not claimed:
                continue
            leads = list(article.department.leads.filter(is_active=True))
            notify(
                recipients=leads,
                verb="advice.review_due",
                text=f"Advice article “{article.title}” was due for review on "
                f"{article.review_by:%d %b %Y}: check it is still right.",
                url=reverse("learning:article_edit", args=[article.pk]),
            )
            audit_record(
                actor=None,
                verb="advice.review_due",
                obj=article,
                after={"review_by": article.review_by, "told": [u.pk for u in leads]},
            )
            told += 1
    return told
