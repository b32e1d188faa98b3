"""Reads for the library page: entries ranked by what they led to."""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.utils import timezone

from inbox.models import SavedReply
from learning.models import AdviceArticle, EntryStats

# An entry is flagged when at least this share of its decided uses had the customer write
# again, over at least SECOND_MESSAGE_MIN decided uses (fewer says nothing yet).
SECOND_MESSAGE_SHARE = 0.4
SECOND_MESSAGE_MIN = 5


def wilson_lower(successes: int, total: int, z: float = 1.96) -> float:
    """The lower end of the 95% Wilson interval of a share: 2 of 2 ranks below 40 of 50."""
    if total <= 0:
        return 0.0
    p = successes / total
    centre = p + z * z / (2 * total)
    spread = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total))
    return (centre - spread) / (1 + z * z / total)


@dataclass
class LibraryRow:
    kind: str
    entry: object
    stats: EntryStats | None
    overdue: bool = False
    expert: object = None  # the specialist credited, for a saved reply that was their answer

    @property
    def decided(self) -> int:
        return self.stats.decided if self.stats else 0

    @property
    def helped(self) -> int:
        return self.stats.helped if self.stats else 0

    @property
    def score(self) -> float:
        return wilson_lower(self.helped, self.decided)

    @property
    def often_again(self) -> bool:
        if self.decided < SECOND_MESSAGE_MIN:
            return False
        return self.stats.wrote_again / self.decided >= SECOND_MESSAGE_SHARE


def _ranked(rows: list[LibraryRow]) -> list[LibraryRow]:
    return sorted(rows, key=lambda r: (-r.score, -r.decided, str(r.entry).lower()))


def _expert(saved):
    proposal = getattr(saved, "proposal", None)
    return proposal.expert if proposal is not None else None


def library_rows(*, department_id: int | None = None) -> dict[str, list[LibraryRow]]:
    today = timezone.localdate()
    articles = AdviceArticle.objects.select_related("department", "stats").order_by("title")
    if department_id:
        articles = articles.filter(department_id=department_id)
    saved = SavedReply.objects.select_related("learning_stats", "proposal__expert").order_by("title")
    return {
        "articles": _ranked(
            [
                LibraryRow(
                    "article", a, getattr(a, "stats", None), overdue=a.is_active and a.review_overdue(today)
                )
                for a in articles
            ]
        ),
        "saved_replies": _ranked(
            [
                LibraryRow("saved_reply", s, getattr(s, "learning_stats", None), expert=_expert(s))
                for s in saved
            ]
        ),
    }
