from django.urls import path

from bankbuzz.audit import compliance_views, views

app_name = "audit"

urlpatterns = [
    path("", views.log, name="log"),
    path("export/", views.export, name="export"),
    path("retention/", compliance_views.retention_settings, name="retention"),
    path("holds/", compliance_views.holds, name="holds"),
    path("holds/new/", compliance_views.hold_new, name="hold_new"),
    path("holds/<int:pk>/lift/", compliance_views.hold_lift, name="hold_lift"),
    path("erasure/", compliance_views.erasures, name="erasures"),
    path("erasure/new/", compliance_views.erasure_new, name="erasure_new"),
    path("erasure/<int:pk>/", compliance_views.erasure_report, name="erasure"),
    path("erasure/<int:pk>/report.json", compliance_views.erasure_download, name="erasure_download"),
]
