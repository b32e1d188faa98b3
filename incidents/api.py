"""Incidents over the REST API, read-only: the list (newest first, keyset pages) and one incident
with its figures (members, replies sent, queued and held, the status post's links). Opening,
answering and resolving stay in the browser, where a lead sees the preview and the guard."""

from __future__ import annotations

from django.db.models import Count, Q
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from bankbuzz.api.common import ApiViewSet, newest_first_page, page_of, path_id
from inbox.models import Reply
from incidents import permissions, selectors, services
from incidents.models import Incident

# Named in the API schema (SPECTACULAR_SETTINGS' ENUM_NAME_OVERRIDES).
INCIDENT_STATES = Incident.State.choices

ACTIVE = Q(members__removed_at__isnull=True)
COUNTS = {
    "members_count": Count("members", filter=ACTIVE),
    "answered_count": Count("members", filter=ACTIVE & Q(members__reply__state=Reply.State.SENT)),
    "held_count": Count(
        "members",
        filter=ACTIVE
        & ~Q(members__held_reason="")
        & Q(members__reply__isnull=True, members__conversation__first_response_at__isnull=True),
    ),
}


class IncidentSerializer(serializers.ModelSerializer):
    members_count = serializers.IntegerField(read_only=True, help_text="Conversations in the incident.")
    answered_count = serializers.IntegerField(
        read_only=True, help_text="Of them, those whose incident reply was sent."
    )
    held_count = serializers.IntegerField(
        read_only=True, help_text="Of them, those held back for a person and not answered yet."
    )
    opened_by = serializers.CharField(source="opened_by.display_name", read_only=True)
    resolved_by = serializers.CharField(source="resolved_by.display_name", read_only=True, allow_null=True)

    class Meta:
        model = Incident
        fields = (
            "id",
            "name",
            "state",
            "terms",
            "networks",
            "spike",
            "opened_by",
            "opened_at",
            "resolved_by",
            "resolved_at",
            "members_count",
            "answered_count",
            "held_count",
        )
        read_only_fields = fields


class IncidentDetailSerializer(IncidentSerializer):
    replies = serializers.SerializerMethodField(
        help_text="The incident replies by state (queued, sending, sent, failed, ...)."
    )
    waiting_count = serializers.SerializerMethodField(help_text="Members no reply has gone to yet.")
    status_links = serializers.SerializerMethodField(help_text="The published status post's URL per network.")
    time_to_first_post = serializers.SerializerMethodField()
    time_to_answer_all = serializers.SerializerMethodField()
    by_network = serializers.SerializerMethodField(help_text="Members per network.")

    class Meta(IncidentSerializer.Meta):
        fields = (
            *IncidentSerializer.Meta.fields,
            "waiting_count",
            "replies",
            "by_network",
            "status_links",
            "time_to_first_post",
            "time_to_answer_all",
        )
        read_only_fields = fields

    def _report(self, incident) -> selectors.Report:
        if "report" not in self.context:
            self.context["report"] = selectors.incident_report(incident)
        return self.context["report"]

    def get_replies(self, incident) -> dict[str, int]:
        return self._report(incident).replies

    def get_waiting_count(self, incident) -> int:
        return self._report(incident).waiting

    def get_by_network(self, incident) -> dict[str, int]:
        return {network: n for network, _name, n in self._report(incident).by_network}

    def get_status_links(self, incident) -> dict[str, str]:
        return services.status_links(incident)

    def get_time_to_first_post(self, incident) -> str:
        return self._report(incident).time_to_first_post

    def get_time_to_answer_all(self, incident) -> str:
        return self._report(incident).time_to_answer_all


def _incidents():
    return Incident.objects.select_related("opened_by", "resolved_by").annotate(**COUNTS)


class IncidentViewSet(ApiViewSet):
    """Incidents, read-only, for whoever reads the inbox."""

    serializer_class = IncidentSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "state", str, OpenApiParameter.QUERY, required=False, enum=Incident.State.values
            ),
            OpenApiParameter("cursor", str, OpenApiParameter.QUERY, required=False),
            OpenApiParameter("limit", int, OpenApiParameter.QUERY, required=False),
        ],
        responses=page_of(IncidentSerializer),
    )
    def list(self, request):
        """Newest first."""
        permissions.require_reader(request.user)
        params = request.query_params
        qs = _incidents().order_by("-id")
        if params.get("state"):
            if params["state"] not in Incident.State.values:
                raise ValidationError({"state": [f"One of {', '.join(Incident.State.values)}."]})
            qs = qs.filter(state=params["state"])
        return Response(newest_first_page(request, qs, lambda rows: IncidentSerializer(rows, many=True).data))

    @extend_schema(responses=IncidentDetailSerializer)
    def retrieve(self, request, pk=None):
        permissions.require_reader(request.user)
        incident = permissions.incident_for_user(request.user, path_id(pk))
        incident = _incidents().get(pk=incident.pk)
        return Response(IncidentDetailSerializer(incident, context={}).data)


ROUTES = [("incidents", IncidentViewSet, "incident")]
