"""`/api/v1/` (the REST API), `/api/schema/`, `/api/docs/`, and the profile page's token forms."""

from django.urls import include, path, re_path
from rest_framework.routers import DefaultRouter

from bankbuzz.api import views

app_name = "api"


class Router(DefaultRouter):
    include_format_suffixes = False
    include_root_view = False


def _router() -> Router:
    from bankbuzz.api.audit import ROUTES as AUDIT
    from complaints.api import ROUTES as COMPLAINTS
    from dashboards.api import ROUTES as DASHBOARDS
    from escalations.api import ROUTES as ESCALATIONS
    from inbox.api import ROUTES as INBOX
    from incidents.api import ROUTES as INCIDENTS
    from listening.api import ROUTES as LISTENING

    router = Router(trailing_slash=True, use_regex_path=False)
    for prefix, viewset, basename in [
        *INBOX,
        *ESCALATIONS,
        *COMPLAINTS,
        *INCIDENTS,
        *LISTENING,
        *DASHBOARDS,
        *AUDIT,
        ("me", views.MeViewSet, "me"),
    ]:
        router.register(prefix, viewset, basename=basename)
    return router


urlpatterns = [
    path("v1/", include(_router().urls)),
    path("schema/", views.SchemaView.as_view(), name="schema"),
    path("docs/", views.docs, name="docs"),
    path("tokens/", views.token_create, name="token_create"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    # Anything else under /api/ (a mistyped path, an id that is not a number) answers JSON, not HTML.
    re_path(r"^.*$", views.not_found, name="not_found"),
]
