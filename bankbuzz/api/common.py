"""What every app's api.py shares: the base viewset, errors, keyset pages, the schema's extras."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.views import APIView

MAX_LIMIT = 100


class Conflict(exceptions.APIException):
    """The object changed since the caller read it (the `version` it sent is stale)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "The object changed since you read it; read it again and retry."
    default_code = "conflict"


class Refused(exceptions.APIException):
    """A service refused the action, with a message for the person who asked."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "refused"


class _NoLoginRedirect:
    """The API authenticates with DRF (token or verified session) and answers 401/403 itself,
    so LoginRequiredMiddleware must not send API callers to the HTML login page."""

    @classmethod
    def as_view(cls, *args, **kwargs):
        view = super().as_view(*args, **kwargs)
        view.login_required = False
        return view


class ApiAutoSchema(AutoSchema):
    def get_operation_id(self) -> str:
        operation_id = super().get_operation_id()
        if getattr(self.view, "action", None) == "list":
            operation_id = operation_id.removesuffix("_retrieve") + "_list"
        return operation_id

    def _is_list_view(self, serializer=None) -> bool:
        # Every answer declares its own shape: a keyset page object, a list (`many=True`) or one
        # object; a `list` action is not assumed to answer a bare array.
        return isinstance(serializer, serializers.ListSerializer)


class ApiViewSet(_NoLoginRedirect, viewsets.GenericViewSet):
    lookup_value_converter = "int"
    schema = ApiAutoSchema()
    # Objects come from each app's permission helpers, never from a shared queryset.
    queryset = None

    def get_queryset(self):  # pragma: no cover - the helpers are used instead
        raise NotImplementedError


class ApiView(_NoLoginRedirect, APIView):
    pass


def path_id(value) -> int:
    """An id from the path; anything that is not a positive bigint is simply not found."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise Http404("No such object") from None
    if not 0 < number < 2**63:
        raise Http404("No such object")
    return number


# --- Pages --------------------------------------------------------------------------------------


def limit_param(request, default: int = 50) -> int:
    raw = request.query_params.get("limit", "")
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise exceptions.ValidationError({"limit": [f"A whole number from 1 to {MAX_LIMIT}."]}) from None
    if not 1 <= value <= MAX_LIMIT:
        raise exceptions.ValidationError({"limit": [f"A whole number from 1 to {MAX_LIMIT}."]})
    return value


def page_response(request, results: list, next_cursor: str | None) -> dict:
    """A keyset page: the rows and the cursor of the next page (None on the last page)."""
    next_url = None
    if next_cursor:
        params = request.query_params.copy()
        params["cursor"] = next_cursor
        next_url = request.build_absolute_uri(request.path) + "?" + params.urlencode()
    return {"results": results, "next_cursor": next_cursor, "next": next_url}


_page_serializers: dict[str, type[serializers.Serializer]] = {}


def page_of(item: type[serializers.Serializer]) -> type[serializers.Serializer]:
    """The schema of a keyset page of `item` rows."""
    name = item.__name__.removesuffix("Serializer") + "PageSerializer"
    if name not in _page_serializers:
        _page_serializers[name] = type(
            name,
            (serializers.Serializer,),
            {
                "results": item(many=True),
                "next_cursor": serializers.CharField(allow_null=True),
                "next": serializers.URLField(allow_null=True),
                "__module__": __name__,
            },
        )
    return _page_serializers[name]


CURSOR_PARAMETERS = [
    OpenApiParameter(
        "cursor",
        str,
        OpenApiParameter.QUERY,
        required=False,
        description="The `next_cursor` of the page before; omit for the first page.",
    ),
    OpenApiParameter(
        "limit",
        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 50},
        OpenApiParameter.QUERY,
        required=False,
        description=f"Rows per page, 1 to {MAX_LIMIT} (default 50).",
    ),
]


# --- The schema's error responses ------------------------------------------------------------------

ERROR = {
    "type": "object",
    "description": "`detail` says what went wrong; a form error names its fields instead.",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": True,
}
ERRORS_ALWAYS = {
    "401": "No valid token or verified session.",
    "403": "Your role (or the token's scope) does not allow this.",
    "404": "No such object, or not one you may see.",
    "429": "Too many requests for this token: wait (see Retry-After).",
}
ERRORS_WITH_INPUT = {"400": "The request was refused: see `detail` or the fields named."}
ERRORS_WRITE = {"409": "The object changed since the `version` you sent."}


def add_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: every operation documents the errors it can answer."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            responses = operation.setdefault("responses", {})
            errors = dict(ERRORS_ALWAYS)
            errors.update(ERRORS_WITH_INPUT)
            if method in ("post", "put", "patch", "delete"):
                errors.update(ERRORS_WRITE)
            for code, text in errors.items():
                responses.setdefault(
                    code,
                    {
                        "description": text,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                    },
                )
    return result
