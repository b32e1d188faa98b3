"""Mentions over the REST API (read-only): serializers and viewsets only.

Whoever reads the listening pages reads the mentions (`listening.permissions.insights_access`);
text is masked as everywhere else. Newest received first, keyset-paginated on (received_at, id).
"""

from __future__ import annotations

import base64
import datetime as dt
import json

from django.db.models import Q
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from bankbuzz.api.common import CURSOR_PARAMETERS, ApiViewSet, limit_param, page_of, page_response, path_id
from listening.enrichment.stored import mask_pii
from listening.models import Author, Mention, Network
from listening.permissions import insights_access

# Named for the schema's enums (settings.SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]).
MENTION_KINDS = Mention.Kind.choices


def _safe_url(url: str) -> str:
    return url if url.startswith(("https://", "http://")) else ""


class MaskedTextField(serializers.CharField):
    """Read-only text with personal data masked: what every API answer shows of free text.

    Unmasking is the inbox's recorded *Reveal*, never a field of an API answer."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        kwargs.setdefault("help_text", "Personal data masked.")
        super().__init__(**kwargs)

    def to_representation(self, value) -> str:
        return mask_pii(super().to_representation(value))


class AuthorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Author
        fields = ("network", "handle", "name", "followers", "verified")
        read_only_fields = fields


class MentionSerializer(serializers.ModelSerializer):
    author = AuthorSerializer(read_only=True)
    text = serializers.CharField(source="masked_text", read_only=True, help_text="Personal data masked.")
    url = serializers.SerializerMethodField()
    account = serializers.IntegerField(source="account_id", allow_null=True, read_only=True)

    class Meta:
        model = Mention
        fields = (
            "id",
            "network",
            "external_id",
            "account",
            "kind",
            "direction",
            "author",
            "text",
            "url",
            "thread_key",
            "created_at",
            "received_at",
            "lang",
            "sentiment_label",
            "has_pii",
            "intent",
            "priority_hint",
        )
        read_only_fields = fields

    def get_url(self, mention) -> str:
        return _safe_url(mention.url)


def _cursor(mention: Mention) -> str:
    raw = json.dumps([mention.received_at.isoformat(), mention.pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(token: str) -> tuple[dt.datetime, int]:
    try:
        at, pk = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        return dt.datetime.fromisoformat(at), int(pk)
    except (ValueError, TypeError, json.JSONDecodeError):
        raise ValidationError({"cursor": ["This cursor is not valid; start from the first page."]}) from None


class MentionViewSet(ApiViewSet):
    """Everything stored from the networks, ours included (direction out)."""

    serializer_class = MentionSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("network", str, OpenApiParameter.QUERY, required=False, enum=Network.values),
            OpenApiParameter(
                "direction", str, OpenApiParameter.QUERY, required=False, enum=Mention.Direction.values
            ),
            OpenApiParameter("account", int, OpenApiParameter.QUERY, required=False),
            *CURSOR_PARAMETERS,
        ],
        responses=page_of(MentionSerializer),
    )
    def list(self, request):
        insights_access(request.user)
        params = request.query_params
        qs = Mention.objects.select_related("author")
        errors = {}
        if params.get("network"):
            if params["network"] not in Network.values:
                errors["network"] = [f"One of {', '.join(Network.values)}."]
            qs = qs.filter(network=params["network"])
        if params.get("direction"):
            if params["direction"] not in Mention.Direction.values:
                errors["direction"] = ["in or out."]
            qs = qs.filter(direction=params["direction"])
        if params.get("account"):
            try:
                qs = qs.filter(account_id=path_id(params["account"]))
            except Exception:
                errors["account"] = ["An account id."]
        if errors:
            raise ValidationError(errors)
        if params.get("cursor"):
            at, pk = _decode(params["cursor"])
            qs = qs.filter(Q(received_at__lt=at) | Q(received_at=at, pk__lt=pk))
        size = limit_param(request)
        rows = list(qs.order_by("-received_at", "-id")[: size + 1])
        next_cursor = _cursor(rows[size - 1]) if len(rows) > size else None
        data = MentionSerializer(rows[:size], many=True).data
        return Response(page_response(request, data, next_cursor))

    @extend_schema(responses=MentionSerializer)
    def retrieve(self, request, pk=None):
        insights_access(request.user)
        mention = Mention.objects.select_related("author").filter(pk=path_id(pk)).first()
        if mention is None:
            from django.http import Http404

            raise Http404("No such mention")
        return Response(MentionSerializer(mention).data)


ROUTES = [("mentions", MentionViewSet, "mention")]
