"""How fast an incident's replies go out on each network: batches within its write limits."""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from inbox.models import Reply
from incidents.models import Incident, IncidentConversation


def reply_pace() -> dict[str, tuple[int, int]]:
    """Per network: at most this many incident replies per this many seconds (settings.INCIDENT_REPLY_PACE).

    Below each network's write limit (X: 200 posts per 15 minutes per user; Facebook: about 300
    comments an hour per page in practice; LinkedIn: a daily member quota), leaving room for
    the replies agents write by hand at the same time.
    """
    return getattr(settings, "INCIDENT_REPLY_PACE", {})


class Pace:
    """When the n-th incident reply on a network may go: batches of `size` per `window` seconds."""

    def __init__(self, incident: Incident, now: dt.datetime):
        self.now = now
        self.incident = incident
        self.counts: dict[str, int] = {}

    def slot(self, network: str) -> dt.datetime | None:
        size, window = reply_pace().get(network, (0, 0))
        if not size:
            return None
        if network not in self.counts:
            # Incident replies already on their way in the current window take their places first.
            self.counts[network] = Reply.objects.filter(
                conversation__network=network,
                created_at__gte=self.now - dt.timedelta(seconds=window),
                state__in=(*Reply.PENDING, Reply.State.SENT),
                pk__in=IncidentConversation.objects.filter(incident=self.incident).values("reply"),
            ).count()
        batch = self.counts[network] // size
        self.counts[network] += 1
        return self.now + dt.timedelta(seconds=batch * window) if batch else None
