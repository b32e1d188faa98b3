"""Complaints over the REST API, for the bank's complaint system of record.

List and read complaints (readers of the register), confirm one on a conversation, and record
a letter (an acknowledgement, holding reply, summary resolution or final response; sent as a
private message, or recorded as sent by e-mail or post). Writes go through `complaints.services`;
vulnerability is given only to the roles that may see it.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from bankbuzz.api.common import ApiViewSet, Conflict, Refused, newest_first_page, page_of, path_id
from complaints import permissions, selectors, services
from complaints.models import Complaint, Letter, Vulnerability
from inbox.permissions import conversation_for_user

COMPLAINT_STATUSES = Complaint.Status.choices
LETTER_KINDS = Letter.Kind.choices
LETTER_CHANNELS = Letter.Channel.choices
COMPLAINT_OUTCOMES = Complaint.Outcome.choices[1:]


class CategorySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    group = serializers.CharField()


class LetterSerializer(serializers.ModelSerializer):
    class Meta:
        model = Letter
        fields = ("id", "kind", "channel", "sent_on", "sent_at", "reply", "created_at")
        read_only_fields = fields


class ComplaintSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)
    regime = serializers.CharField(source="regime.code", read_only=True)
    product = CategorySerializer(allow_null=True, read_only=True)
    cause = CategorySerializer(allow_null=True, read_only=True)
    customer_handle = serializers.SerializerMethodField()
    clocks = serializers.SerializerMethodField(help_text="The clocks still owed, in business days.")

    class Meta:
        model = Complaint
        fields = (
            "id",
            "reference",
            "status",
            "outcome",
            "regime",
            "network",
            "conversation",
            "customer_handle",
            "received_at",
            "counts_from",
            "product",
            "cause",
            "summary_due_at",
            "acknowledge_due_at",
            "final_due_at",
            "acknowledged_at",
            "holding_reply_at",
            "resolved_at",
            "final_response_at",
            "closed_at",
            "clocks",
            "version",
        )
        read_only_fields = fields

    def get_customer_handle(self, complaint) -> str | None:
        return complaint.customer.handle if complaint.customer else None

    def get_clocks(self, complaint) -> list[dict]:
        cal, now = self.context["calendar"], self.context["now"]
        return [
            {"clock": c.label, "due_at": c.due.isoformat(), "state": c.state, "text": c.text}
            for c in selectors.chips(complaint, cal=cal, now=now)
        ]


class ComplaintDetailSerializer(ComplaintSerializer):
    letters = LetterSerializer(many=True, read_only=True)
    vulnerability = serializers.SerializerMethodField(
        help_text='Drivers, for the roles that may see them; otherwise "masked".'
    )

    class Meta(ComplaintSerializer.Meta):
        fields = (*ComplaintSerializer.Meta.fields, "letters", "vulnerability")
        read_only_fields = fields

    def get_vulnerability(self, complaint) -> list[str] | str | None:
        user = self.context["user"]
        if not permissions.can_see_vulnerability(user):
            return "masked"
        if (
            complaint.customer is None
            or not Vulnerability.objects.filter(customer=complaint.customer).exists()
        ):
            return None
        flag = services.vulnerability_view(actor=user, customer=complaint.customer)
        return flag.drivers if flag else None


class ConfirmSerializer(serializers.Serializer):
    conversation = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    messages = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        required=False,
        max_length=100,
        help_text="The customer's messages it is about; none given, the suggested ones.",
    )
    product = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)
    cause = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)
    summary = serializers.CharField(max_length=300, required=False, allow_blank=True)


class LetterInSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Letter.Kind.choices)
    channel = serializers.ChoiceField(choices=Letter.Channel.choices)
    text = serializers.CharField(max_length=10000)
    sent_on = serializers.DateField(required=False, help_text="For e-mail and post.")
    outcome = serializers.ChoiceField(choices=COMPLAINT_OUTCOMES, required=False)
    redress = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, required=False)
    version = serializers.IntegerField(min_value=1, max_value=2**31 - 1, required=False)


def _context(request) -> dict:
    return {"calendar": services.calendar(), "now": timezone.now(), "user": request.user}


def _run(view: ApiViewSet, call):
    view.check_precondition()
    try:
        with transaction.atomic():
            return call()
    except services.ComplaintStale as exc:
        raise Conflict(str(exc)) from None
    except services.ComplaintError as exc:
        raise Refused(str(exc)) from None


class ComplaintViewSet(ApiViewSet):
    """The complaints register: list, read, confirm, and record letters."""

    serializer_class = ComplaintSerializer
    version_actions = frozenset({"letters"})

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "status", str, OpenApiParameter.QUERY, required=False, enum=Complaint.Status.values
            ),
            OpenApiParameter(
                "regime", str, OpenApiParameter.QUERY, required=False, description="A regime code."
            ),
            OpenApiParameter("cursor", str, OpenApiParameter.QUERY, required=False),
            OpenApiParameter("limit", int, OpenApiParameter.QUERY, required=False),
        ],
        responses=page_of(ComplaintSerializer),
    )
    def list(self, request):
        """Newest first."""
        permissions.register_access(request.user)
        params = request.query_params
        qs = Complaint.objects.select_related("regime", "product", "cause", "customer").order_by("-id")
        if params.get("status"):
            if params["status"] not in Complaint.Status.values:
                raise ValidationError({"status": [f"One of {', '.join(Complaint.Status.values)}."]})
            qs = qs.filter(status=params["status"])
        if params.get("regime"):
            qs = qs.filter(regime__code=params["regime"][:40])
        page = newest_first_page(
            request, qs, lambda rows: ComplaintSerializer(rows, many=True, context=_context(request)).data
        )
        return Response(page)

    @extend_schema(responses=ComplaintDetailSerializer)
    def retrieve(self, request, pk=None):
        complaint = permissions.complaint_for_user(request.user, path_id(pk))
        return Response(ComplaintDetailSerializer(complaint, context=_context(request)).data)

    @extend_schema(request=ConfirmSerializer, responses={201: ComplaintDetailSerializer})
    def create(self, request):
        """Confirm a complaint on a conversation (the social team)."""
        permissions.work_access(request.user)
        serializer = ConfirmSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        conversation = conversation_for_user(request.user, data["conversation"], write=True)
        complaint = _run(
            self,
            lambda: services.complaint_confirm(
                actor=request.user,
                conversation=conversation,
                mention_ids=data.get("messages") or None,
                product=data.get("product"),
                cause=data.get("cause"),
                summary=data.get("summary", ""),
            ),
        )
        complaint = permissions.complaint_for_user(request.user, complaint.pk)
        return Response(
            ComplaintDetailSerializer(complaint, context=_context(request)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=LetterInSerializer, responses={201: ComplaintDetailSerializer})
    @action(detail=True, methods=["post"])
    def letters(self, request, pk=None):
        """Send a letter as a private message, or record one sent by e-mail or post."""
        complaint = permissions.complaint_for_user(request.user, path_id(pk), write=True)
        serializer = LetterInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        _run(
            self,
            lambda: services.letter_send(
                actor=request.user,
                complaint=complaint,
                kind=data["kind"],
                channel=data["channel"],
                text=data["text"],
                sent_on=data.get("sent_on"),
                outcome=data.get("outcome", ""),
                redress=data.get("redress"),
                seen_version=data.get("version"),
            ),
        )
        complaint = permissions.complaint_for_user(request.user, complaint.pk)
        return Response(
            ComplaintDetailSerializer(complaint, context=_context(request)).data,
            status=status.HTTP_201_CREATED,
        )


ROUTES = [("complaints", ComplaintViewSet, "complaint")]
