"""demo_seed run again (each `make run`) adds no second history: its own module, because the
history's other tests share one seeded demo (`test_demo_history.py`) and this one needs none."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from escalations.models import Escalation, Kudos
from inbox.models import Conversation
from listening.models import Mention

pytestmark = pytest.mark.django_db


def _seed():
    call_command("demo_seed", verbosity=0, stdout=io.StringIO())


def _counts() -> tuple[int, ...]:
    return (
        Mention.objects.count(),
        Conversation.objects.count(),
        Escalation.objects.count(),
        Kudos.objects.count(),
    )


def test_demo_seed_again_adds_no_history(settings):
    settings.DEBUG = True
    _seed()
    before = _counts()
    resolved = Conversation.objects.filter(resolved_at__isnull=False).count()
    _seed()
    assert _counts() == before
    assert Conversation.objects.filter(resolved_at__isnull=False).count() == resolved
