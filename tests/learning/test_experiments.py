"""Experiments: versions offered alternately, the verdict withheld until the difference is clear."""

from __future__ import annotations

import datetime as dt
from itertools import count

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from bankbuzz.audit.models import AuditEvent
from inbox.models import Reply, SavedReply
from inbox.services import conversation_tag_add
from learning.experiments import experiment_start, results, two_proportion_p
from learning.models import ExperimentArm, ReplyOutcome
from learning.panels import composer_suggestions
from tests.learning.conftest import customer_conversation

pytestmark = pytest.mark.django_db
_ids = count(1)


@pytest.fixture
def versions(library):
    control = SavedReply.objects.get(shortcut="declined")
    variant = SavedReply.objects.create(
        title="Card declined: we are sorry",
        body="Hi {customer_name}, sorry your card was declined. "
        "Message us privately with the time and the shop.",
        tags=["cards"],
    )
    return control, variant


@pytest.fixture
def experiment(lead, versions):
    control, variant = versions
    return experiment_start(
        actor=lead,
        topic="Cards",
        control=control,
        variant=variant,
        ends_at=timezone.now() + dt.timedelta(days=7),
    )


def offered(agent, conversation) -> set[int]:
    request = RequestFactory().get("/")
    request.user = agent
    return {
        s["id"]
        for s in composer_suggestions(request, conversation)["suggestions"]
        if s["kind"] == "saved_reply"
    }


def test_the_versions_are_offered_alternately(agent, versions, experiment):
    control, variant = versions
    conversations = []
    for _ in range(6):
        conversation = customer_conversation("My card was declined at the till")
        conversation_tag_add(actor=agent, conversation=conversation, name="cards")
        conversations.append(conversation)
    shown = [offered(agent, c) & {control.pk, variant.pk} for c in conversations]
    assert shown == [{control.pk}, {variant.pk}] * 3
    assert offered(agent, conversations[0]) & {control.pk, variant.pk} == {control.pk}  # it keeps its version
    assert ExperimentArm.objects.count() == 6
    untagged = customer_conversation("My card was declined at the till")
    # Outside its topic the experiment does not apply: the usual ranking, nobody assigned.
    assert control.pk in offered(agent, untagged)
    assert ExperimentArm.objects.count() == 6


def followed(experiment, saved, agent, *, helped: int, total: int) -> None:
    for n in range(total):
        conversation = customer_conversation("declined", thread_key=f"exp-{next(_ids)}")
        ExperimentArm.objects.create(experiment=experiment, conversation=conversation, saved_reply=saved)
        reply = Reply.objects.create(
            conversation=conversation,
            author=agent,
            channel="public",
            text="x",
            saved_reply=saved,
            state=Reply.State.SENT,
            external_id=f"x-{next(_ids)}",
            sent_at=timezone.now(),
        )
        ReplyOutcome.objects.create(
            reply=reply,
            conversation=conversation,
            saved_reply=saved,
            sent_at=reply.sent_at,
            outcome="thanks" if n < helped else "wrote_again",
        )


def test_the_p_value_worked_by_hand():
    # 36/40 against 20/40: pooled 0.7, spread sqrt(0.7 * 0.3 * 2/40) = 0.1025, z = 3.90.
    assert two_proportion_p(36, 40, 20, 40) == pytest.approx(0.0000950, rel=0.05)
    # 22/40 against 20/40: z = 0.45.
    assert two_proportion_p(22, 40, 20, 40) == pytest.approx(0.654, abs=0.005)


def test_no_verdict_on_small_counts_however_large_the_gap(agent, versions, experiment, client, lead):
    control, variant = versions
    followed(experiment, control, agent, helped=10, total=10)
    followed(experiment, variant, agent, helped=0, total=10)
    found = results(experiment)
    assert [(a.helped, a.followed) for a in found["arms"]] == [(10, 10), (0, 10)]
    assert found["verdict"] is None
    client.force_login(lead)
    page = client.get(reverse("learning:experiment", args=[experiment.pk])).content.decode()
    assert "No verdict: the difference is not clear yet" in page


def test_no_verdict_when_the_difference_is_not_significant(agent, versions, experiment):
    control, variant = versions
    followed(experiment, control, agent, helped=22, total=40)
    followed(experiment, variant, agent, helped=20, total=40)
    assert results(experiment)["verdict"] is None


def test_a_clear_difference_names_the_winner_and_ending_keeps_it(agent, versions, experiment, client, lead):
    control, variant = versions
    followed(experiment, control, agent, helped=20, total=40)
    followed(experiment, variant, agent, helped=36, total=40)
    found = results(experiment)
    assert found["winner"] == variant
    assert "90% of 40 against 50% of 40 (two-proportion z-test, p = 0.000)" in found["verdict"]
    client.force_login(lead)
    assert client.post(reverse("learning:experiment", args=[experiment.pk]), {}).status_code == 302
    experiment.refresh_from_db()
    control.refresh_from_db()
    variant.refresh_from_db()
    assert (experiment.winner, control.is_active, variant.is_active) == (variant, False, True)
    assert AuditEvent.objects.get(verb="experiment.end").after["clear"] is True


def test_without_a_verdict_the_lead_chooses_what_to_keep(versions, experiment, client, lead):
    control, variant = versions
    client.force_login(lead)
    url = reverse("learning:experiment", args=[experiment.pk])
    client.post(url, {"keep": str(control.pk)})
    experiment.refresh_from_db()
    variant.refresh_from_db()
    assert (experiment.winner, variant.is_active) == (control, False)


def test_a_bad_start_is_refused(client, lead, versions):
    control, _ = versions
    client.force_login(lead)
    response = client.post(
        reverse("learning:experiments"),
        {"topic": "cards", "control": str(control.pk), "variant": str(control.pk), "days": "7"},
    )
    assert response.status_code == 422
    assert "two different saved replies" in response.content.decode()


def test_the_page_shows_the_experiments_first_then_the_form_to_start_one(client, lead, experiment):
    client.force_login(lead)
    html = client.get(reverse("learning:experiments")).content.decode()
    listed = html.index(f'href="{reverse("learning:experiment", args=[experiment.pk])}"')
    assert html.index("Running and ended") < listed < html.index("Start an experiment")
    assert html.count('<option value="" selected>Choose a saved reply</option>') == 2
