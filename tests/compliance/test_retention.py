"""The nightly retention run: exactly what is due goes, nothing held or not yet due, once."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.utils import timezone

from bankbuzz.accounts.models import Notification
from bankbuzz.audit import retention
from bankbuzz.audit.models import AuditEvent
from bankbuzz.audit.retention import REMOVED, RetentionError, legal_hold_place, retention_policy_set
from escalations.models import Escalation
from inbox.models import Conversation, Note
from inbox.retention import ANONYMISED, SEVEN_YEARS, conversations_delete
from listening.models import Author, Mention, QuarantinedItem
from tests.compliance.conftest import ago, conversation, hit
from tests.escalations.conftest import make_department
from tests.factories import AuthorFactory, MentionFactory, SocialAccountFactory

pytestmark = pytest.mark.django_db


def _exists(obj) -> bool:
    return type(obj).objects.filter(pk=obj.pk).exists()


def test_unactioned_hits_go_after_90_days_to_the_second(run):
    due = hit(days=90, seconds=1)
    on_the_day = hit(days=90)  # exactly 90 days: not yet
    young = hit(days=10)
    worked = conversation(days=400, answered=True)
    worked_message = Mention.objects.filter(thread_key=worked.thread_key).first()

    result = run(only=["inbox.unactioned_hits"])

    assert not _exists(due)
    assert _exists(on_the_day) and _exists(young)
    assert _exists(worked_message), "a message of a conversation is not a listening hit"
    assert result.kinds["inbox.unactioned_hits"].done == 1


def test_conversation_kinds_and_their_messages(run, agent):
    spam = conversation(days=91, status="spam")
    spam_young = conversation(days=80, status="spam")
    unanswered = conversation(days=2 * 365 + 1)
    unanswered_young = conversation(days=2 * 365 - 1)
    answered = conversation(days=3 * 365, answered=True)
    Note.objects.create(conversation=unanswered, author=agent, text="Customer called back")

    result = run()

    for gone in (spam, unanswered):
        assert not _exists(gone)
        assert not Mention.objects.filter(thread_key=gone.thread_key).exists()
    for kept in (spam_young, unanswered_young, answered):
        assert _exists(kept)
        assert Mention.objects.filter(thread_key=kept.thread_key).count() == 2
    assert not Note.objects.filter(conversation_id=unanswered.pk).exists()
    assert result.kinds["inbox.spam_conversations"].done == 1
    assert result.kinds["inbox.unanswered_conversations"].done == 1


def test_an_unanswered_conversation_goes_with_its_escalation(run, agent):
    from escalations import services as escalation_services

    conv = conversation(days=800)
    escalation = escalation_services.escalation_open(
        actor=agent, conversation=conv, department=make_department("Cards"), question="Why declined?"
    )
    run(only=["inbox.unanswered_conversations"])
    assert not _exists(conv)
    assert not Escalation.objects.filter(pk=escalation.pk).exists()


def test_answered_conversations_are_anonymised_after_seven_years(run, agent):
    customer = AuthorFactory(handle="jane_doe", name="Jane Doe", avatar_url="https://pbs.example/jane.jpg")
    old = conversation(customer, days=SEVEN_YEARS + 1, answered=True)
    Note.objects.create(conversation=old, author=agent, text="Jane's account ends 1234")
    recent = conversation(days=SEVEN_YEARS - 1, answered=True)

    result = run()

    old.refresh_from_db()
    assert old.preview == ANONYMISED and old.search_vector is None
    assert old.first_response_at is not None, "the row stays for the response-time figures"
    texts = set(Mention.objects.filter(thread_key=old.thread_key).values_list("text", flat=True))
    assert texts == {REMOVED}
    assert all(
        m.external_id.startswith("anon-") and m.raw == {}
        for m in Mention.objects.filter(thread_key=old.thread_key)
    )
    assert Note.objects.get(conversation=old).text == REMOVED
    customer.refresh_from_db()
    assert (customer.handle, customer.name, customer.avatar_url) == ("", "Anonymised person", "")
    assert Mention.objects.filter(thread_key=recent.thread_key).exclude(text=REMOVED).count() == 2
    assert result.kinds["inbox.answered_conversations"].done == 1


def test_a_person_with_recent_messages_keeps_their_profile_when_an_old_conversation_is_anonymised(run):
    customer = AuthorFactory(handle="still_here")
    conversation(customer, days=SEVEN_YEARS + 5, answered=True)
    conversation(customer, days=10, answered=True)
    run(only=["inbox.answered_conversations"])
    customer.refresh_from_db()
    assert customer.handle == "still_here"


def test_held_items_are_kept_and_counted(run, compliance):
    held_person = AuthorFactory()
    held_hit = hit(held_person, days=200)
    held_conv = conversation(days=900)
    person_conv = conversation(held_person, days=900, status="spam")
    free_conv = conversation(days=900)
    legal_hold_place(actor=compliance, target_key="author", reference=str(held_person.pk), reason="Case 77")
    legal_hold_place(actor=compliance, target_key="conversation", reference=str(held_conv.pk), reason="FOS")

    result = run()

    assert _exists(held_hit) and _exists(held_conv) and _exists(person_conv) and _exists(held_person)
    assert Mention.objects.filter(thread_key=held_conv.thread_key).count() == 2
    assert not _exists(free_conv)
    assert result.kinds["inbox.unactioned_hits"].held == 1
    assert result.kinds["inbox.unanswered_conversations"].held == 1
    assert result.kinds["inbox.spam_conversations"].held == 1
    summary = AuditEvent.objects.get(verb="retention.run")
    assert summary.after["kinds"]["inbox.unanswered_conversations"] == {
        "action": "delete",
        "days": 730,
        "cutoff": ago(730).isoformat(),
        "done": 1,
        "held": 1,
    }
    assert summary.after["totals"]["held"] == 3


def test_a_lifted_hold_lets_retention_go_ahead(run, compliance):
    conv = conversation(days=900)
    hold = legal_hold_place(actor=compliance, target_key="conversation", reference=str(conv.pk), reason="x")
    run()
    assert _exists(conv)
    retention.legal_hold_lift(actor=compliance, hold=hold, reason="Case closed")
    run()
    assert not _exists(conv)


def test_a_second_run_finds_nothing_to_do(run):
    hit(days=100)
    conversation(days=SEVEN_YEARS + 1, answered=True)
    conversation(days=100, status="spam")
    first = run()
    second = run()
    assert first.as_json()["totals"]["done"] >= 3
    assert second.as_json()["totals"] == {"done": 0, "held": 0}
    assert AuditEvent.objects.filter(verb="retention.run").count() == 2


def test_batches_walk_everything_and_a_crash_mid_run_loses_nothing(run):
    """Batches of 2 over 7 due hits; a run that dies after its second batch, then a rerun."""
    hits = [hit(days=120) for _ in range(7)]
    real = retention.registry.kinds["inbox.unactioned_hits"]
    batches = []

    def dies_on_the_third_batch(ids):
        batches.append(ids)
        if len(batches) == 3:
            raise RuntimeError("worker killed")
        return real.apply(ids)

    crashing = retention.Kind(**{**vars(real), "key": "test.crashing", "apply": dies_on_the_third_batch})
    retention.registry.kinds["test.crashing"] = crashing
    try:
        with pytest.raises(RuntimeError):
            run(only=["test.crashing"], batch_size=2)
    finally:
        del retention.registry.kinds["test.crashing"]
    assert Mention.objects.filter(pk__in=[h.pk for h in hits]).count() == 3, "two batches were committed"
    summary = AuditEvent.objects.get(verb="retention.run")
    assert summary.after["interrupted"] == "RuntimeError in test.crashing"
    assert summary.after["kinds"]["test.crashing"]["done"] == 4

    result = run(only=["inbox.unactioned_hits"], batch_size=2)
    assert result.kinds["inbox.unactioned_hits"].done == 3
    assert not Mention.objects.filter(pk__in=[h.pk for h in hits]).exists()


def test_people_with_nothing_left_go_once_their_messages_have(run):
    person = AuthorFactory()
    hit(person, days=100)
    person.updated_at = ago(60)
    person.save()
    with_conversation = AuthorFactory()
    conversation(with_conversation, days=5)
    Author.objects.filter(pk=with_conversation.pk).update(updated_at=ago(60))
    run()
    assert not _exists(person)
    assert _exists(with_conversation)


def test_staff_side_records(run, agent):
    (old,) = _notify(agent)
    Notification.objects.filter(pk=old.pk).update(created_at=ago(366))
    (young,) = _notify(agent)
    Notification.objects.filter(pk=young.pk).update(created_at=ago(364))
    account = SocialAccountFactory()
    quarantined = QuarantinedItem.objects.create(
        account=account, stream="mentions", reason="bad", raw={"x": 1}
    )
    QuarantinedItem.objects.filter(pk=quarantined.pk).update(created_at=ago(31))
    run()
    assert not _exists(old) and _exists(young)
    assert not _exists(quarantined)


def _notify(person):
    from bankbuzz.accounts.notifications import notify

    return notify(recipients=[person], verb="test", text="Hello", url="/inbox/", email=False)


def test_a_dry_run_counts_and_changes_nothing(run):
    due = hit(days=100)
    result = run(dry_run=True)
    assert result.kinds["inbox.unactioned_hits"].done == 1
    assert _exists(due)
    assert not AuditEvent.objects.filter(verb="retention.run").exists()


def test_the_command_reports_counts_and_dry_run_changes_nothing(capsys):
    due = hit(days=100, now=timezone.now())
    call_command("retention_run", "--dry-run")
    out = capsys.readouterr().out
    assert "inbox.unactioned_hits" in out and "1 would be deleted" in out and "Dry run" in out
    assert _exists(due)
    call_command("retention_run")
    assert not _exists(due)
    assert "1 were deleted" in capsys.readouterr().out


def test_an_administrator_changes_a_period_within_the_legal_minimum(run, administrator):
    young = hit(days=40)
    with pytest.raises(RetentionError, match="at least 30 days"):
        retention_policy_set(actor=administrator, key="inbox.unactioned_hits", days=10)
    with pytest.raises(RetentionError, match="at least"):
        retention_policy_set(actor=administrator, key="inbox.answered_conversations", days=365)
    retention_policy_set(actor=administrator, key="inbox.unactioned_hits", days=30)
    event = AuditEvent.objects.get(verb="retention.policy_set")
    assert (event.actor, event.before, event.after["days"]) == (administrator, {"days": 90}, 30)
    run()
    assert not _exists(young)


def test_the_nightly_task_is_on_beat_and_runs_the_same_service():
    from bankbuzz.audit.tasks import retention_run as task
    from bankbuzz.celery import app

    entry = app.conf.beat_schedule["audit-retention"]
    assert entry["task"] == "audit.retention_run" == task.name
    assert entry["schedule"].hour == {2}
    due = hit(days=100, now=timezone.now())
    outcome = task.apply().get()
    assert outcome["done"] >= 1 and not outcome["busy"]
    assert not _exists(due)
    assert AuditEvent.objects.filter(verb="retention.run", actor=None).exists()


def test_deleting_a_conversation_keeps_a_held_persons_messages_in_its_thread(compliance):
    conv = conversation(days=900)
    bystander = AuthorFactory()
    MentionFactory(author=bystander, network=conv.network, thread_key=conv.thread_key)
    legal_hold_place(actor=compliance, target_key="author", reference=str(bystander.pk), reason="Case 9")
    conversations_delete([conv.pk])
    assert not Conversation.objects.filter(pk=conv.pk).exists()
    assert Mention.objects.filter(author=bystander).count() == 1
