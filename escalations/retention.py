"""Escalations hang on conversations: they go, or lose their texts, with them.

The inbox's retention kinds and erasure (inbox/retention.py) call these through the registry
in bankbuzz/audit/retention.py, so the inbox never imports escalations.
"""

from __future__ import annotations

from bankbuzz.audit import retention as r
from escalations.models import Escalation, EscalationEvent, Kudos


def _delete(conversation_ids: list[int]) -> None:
    Kudos.objects.filter(conversation_id__in=conversation_ids).delete()
    Escalation.objects.filter(conversation_id__in=conversation_ids).delete()


def _anonymise(conversation_ids: list[int]) -> None:
    escalations = Escalation.objects.filter(conversation_id__in=conversation_ids)
    EscalationEvent.objects.filter(escalation__in=escalations).exclude(text="").update(text=r.REMOVED)
    escalations.update(question=r.REMOVED, info_request="", answer=r.REMOVED, proposed_reply="")


def register() -> None:
    r.register_dependents("inbox.conversation", on_delete=_delete, on_anonymise=_anonymise)
