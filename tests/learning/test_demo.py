"""`make run`'s demo has an advice library with outcomes from the demo history."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from bankbuzz.accounts.models import User
from inbox.models import SavedReply
from learning.models import AdviceArticle, EntryStats, LibraryProposal, ReplyOutcome

pytestmark = pytest.mark.django_db


def test_demo_seed_fills_the_library_with_outcomes(settings, client):
    settings.DEBUG = True
    call_command("demo_seed", verbosity=0, stdout=io.StringIO())
    assert AdviceArticle.objects.count() >= 20
    assert SavedReply.objects.count() >= 12
    decided = ReplyOutcome.objects.exclude(outcome="pending")
    assert decided.count() >= 20
    assert {"thanks", "resolved", "escalated"} <= set(decided.values_list("outcome", flat=True))
    assert EntryStats.objects.exists()
    client.force_login(User.objects.get(username="lead"))
    page = client.get(reverse("learning:library")).content.decode()
    assert "Review overdue" in page
    assert " of " in page.split('id="saved"')[1]  # "n of m" helped
    # An expert's answer waits for the lead: approving it in `make run` shows the loop.
    proposal = LibraryProposal.objects.get(state=LibraryProposal.State.DRAFT)
    assert proposal.escalation.department.name == "Cards" and proposal.expert.username == "cards"
    assert "Proposed answers (1 waiting)" in page
    # Again: nothing doubles.
    counts = (
        AdviceArticle.objects.count(),
        SavedReply.objects.count(),
        ReplyOutcome.objects.count(),
        LibraryProposal.objects.count(),
    )
    call_command("demo_seed", verbosity=0, stdout=io.StringIO())
    assert (
        AdviceArticle.objects.count(),
        SavedReply.objects.count(),
        ReplyOutcome.objects.count(),
        LibraryProposal.objects.count(),
    ) == counts
