"""What every app's api.py shares: the base viewset, errors, keyset pages, the schema's extras."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re

from django.conf import settings
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.response import Response
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


class PreconditionRequired(exceptions.APIException):
    """A write without `version` or `Idempotency-Key`: it could apply twice, or on top of a change."""

    status_code = 428
    default_code = "precondition_required"


IDEMPOTENCY_HEADER = "Idempotency-Key"
_KEY_RE = re.compile(r"^[\x21-\x7e]{1,255}$")
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


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


def _fingerprint(request) -> str:
    body = json.dumps(request.data, sort_keys=True, default=str) if request.data else ""
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


class ApiViewSet(_NoLoginRedirect, viewsets.GenericViewSet):
    """Every write carries a precondition, so a retry or a race never applies it twice.

    Actions named in `version_actions` take the `version` of the object the caller read (a
    change since is refused with 409 by the services); every write may instead send an
    `Idempotency-Key` header, and a write without either is refused with 428. A key is kept per
    person with the first answer (bankbuzz.api.models.IdempotencyKey), and the same key again is
    answered with it, not done again.
    """

    lookup_value_converter = "int"
    schema = ApiAutoSchema()
    # Objects come from each app's permission helpers, never from a shared queryset.
    queryset = None
    version_actions: frozenset[str] = frozenset()

    def get_queryset(self):  # pragma: no cover - the helpers are used instead
        raise NotImplementedError

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method not in WRITE_METHODS:
            return
        key = request.headers.get(IDEMPOTENCY_HEADER)
        if key is None:
            return  # the action asks for its `version` (check_precondition), after its permission check
        if not _KEY_RE.match(key):
            raise exceptions.ValidationError(
                {IDEMPOTENCY_HEADER: ["1 to 255 printable characters without spaces, e.g. a UUID."]}
            )
        method = request.method.lower()
        handler = getattr(self, method, None)
        if handler is None:
            return  # the route has no such write: dispatch answers 405
        setattr(self, method, self._idempotent(handler, key))

    def check_precondition(self) -> None:
        """Called by every write action after its permission check, before its service: without an
        Idempotency-Key, the action needs the `version` read (if it takes one), else 428."""
        request = self.request
        if request.headers.get(IDEMPOTENCY_HEADER) is not None:
            return
        if self.action in self.version_actions:
            if isinstance(request.data, dict) and request.data.get("version") is not None:
                return
            raise PreconditionRequired(
                "Send the `version` of the object you read (it answers 409 if someone changed it "
                f"since), or an {IDEMPOTENCY_HEADER} header, so a retry is not done twice."
            )
        raise PreconditionRequired(
            f"Send an {IDEMPOTENCY_HEADER} header (a UUID of yours, new for each change) so a "
            "retry is answered with the first result instead of being done twice."
        )

    def _idempotent(self, handler, key: str):
        from bankbuzz.api.models import IdempotencyKey

        def run(request, *args, **kwargs):
            user = request.user
            fingerprint = _fingerprint(request)
            # The row is inserted first and kept locked until the answer is stored: the same key
            # sent twice at once waits on the unique index, then reads the stored answer.
            with transaction.atomic():
                cutoff = timezone.now() - dt.timedelta(seconds=settings.API_IDEMPOTENCY_TTL)
                IdempotencyKey.objects.filter(user=user, key=key, created_at__lt=cutoff).delete()
                record, created = IdempotencyKey.objects.get_or_create(
                    user=user,
                    key=key,
                    defaults={
                        "method": request.method,
                        "path": request.path[:500],
                        "fingerprint": fingerprint,
                    },
                )
                if not created:
                    return self._replay(record, fingerprint)
                IdempotencyKey.objects.filter(user=user, created_at__lt=cutoff).delete()
                try:
                    response = handler(request, *args, **kwargs)
                except Exception as exc:  # DRF turns refusals into answers; the rest re-raise
                    response = self.handle_exception(exc)
                if response.status_code >= 500:
                    transaction.set_rollback(True)
                    return response
                IdempotencyKey.objects.filter(pk=record.pk).update(
                    status_code=response.status_code, response=response.data
                )
                return response

        return run

    @staticmethod
    def _replay(record, fingerprint: str) -> Response:
        if record.fingerprint != fingerprint:
            return Response(
                {
                    "detail": f"This {IDEMPOTENCY_HEADER} was used for another request "
                    f"({record.method} {record.path}); use a new key for each change.",
                    "code": "idempotency_key_reused",
                },
                status=422,
            )
        return Response(record.response, status=record.status_code, headers={"Idempotent-Replayed": "true"})


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


def newest_first_page(request, qs, serialize) -> dict:
    """A keyset page of `qs` (ordered newest id first): `?cursor=` is the last id of the page
    before, `?limit=` the page size; `serialize` turns the page's rows into data."""
    raw = request.query_params.get("cursor")
    if raw:
        try:
            cursor = int(raw)
            if not 0 < cursor < 2**63:
                raise ValueError
        except ValueError:
            raise exceptions.ValidationError(
                {"cursor": ["This cursor is not valid; start from the first page."]}
            ) from None
        qs = qs.filter(pk__lt=cursor)
    size = limit_param(request)
    rows = list(qs[: size + 1])
    next_cursor = str(rows[size - 1].pk) if len(rows) > size else None
    return page_response(request, serialize(rows[:size]), next_cursor)


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
ERRORS_WRITE = {
    "409": "The object changed since the `version` you sent.",
    "422": f"The {IDEMPOTENCY_HEADER} was used before for another request.",
    "428": f"Neither `version` nor an {IDEMPOTENCY_HEADER} header was sent.",
}


IDEMPOTENCY_PARAMETER = {
    "in": "header",
    "name": IDEMPOTENCY_HEADER,
    "required": False,
    "schema": {"type": "string", "maxLength": 255},
    "description": "A key of yours, new for each change (a UUID): the same key again is answered with "
    "the first answer instead of being done again. Needed when the body has no `version`.",
}


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
                operation.setdefault("parameters", []).append(IDEMPOTENCY_PARAMETER)
            for code, text in errors.items():
                responses.setdefault(
                    code,
                    {
                        "description": text,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                    },
                )
    return result
