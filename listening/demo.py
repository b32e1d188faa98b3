"""Demo listening queries: the bank and two competitors (called by `manage.py demo_seed`). Idempotent."""

from __future__ import annotations

from listening.models import ListeningQuery
from listening.query_services import query_create

DEMO_QUERIES = [
    {
        "name": "Northbridge Bank",
        "text": '"northbridge bank" OR northbridge OR @northbridgebank',
        "kind": ListeningQuery.Kind.BRAND,
        "inbox_policy": ListeningQuery.InboxPolicy.QUESTIONS,
    },
    {
        "name": "Harbourline Bank",
        "text": '"harbourline bank" OR harbourline OR @harbourline',
        "kind": ListeningQuery.Kind.COMPETITOR,
        "inbox_policy": ListeningQuery.InboxPolicy.NONE,
    },
    {
        "name": "Crestmoor Building Society",
        "text": 'crestmoor OR "crestmoor bs" OR @crestmoorbs',
        "kind": ListeningQuery.Kind.COMPETITOR,
        "inbox_policy": ListeningQuery.InboxPolicy.NONE,
    },
]


def seed_queries() -> list[ListeningQuery]:
    """Create the demo queries that do not exist yet (by name); existing ones stay as people edited them."""
    out = []
    for spec in DEMO_QUERIES:
        query = ListeningQuery.objects.filter(name=spec["name"]).first()
        out.append(query or query_create(actor=None, **spec))
    return out
