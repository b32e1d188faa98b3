"""The API's JSON parser, with limits: a body over `API_MAX_BODY_BYTES` is a 413 and nesting
deeper than `API_MAX_JSON_DEPTH` a 400, both before `json` sees the text (100,000 nested
brackets would otherwise end in a RecursionError, a 500)."""

from __future__ import annotations

from django.conf import settings
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser
from rest_framework.utils import json

# No request of this API needs more than a reply's 10,000 characters and a few fields.
DEFAULT_MAX_BODY_BYTES = 64 * 1024
DEFAULT_MAX_DEPTH = 20


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"


def max_body_bytes() -> int:
    return int(getattr(settings, "API_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES))


def json_depth_exceeds(text: str, limit: int) -> bool:
    """Whether brackets outside strings nest deeper than `limit` (one pass, no recursion)."""
    depth = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return True
        elif ch in "]}":
            depth -= 1
    return False


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = max_body_bytes()
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH", "") if request is not None else ""
        if str(declared).isdigit() and int(declared) > limit:
            raise PayloadTooLarge(f"The request body is over the limit of {limit} bytes.")
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise PayloadTooLarge(f"The request body is over the limit of {limit} bytes.")
        try:
            text = raw.decode((parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET)
        except UnicodeDecodeError as exc:
            raise exceptions.ParseError("JSON parse error - the body is not valid UTF-8.") from exc
        depth = int(getattr(settings, "API_MAX_JSON_DEPTH", DEFAULT_MAX_DEPTH))
        if json_depth_exceeds(text, depth):
            raise exceptions.ParseError(f"JSON parse error - nested deeper than {depth} levels.")
        try:
            return json.loads(text, parse_constant=json.strict_constant if self.strict else None)
        except ValueError as exc:
            raise exceptions.ParseError(f"JSON parse error - {exc}") from exc


def exception_handler(exc, context):
    """DRF's handler, plus: Django's own body limit (DATA_UPLOAD_MAX_MEMORY_SIZE, met while
    reading a body before any parser runs) answers 413 in JSON like ours, not an HTML 400."""
    from django.core.exceptions import RequestDataTooBig
    from rest_framework.views import exception_handler as drf_handler

    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge(f"The request body is over the limit of {max_body_bytes()} bytes.")
    return drf_handler(exc, context)
