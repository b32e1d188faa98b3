"""`/api/v1/` (the REST API), `/api/schema/`, `/api/docs/`, and the profile page's token forms.

The API names no app: the project's URLs (`bankbuzz/urls.py`) hand `api_urls` every app's routes
(each app keeps its own, `ROUTES` in app/api.py), and the router serves them next to the API's
own (who am I, the audit export).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.urls import include, path, re_path
from rest_framework.routers import DefaultRouter

from bankbuzz.api import views
from bankbuzz.api.audit import ROUTES as AUDIT

app_name = "api"

# (URL prefix, viewset, basename), as DefaultRouter.register takes them.
Route = tuple[str, type, str]

OWN_ROUTES: list[Route] = [*AUDIT, ("me", views.MeViewSet, "me")]


class Router(DefaultRouter):
    include_format_suffixes = False
    include_root_view = False


def router_of(routes: Iterable[Route]) -> Router:
    router = Router(trailing_slash=True, use_regex_path=False)
    for prefix, viewset, basename in routes:
        router.register(prefix, viewset, basename=basename)
    return router


def api_urls(routes: Iterable[Route]) -> tuple[list, str]:
    """The API's URL patterns with the apps' `routes` in its router, for `include()` (namespace `api`)."""
    urlpatterns = [
        path("v1/", include(router_of([*routes, *OWN_ROUTES]).urls)),
        path("schema/", views.SchemaView.as_view(), name="schema"),
        path("docs/", views.docs, name="docs"),
        path("tokens/", views.token_create, name="token_create"),
        path("tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
        # Anything else under /api/ (a mistyped path, an id that is not a number) answers JSON, not HTML.
        re_path(r"^.*$", views.not_found, name="not_found"),
    ]
    return urlpatterns, app_name
