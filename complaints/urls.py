from django.urls import path

from complaints import views

app_name = "complaints"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("export.csv", views.export, name="export"),
    path("regimes/", views.account_regimes, name="regimes"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/letter/", views.letter, name="letter"),
    path("conversations/<int:pk>/confirm/", views.confirm, name="confirm"),
    path("conversations/<int:pk>/dismiss/", views.dismiss, name="dismiss"),
    path("conversations/<int:pk>/vulnerability/", views.vulnerability, name="vulnerability"),
]
