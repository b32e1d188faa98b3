from django.contrib import admin
from django.urls import include, path

from bankbuzz import views

admin.site.site_header = "BankBuzz administration"
admin.site.site_title = "BankBuzz"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("bankbuzz.accounts.urls")),
    path("audit/", include("bankbuzz.audit.urls")),
    path("inbox/", include("inbox.urls")),
    path("listening/", include("listening.urls")),
    path("escalations/", include("escalations.urls")),
    path("library/", include("learning.urls")),
    path("dashboards/", include("dashboards.urls")),
    path("api/", include("bankbuzz.api.urls")),
    path("admin/", admin.site.urls),
]
