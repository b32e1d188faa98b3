"""The project's URLs: every app's pages and the API's routes, wired together here.

With `INSTALLED_APPS`, this is where the core (`bankbuzz`) names the apps: each app keeps its
pages (app/urls.py) and its API endpoints (`ROUTES` in app/api.py), and the API
(`bankbuzz.api.urls.api_urls`) serves the routes it is handed. The `core-imports-no-app`
contract in pyproject.toml lists these imports as its only exceptions.
"""

from django.contrib import admin
from django.urls import include, path

from bankbuzz import metrics, views
from bankbuzz.api.urls import api_urls
from complaints.api import ROUTES as COMPLAINTS_API
from dashboards.api import ROUTES as DASHBOARDS_API
from escalations.api import ROUTES as ESCALATIONS_API
from inbox.api import ROUTES as INBOX_API
from incidents.api import ROUTES as INCIDENTS_API
from listening.api import ROUTES as LISTENING_API

admin.site.site_header = "BankBuzz administration"
admin.site.site_title = "BankBuzz"

# The API's router, in this order (the API's own routes follow).
API_ROUTES = [
    *INBOX_API,
    *ESCALATIONS_API,
    *COMPLAINTS_API,
    *INCIDENTS_API,
    *LISTENING_API,
    *DASHBOARDS_API,
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("metrics", metrics.metrics_view, name="metrics"),
    path("healthz/live", views.healthz_live, name="healthz_live"),
    path("healthz/ready", views.healthz_ready, name="healthz_ready"),
    path("accounts/", include("bankbuzz.accounts.urls")),
    path("audit/", include("bankbuzz.audit.urls")),
    path("inbox/", include("inbox.urls")),
    path("listening/", include("listening.urls")),
    path("escalations/", include("escalations.urls")),
    path("library/", include("learning.urls")),
    path("incidents/", include("incidents.urls")),
    path("complaints/", include("complaints.urls")),
    path("dashboards/", include("dashboards.urls")),
    path("api/", include(api_urls(API_ROUTES))),
    path("admin/", admin.site.urls),
]
