from django.urls import path

from dashboards import views

app_name = "dashboards"

urlpatterns = [
    path("", views.index, name="index"),
    path("export/<slug:key>.csv", views.export, name="export"),
    path("rows/", views.rows_page, name="rows"),
    path("rows.csv", views.rows_export, name="rows_export"),
]
