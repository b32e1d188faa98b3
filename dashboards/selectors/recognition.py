"""Recognition: kudos given in the period."""

from __future__ import annotations

from django.db.models import (
    Count,
    QuerySet,
)

from dashboards.forms import Filters
from dashboards.permissions import Scope
from dashboards.selectors.common import (
    narrow,
)
from escalations.models import Kudos

# --- Recognition --------------------------------------------------------------------------------


def kudos(filters: Filters, scope: Scope, dims: dict | None = None) -> QuerySet[Kudos]:
    """Kudos given in the period (a customer thanked us after an expert's answer)."""
    dims = dims or {}
    qs = Kudos.objects.filter(created_at__gte=filters.start_at, created_at__lt=filters.end_at)
    qs = narrow(qs, "kudos", filters, scope)
    if dims.get("expert"):
        qs = qs.filter(expert_id=dims["expert"])
    if dims.get("kudos_agent"):
        qs = qs.filter(agent_id=dims["kudos_agent"])
    return qs


def kudos_by(filters: Filters, scope: Scope, field: str) -> list[dict]:
    qs = kudos(filters, scope).filter(**{f"{field}__isnull": False})
    return list(qs.values(field).annotate(n=Count("id")).order_by("-n", field))
