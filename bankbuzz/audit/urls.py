from django.urls import path

from bankbuzz.audit import views

app_name = "audit"

urlpatterns = [
    path("", views.log, name="log"),
    path("export/", views.export, name="export"),
]
