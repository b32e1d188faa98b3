"""Learning's rows that hold words from a conversation lose them when it is anonymised.

Deleting a conversation deletes learning's rows on it (their foreign keys cascade). Anonymising
one (retention, erasure) keeps the rows for the counts, without the words: the kept edits of
replies sent there, and the draft or declined proposals made from its escalations (an approved
one is the bank's own saved reply by then).
"""

from __future__ import annotations

from bankbuzz.audit import retention as r
from learning.models import LibraryProposal, SavedReplyEdit


def _anonymise(conversation_ids: list[int]) -> None:
    SavedReplyEdit.objects.filter(reply__conversation_id__in=conversation_ids).exclude(text="").update(
        text=""
    )
    LibraryProposal.objects.filter(escalation__conversation_id__in=conversation_ids).exclude(
        state=LibraryProposal.State.APPROVED
    ).update(body=r.REMOVED, title="(removed)", guard_findings=[])


def register() -> None:
    r.register_dependents("inbox.conversation", on_anonymise=_anonymise)
