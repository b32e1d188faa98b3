"""Escalations and departments over the REST API: serializers and viewsets only.

Every endpoint asks `escalations.permissions` (another department's escalation is a 404, as on the
pages) and writes through `escalations.services`. Only `transfer` moves an escalation to another
department, and only for the specialists of its current one; no field of any other request
changes its department, its conversation or who asked.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from bankbuzz.api.common import (
    CURSOR_PARAMETERS,
    ApiViewSet,
    Conflict,
    Refused,
    limit_param,
    page_of,
    page_response,
    path_id,
)
from escalations import permissions, selectors, services
from escalations.models import Department, Escalation, EscalationEvent
from inbox.api import MessageSerializer, PersonSerializer
from inbox.models import Conversation
from inbox.permissions import conversation_for_user
from listening.api import MaskedTextField

# Named for the schema's enums (settings.SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]).
EVENT_KINDS = EscalationEvent.Kind.choices
ESCALATION_STATES = Escalation.State.choices

# --- Serializers ----------------------------------------------------------------------------------


class DepartmentRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ConversationRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    network = serializers.CharField()
    status = serializers.CharField()
    customer_handle = serializers.CharField(source="customer.handle")


class EscalationSerializer(serializers.ModelSerializer):
    department = DepartmentRefSerializer(read_only=True)
    conversation = ConversationRefSerializer(read_only=True)
    assignee = PersonSerializer(allow_null=True, read_only=True)
    requested_by = PersonSerializer(allow_null=True, read_only=True)
    sla = serializers.SerializerMethodField(help_text="ok, warning, breach, paused or stopped.")
    question = MaskedTextField()
    info_request = MaskedTextField()

    class Meta:
        model = Escalation
        fields = (
            "id",
            "department",
            "conversation",
            "question",
            "priority",
            "state",
            "sla",
            "assignee",
            "requested_by",
            "info_request",
            "opened_at",
            "first_response_at",
            "answered_at",
            "closed_at",
            "response_due_at",
            "resolution_due_at",
            "due_at",
            "version",
        )
        read_only_fields = fields

    def get_sla(self, escalation) -> str:
        return escalation.sla_state(self.context.get("now"))


class EventSerializer(serializers.ModelSerializer):
    actor = PersonSerializer(allow_null=True, read_only=True)
    text = MaskedTextField()

    class Meta:
        model = EscalationEvent
        fields = ("kind", "actor", "text", "created_at")
        read_only_fields = fields


class EscalationDetailSerializer(EscalationSerializer):
    answer = MaskedTextField()
    proposed_reply = MaskedTextField()
    answered_by = PersonSerializer(allow_null=True, read_only=True)
    customer_messages = serializers.SerializerMethodField(help_text="Masked, oldest first.")
    history = serializers.SerializerMethodField()

    class Meta(EscalationSerializer.Meta):
        fields = (
            *EscalationSerializer.Meta.fields,
            "answer",
            "proposed_reply",
            "answered_by",
            "customer_messages",
            "history",
        )
        read_only_fields = fields

    @extend_schema_field(MessageSerializer(many=True))
    def get_customer_messages(self, escalation) -> list:
        return MessageSerializer(selectors.customer_messages(escalation.conversation), many=True).data

    @extend_schema_field(EventSerializer(many=True))
    def get_history(self, escalation) -> list:
        return EventSerializer(selectors.escalation_history(escalation)[:500], many=True).data


class _Versioned(serializers.Serializer):
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**31 - 1,
        help_text="The escalation's `version` when you read it: refused with 409 if someone took a step "
        "since. Required unless an `Idempotency-Key` header is sent.",
    )


class ClaimSerializer(_Versioned):
    pass


class EscalateSerializer(serializers.Serializer):
    conversation = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    department = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    question = serializers.CharField(max_length=5000)
    priority = serializers.ChoiceField(choices=Conversation.Priority.choices, required=False)


class AnswerSerializer(_Versioned):
    answer = serializers.CharField(max_length=5000, help_text="Internal: for the social team.")
    proposed_reply = serializers.CharField(
        max_length=5000, required=False, allow_blank=True, help_text="A public reply the agent may send."
    )


class AskSerializer(_Versioned):
    question = serializers.CharField(max_length=5000)


class InfoSerializer(_Versioned):
    text = serializers.CharField(max_length=5000)


class TransferSerializer(_Versioned):
    department = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    reason = serializers.CharField(max_length=5000)


class CloseSerializer(_Versioned):
    reason = serializers.CharField(max_length=5000, required=False, allow_blank=True)


class SlaPolicySerializer(serializers.Serializer):
    priority = serializers.IntegerField()
    first_response_minutes = serializers.IntegerField()
    resolution_minutes = serializers.IntegerField()


LOCAL_TIME = {
    "type": "string",
    "pattern": "^[0-2][0-9]:[0-5][0-9]$",
    "description": "HH:MM in its time zone.",
}


class DepartmentSerializer(serializers.ModelSerializer):
    sla_policies = SlaPolicySerializer(many=True, read_only=True)
    day_start = serializers.SerializerMethodField()
    day_end = serializers.SerializerMethodField(help_text="00:00 is midnight at the end of the day.")

    @extend_schema_field(LOCAL_TIME)
    def get_day_start(self, department) -> str:
        return department.day_start.strftime("%H:%M")

    @extend_schema_field(LOCAL_TIME)
    def get_day_end(self, department) -> str:
        return department.day_end.strftime("%H:%M")

    class Meta:
        model = Department
        fields = (
            "id",
            "name",
            "description",
            "is_active",
            "time_zone",
            "work_days",
            "day_start",
            "day_end",
            "sla_policies",
        )
        read_only_fields = fields


# --- Viewsets ------------------------------------------------------------------------------------------


def _run(view: ApiViewSet, call):
    """Call a service, once the write's precondition is there (version or Idempotency-Key, else
    428); a step someone took since the version sent is 409, another refusal 400."""
    view.check_precondition()
    try:
        with transaction.atomic():
            return call()
    except services.EscalationStale as exc:
        raise Conflict(str(exc)) from None
    except services.EscalationError as exc:
        raise Refused(str(exc)) from None


def _seen_version(request) -> int | None:
    serializer = ClaimSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data.get("version")


def _active_department(pk: int) -> Department:
    department = selectors.active_departments().filter(pk=pk).first()
    if department is None:
        raise ValidationError({"department": ["No active department has that id."]})
    return department


QUEUE_STATES = ["active", "mine", "unassigned", "waiting_agent", "answered", "closed"]


class EscalationViewSet(ApiViewSet):
    """The escalation queue and the specialist's actions (claim, answer, ask, transfer, close), the
    social team's (escalate, give information, close)."""

    serializer_class = EscalationSerializer
    version_actions = frozenset({"claim", "answer", "ask", "transfer", "close", "give_info"})

    def _detail(self, request, escalation: Escalation, code=status.HTTP_200_OK) -> Response:
        # After a transfer the caller may no longer see it: then the answer says only that it moved.
        visible = permissions.escalations_visible_to(request.user).filter(pk=escalation.pk).first()
        if visible is None:
            return Response({"detail": "Done; it is no longer in your departments."}, status=code)
        escalation = permissions.escalation_for_user(request.user, escalation.pk)
        return Response(
            EscalationDetailSerializer(escalation, context={"now": timezone.now()}).data, status=code
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("department", int, OpenApiParameter.QUERY, required=False),
            OpenApiParameter("state", str, OpenApiParameter.QUERY, required=False, enum=QUEUE_STATES),
            OpenApiParameter("sla", str, OpenApiParameter.QUERY, required=False, enum=["warning", "breach"]),
            *CURSOR_PARAMETERS,
        ],
        responses=page_of(EscalationSerializer),
    )
    def list(self, request):
        permissions.queue_access(request.user)
        params = request.query_params
        errors = {}
        department = None
        if params.get("department"):
            try:
                department = int(params["department"])
            except ValueError:
                errors["department"] = ["A department id."]
        state = params.get("state") or "active"
        if state not in QUEUE_STATES:
            errors["state"] = [f"One of {', '.join(QUEUE_STATES)}."]
        sla = params.get("sla", "")
        if sla not in ("", "warning", "breach"):
            errors["sla"] = ["warning or breach."]
        if errors:
            raise ValidationError(errors)
        filters = selectors.QueueFilters(department=department, state=state, sla=sla)
        now = timezone.now()
        try:
            page = selectors.escalation_queue(
                user=request.user,
                filters=filters,
                cursor=params.get("cursor") or None,
                size=limit_param(request),
                now=now,
            )
        except selectors.BadCursor:
            raise ValidationError(
                {"cursor": ["This cursor is not valid; start from the first page."]}
            ) from None
        rows = EscalationSerializer(page.rows, many=True, context={"now": now}).data
        return Response(page_response(request, rows, page.next_cursor))

    @extend_schema(responses=EscalationDetailSerializer)
    def retrieve(self, request, pk=None):
        return self._detail(request, permissions.escalation_for_user(request.user, path_id(pk)))

    @extend_schema(request=EscalateSerializer, responses={201: EscalationDetailSerializer})
    def create(self, request):
        """Escalate a conversation to a department (the social team)."""
        serializer = EscalateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        conversation = conversation_for_user(request.user, data["conversation"], write=True)
        department = _active_department(data["department"])
        suggestion = selectors.routing_suggest(conversation)
        rule = suggestion.rule if suggestion and suggestion.department == department else None
        escalation = _run(
            self,
            lambda: services.escalation_open(
                actor=request.user,
                conversation=conversation,
                department=department,
                question=data["question"],
                priority=data.get("priority"),
                rule=rule,
            ),
        )
        return self._detail(request, escalation, code=status.HTTP_201_CREATED)

    @extend_schema(request=ClaimSerializer, responses=EscalationDetailSerializer)
    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None):
        escalation = permissions.escalation_for_user(request.user, path_id(pk), write=True)
        version = _seen_version(request)
        return self._detail(
            request,
            _run(
                self,
                lambda: services.escalation_claim(
                    actor=request.user, escalation=escalation, seen_version=version
                ),
            ),
        )

    @extend_schema(request=AnswerSerializer, responses=EscalationDetailSerializer)
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        escalation = permissions.escalation_for_user(request.user, path_id(pk), write=True)
        serializer = AnswerSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = _run(
            self,
            lambda: services.escalation_answer(
                actor=request.user,
                escalation=escalation,
                answer=data["answer"],
                proposed_reply=data.get("proposed_reply", ""),
                seen_version=data.get("version"),
            ),
        )
        return self._detail(request, result)

    @extend_schema(request=AskSerializer, responses=EscalationDetailSerializer)
    @action(detail=True, methods=["post"])
    def ask(self, request, pk=None):
        """Ask the agent for more information (the SLA clock pauses)."""
        escalation = permissions.escalation_for_user(request.user, path_id(pk), write=True)
        serializer = AskSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        question = serializer.validated_data["question"]
        version = serializer.validated_data.get("version")
        result = _run(
            self,
            lambda: services.escalation_request_info(
                actor=request.user, escalation=escalation, question=question, seen_version=version
            ),
        )
        return self._detail(request, result)

    @extend_schema(request=TransferSerializer, responses=EscalationDetailSerializer)
    @action(detail=True, methods=["post"])
    def transfer(self, request, pk=None):
        escalation = permissions.escalation_for_user(request.user, path_id(pk), write=True)
        serializer = TransferSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        department = _active_department(serializer.validated_data["department"])
        result = _run(
            self,
            lambda: services.escalation_transfer(
                actor=request.user,
                escalation=escalation,
                department=department,
                reason=serializer.validated_data["reason"],
                seen_version=serializer.validated_data.get("version"),
            ),
        )
        return self._detail(request, result)

    @extend_schema(request=CloseSerializer, responses=EscalationDetailSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        escalation = permissions.escalation_for_user(request.user, path_id(pk))
        if not (permissions.can_answer(request.user, escalation) or permissions.can_escalate(request.user)):
            permissions.escalation_for_user(request.user, escalation.pk, write=True)  # raises 403
        serializer = CloseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reason = serializer.validated_data.get("reason", "")
        version = serializer.validated_data.get("version")
        result = _run(
            self,
            lambda: services.escalation_close(
                actor=request.user, escalation=escalation, reason=reason, seen_version=version
            ),
        )
        return self._detail(request, result)

    @extend_schema(request=InfoSerializer, responses=EscalationDetailSerializer)
    @action(detail=True, methods=["post"], url_path="give-info")
    def give_info(self, request, pk=None):
        """The social team answers the expert's question (the clock runs again)."""
        escalation = permissions.escalation_for_user(request.user, path_id(pk), as_agent=True)
        serializer = InfoSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        text = serializer.validated_data["text"]
        version = serializer.validated_data.get("version")
        result = _run(
            self,
            lambda: services.escalation_give_info(
                actor=request.user, escalation=escalation, text=text, seen_version=version
            ),
        )
        return self._detail(request, result)


class DepartmentViewSet(ApiViewSet):
    """Departments, their working hours and SLA targets: for whoever sees the departments page."""

    serializer_class = DepartmentSerializer

    def _access(self, request) -> None:
        if not permissions.can_manage_departments(request.user):
            permissions.queue_access(request.user)

    @extend_schema(responses=DepartmentSerializer(many=True))
    def list(self, request):
        self._access(request)
        return Response(DepartmentSerializer(selectors.departments_overview()[:500], many=True).data)

    @extend_schema(responses=DepartmentSerializer)
    def retrieve(self, request, pk=None):
        self._access(request)
        department = selectors.departments_overview().filter(pk=path_id(pk)).first()
        if department is None:
            from django.http import Http404

            raise Http404("No such department")
        return Response(DepartmentSerializer(department).data)


ROUTES = [
    ("escalations", EscalationViewSet, "escalation"),
    ("departments", DepartmentViewSet, "department"),
]
