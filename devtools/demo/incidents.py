"""The demo's incident (called by demo_seed after the conversation history).

The lead has opened "Mobile app login problems" over the customers who could not log in, and
written the status post, which waits for a second lead's approval (`lead2`): the demo starts
where a team is ten minutes into an outage. Idempotent: nothing is added once the demo has an
incident.
"""

from __future__ import annotations

from bankbuzz.accounts.models import User
from incidents.models import Incident, Post
from incidents.publishing import post_submit, publishing_accounts
from incidents.services import incident_open

TERMS = ["app down", "can't log in", "cannot log in", "locked out", "login code", "app crashed"]
STATUS_POST = (
    "Some of you cannot log in to the app or online banking right now. We are on it and will post "
    "here as soon as it is fixed. Your money is safe; card payments and cash machines work as usual."
)


def seed_incidents() -> int:
    """Open the demo's incident and submit its status post; the number of incidents opened."""
    if Incident.objects.exists():
        return 0
    lead = User.objects.filter(username="lead").first()
    if lead is None:
        return 0
    incident = incident_open(
        actor=lead, name="Mobile app login problems", terms=TERMS, networks=["x", "facebook", "instagram"]
    )
    accounts = [a for a in publishing_accounts() if a.network in ("x", "facebook")]
    if accounts:
        post_submit(
            actor=lead,
            text=STATUS_POST,
            accounts=accounts,
            purpose=Post.Purpose.STATUS,
            incident=incident,
        )
    return 1
