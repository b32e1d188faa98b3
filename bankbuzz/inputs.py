"""Refuses, before any view, request parameters no page of ours can take.

- A NUL character in a query or form parameter (its name or value): PostgreSQL refuses NUL in
  text, so it would reach the database only to fail there as a 500; no one types one.
- In the admin, a date-hierarchy lookup (`created_at__year=...`) that is not a plausible number:
  the admin turns it into a datetime before validating it, which overflows.

The answer is a 400 naming the parameter (JSON under the API).
"""

from __future__ import annotations

import re

from django.http import HttpResponseBadRequest, JsonResponse

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
DATE_PART = re.compile(r"__(year|month|day)$")
DATE_PART_RANGES = {"year": (1, 9999), "month": (1, 12), "day": (1, 31)}


def _bad_parameter(request) -> tuple[str, str] | None:
    sources = [request.GET]
    if request.method == "POST" and request.content_type in FORM_TYPES:
        sources.append(request.POST)
    for params in sources:
        for key, values in params.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                return key.replace("\x00", "\\0"), "contains a NUL character"
    if request.path.startswith("/admin/"):
        for key, value in request.GET.items():
            part = DATE_PART.search(key)
            if part:
                low, high = DATE_PART_RANGES[part.group(1)]
                if not (value.isascii() and value.isdigit() and low <= int(value) <= high):
                    return key, f"must be a whole number from {low} to {high}"
    return None


class InputGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        bad = _bad_parameter(request)
        if bad is None:
            return self.get_response(request)
        name, problem = bad
        message = f"The parameter \u201c{name}\u201d {problem}."
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message, "parameter": name}, status=400)
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
