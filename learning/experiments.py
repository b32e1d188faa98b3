"""Small experiments: two versions of a saved reply, offered alternately, judged by what helped.

While an experiment runs, a conversation tagged with its topic is offered one version in place of
either: the first offer fixes the conversation's version, alternating control, variant, control...
in the order conversations are first offered one. The verdict compares the share of followed
replies that helped (thanks or resolved, learning/outcomes.py) with a two-sided two-proportion
z-test at the 5% level, and is given only with at least MIN_FOLLOWED followed replies per version
and p < 0.05; otherwise the page says the difference is not clear yet. Ending keeps the winner
(or the version the lead chooses when nothing is clear) and turns the other version off.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from bankbuzz.accounts.models import User
from bankbuzz.audit.services import audit_record
from inbox import reply_services
from inbox.models import Conversation, SavedReply
from learning.models import Experiment, ExperimentArm, Outcome, ReplyOutcome
from learning.services import LearningError

MIN_FOLLOWED = 30
ALPHA = 0.05
CACHE_KEY = "learning:experiments:running"
CACHE_SECONDS = 30


def _forget_running() -> None:
    # Now, and again after the commit: a page rendered meanwhile may have cached the old list.
    cache.delete(CACHE_KEY)
    transaction.on_commit(lambda: cache.delete(CACHE_KEY))


def running(now: dt.datetime | None = None):
    now = now or timezone.now()
    return Experiment.objects.filter(ended_at__isnull=True, starts_at__lte=now, ends_at__gt=now)


@transaction.atomic
def experiment_start(
    *, actor: User, topic: str, control: SavedReply, variant: SavedReply, ends_at: dt.datetime
) -> Experiment:
    if not reply_services.can_manage_saved_replies(actor):
        raise LearningError("Only social leads run experiments.")
    topic = " ".join((topic or "").split()).lower()[:40]
    if not topic:
        raise LearningError("Name the topic (a conversation tag) the experiment runs for.")
    if control.pk == variant.pk:
        raise LearningError("Choose two different saved replies.")
    if ends_at <= timezone.now():
        raise LearningError("The experiment must end in the future.")
    busy = running().filter(Q(control__in=[control, variant]) | Q(variant__in=[control, variant]))
    if busy.exists():
        raise LearningError("One of these saved replies is already in a running experiment.")
    experiment = Experiment.objects.create(
        topic=topic, control=control, variant=variant, ends_at=ends_at, created_by=actor
    )
    _forget_running()
    audit_record(
        actor=actor,
        verb="experiment.start",
        obj=experiment,
        after={"topic": topic, "control": control.pk, "variant": variant.pk, "ends_at": ends_at},
    )
    return experiment


def version_for(experiment: Experiment, conversation: Conversation) -> int:
    """The saved reply this conversation is offered; the first offer assigns it, alternately."""
    arm = ExperimentArm.objects.filter(experiment=experiment, conversation=conversation).first()
    if arm is not None:
        return arm.saved_reply_id
    offered = ExperimentArm.objects.filter(experiment=experiment).count()
    chosen = experiment.control_id if offered % 2 == 0 else experiment.variant_id
    try:
        with transaction.atomic():
            ExperimentArm.objects.create(
                experiment=experiment, conversation=conversation, saved_reply_id=chosen
            )
    except IntegrityError:  # offered at the same moment in another tab: that offer stands
        return ExperimentArm.objects.get(experiment=experiment, conversation=conversation).saved_reply_id
    return chosen


def running_cached() -> list[Experiment]:
    """The running experiments, cached briefly: the conversation pane asks on every render."""
    found = cache.get(CACHE_KEY)
    if found is None:
        found = list(running())
        cache.set(CACHE_KEY, found, CACHE_SECONDS)
    now = timezone.now()
    return [e for e in found if e.starts_at <= now < e.ends_at]


def offer(suggestions: list, conversation: Conversation) -> list:
    """Offer each running experiment's assigned version in place of either of its versions."""
    experiments = running_cached()
    if not experiments:
        return suggestions
    tags = {name.lower() for name in conversation.tags.values_list("name", flat=True)}
    for experiment in experiments:
        pair = {experiment.control_id, experiment.variant_id}
        hits = [s for s in suggestions if s.kind == "saved_reply" and s.id in pair]
        if experiment.topic not in tags or not hits:
            continue
        saved = SavedReply.objects.get(pk=version_for(experiment, conversation))
        first = hits[0]
        first.id, first.title, first.text = saved.pk, saved.title, saved.body
        suggestions = [s for s in suggestions if s is first or not (s.kind == "saved_reply" and s.id in pair)]
    return suggestions


