"""The dashboard's numbers over the REST API: one endpoint, the same scope and filters as the page.

Durations are seconds; percentages are 0-100 or null when nothing is decided yet; backlog counts
stop at the inbox's cap (1,000: "1,000+" on the page).
"""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from bankbuzz.api.common import ApiViewSet
from bankbuzz.dbrouter import replica_reads
from dashboards import forms, selectors
from dashboards.permissions import dashboard_scope
from escalations.models import Department
from inbox.selectors import inbox_workers
from listening.models import Network, SocialAccount


class ConversationFigures(serializers.Serializer):
    received = serializers.IntegerField()
    responded = serializers.IntegerField()
    first_response_median_seconds = serializers.FloatField(allow_null=True)
    first_response_p90_seconds = serializers.FloatField(allow_null=True)
    resolved = serializers.IntegerField()
    resolution_median_seconds = serializers.FloatField(allow_null=True)
    resolution_p90_seconds = serializers.FloatField(allow_null=True)


class EscalationFigures(serializers.Serializer):
    opened = serializers.IntegerField()
    responded = serializers.IntegerField()
    first_response_median_seconds = serializers.FloatField(allow_null=True)
    first_response_p90_seconds = serializers.FloatField(allow_null=True)
    resolved = serializers.IntegerField()
    response_sla_met_percent = serializers.FloatField(allow_null=True)
    resolution_sla_met_percent = serializers.FloatField(allow_null=True)


class DashboardSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    conversations = ConversationFigures(
        allow_null=True, help_text="Null where your role sees no conversations."
    )
    escalations = EscalationFigures()
    backlog = serializers.DictField(
        child=serializers.IntegerField(), help_text="Now: unassigned, open, waiting_expert, urgent."
    )


class DashboardViewSet(ApiViewSet):
    serializer_class = DashboardSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "range", str, OpenApiParameter.QUERY, required=False, enum=[k for k, _ in forms.PRESETS]
            ),
            OpenApiParameter("from", str, OpenApiParameter.QUERY, required=False, description="YYYY-MM-DD"),
            OpenApiParameter("to", str, OpenApiParameter.QUERY, required=False, description="YYYY-MM-DD"),
            OpenApiParameter("network", str, OpenApiParameter.QUERY, required=False, enum=Network.values),
            OpenApiParameter("account", int, OpenApiParameter.QUERY, required=False),
            OpenApiParameter("department", int, OpenApiParameter.QUERY, required=False),
            OpenApiParameter(
                "agent", str, OpenApiParameter.QUERY, required=False, description="A user id or none"
            ),
        ],
        responses=DashboardSerializer,
    )
    def list(self, request):
        scope = dashboard_scope(request.user)
        with replica_reads():
            return self._figures(request, scope)

    def _figures(self, request, scope):
        departments = Department.objects.order_by("name")
        if scope.department_ids is not None:
            departments = departments.filter(pk__in=scope.department_ids)
        form = forms.FilterForm(
            request.query_params or None,
            accounts=SocialAccount.objects.order_by("network", "handle") if scope.team else (),
            departments=list(departments),
            agents=list(inbox_workers()) if scope.team else (),
            scope=scope,
        )
        if request.query_params and not form.is_valid():
            raise ValidationError(form.errors)
        filters = form.filters()
        now = timezone.now()
        conversations = None
        backlog = {}
        if scope.conversations:
            c = selectors.conversation_summary(filters, scope)
            conversations = {
                "received": c["received"],
                "responded": c["responded"],
                "first_response_median_seconds": c["fr_median"],
                "first_response_p90_seconds": c["fr_p90"],
                "resolved": c["resolved"],
                "resolution_median_seconds": c["res_median"],
                "resolution_p90_seconds": c["res_p90"],
            }
            backlog = selectors.backlog(filters, scope, user=request.user).counts
        e = selectors.escalation_summary(filters, scope, now=now)
        escalations = {
            "opened": e["opened"],
            "responded": e["responded"],
            "first_response_median_seconds": e["fr_median"],
            "first_response_p90_seconds": e["fr_p90"],
            "resolved": e["resolved"],
            "response_sla_met_percent": selectors.sla_percent(e["response_met"], e["response_breached"]),
            "resolution_sla_met_percent": selectors.sla_percent(
                e["resolution_met"], e["resolution_breached"]
            ),
        }
        data = {
            "start": filters.start,
            "end": filters.end,
            "conversations": conversations,
            "escalations": escalations,
            "backlog": backlog,
        }
        return Response(DashboardSerializer(data).data)


ROUTES = [("dashboard", DashboardViewSet, "dashboard")]
