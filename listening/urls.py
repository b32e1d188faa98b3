from django.urls import path

from listening import views

app_name = "listening"

urlpatterns = [
    path("accounts/", views.account_health, name="accounts"),
    path("accounts/<int:pk>/", views.account_detail, name="account"),
    path("accounts/<int:pk>/test/", views.account_test_connection, name="account_test"),
    path(
        "accounts/<int:account_pk>/quarantine/<int:pk>/reprocess/",
        views.quarantined_item_reprocess,
        name="quarantine_reprocess",
    ),
]