@dataclass
class ArmResult:
    saved_reply: SavedReply
    helped: int
    followed: int

    @property
    def share(self) -> float | None:
        return self.helped / self.followed if self.followed else None


def two_proportion_p(h1: int, n1: int, h2: int, n2: int) -> float:
    """Two-sided p-value of the pooled two-proportion z-test."""
    pooled = (h1 + h2) / (n1 + n2)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if spread == 0:
        return 1.0
    z = (h1 / n1 - h2 / n2) / spread
    return math.erfc(abs(z) / math.sqrt(2))


def results(experiment: Experiment) -> dict:
    """Both versions' outcomes over the experiment's conversations, and the verdict if clear."""
    end = experiment.ended_at or experiment.ends_at
    rows = (
        ReplyOutcome.objects.filter(
            saved_reply__in=[experiment.control_id, experiment.variant_id],
            sent_at__gte=experiment.starts_at,
            sent_at__lt=end,
            conversation__in=ExperimentArm.objects.filter(experiment=experiment).values("conversation"),
        )
        .exclude(outcome=Outcome.PENDING)
        .values("saved_reply")
        .annotate(
            followed=Count("pk"), helped=Count("pk", filter=Q(outcome__in=[Outcome.THANKS, Outcome.RESOLVED]))
        )
    )
    counts = {r["saved_reply"]: r for r in rows}
    arms = [
        ArmResult(s, counts.get(s.pk, {}).get("helped", 0), counts.get(s.pk, {}).get("followed", 0))
        for s in (experiment.control, experiment.variant)
    ]
    verdict, p_value = None, None
    a, b = arms
    if min(a.followed, b.followed) >= MIN_FOLLOWED:
        p_value = two_proportion_p(a.helped, a.followed, b.helped, b.followed)
        if p_value < ALPHA and a.share != b.share:
            best, other = (a, b) if a.share > b.share else (b, a)
            verdict = (
                f"“{best.saved_reply.title}” helped more often: {best.share:.0%} of {best.followed} against "
                f"{other.share:.0%} of {other.followed} (two-proportion z-test, p = {p_value:.3f})."
            )
            return {"arms": arms, "verdict": verdict, "winner": best.saved_reply, "p_value": p_value}
    return {"arms": arms, "verdict": None, "winner": None, "p_value": p_value}


@transaction.atomic
def experiment_end(*, actor: User, experiment: Experiment, keep: SavedReply | None = None) -> Experiment:
    """End it: keep the clear winner (or, without one, the version the lead chose); turn the other off."""
    if not reply_services.can_manage_saved_replies(actor):
        raise LearningError("Only social leads end experiments.")
    experiment = Experiment.objects.select_for_update().get(pk=experiment.pk)
    if experiment.ended_at is not None:
        raise LearningError("This experiment has already ended.")
    found = results(experiment)
    winner = found["winner"] or keep
    if winner is None or winner.pk not in (experiment.control_id, experiment.variant_id):
        raise LearningError("No clear winner yet: choose which version to keep.")
    loser = experiment.variant if winner.pk == experiment.control_id else experiment.control
    reply_services.saved_reply_update(
        actor=actor,
        saved=loser,
        title=loser.title,
        body=loser.body,
        shortcut=loser.shortcut,
        tags=loser.tags,
        networks=loser.networks,
        is_active=False,
    )
    experiment.ended_at = timezone.now()
    experiment.ended_by = actor
    experiment.winner = winner
    experiment.save()
    _forget_running()
    audit_record(
        actor=actor,
        verb="experiment.end",
        obj=experiment,
        after={"winner": winner.pk, "clear": found["winner"] is not None, "p_value": found["p_value"]},
    )
    return experiment
