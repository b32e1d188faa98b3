from django.contrib import admin
from django.urls import include, path

from bankbuzz import metrics, views

admin.site.site_header = "BankBuzz administration"
admin.site.site_title = "BankBuzz"

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
    path("api/", include("bankbuzz.api.urls")),
    path("admin/", admin.site.urls),
]
