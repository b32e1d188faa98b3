from django.urls import path

from listening import views

app_name = "listening"

urlpatterns = [
    path("", views.listening_index, name="index"),
    path("queries/new/", views.query_create, name="query_create"),
    path("queries/preview/", views.query_preview, name="query_preview"),
    path("queries/<int:pk>/", views.query_detail, name="query"),
    path("queries/<int:pk>/edit/", views.query_edit, name="query_edit"),
    path("alerts/", views.alerts, name="alerts"),
    path("avatars/<int:pk>.img", views.author_avatar, name="avatar"),
    path("accounts/", views.account_health, name="accounts"),
    path("accounts/<int:pk>/", views.account_detail, name="account"),
    # DEBUG only (the view answers 404 otherwise): the sandbox's scenarios.
    path("sandbox/scenario/", views.sandbox_scenario, name="sandbox_scenario"),
    path("accounts/<int:pk>/test/", views.account_test_connection, name="account_test"),
    path("accounts/<int:pk>/retweets/", views.account_retweets, name="account_retweets"),
    path("accounts/<int:pk>/x-budget/", views.account_x_budget, name="account_x_budget"),
    path(
        "accounts/<int:account_pk>/quarantine/<int:pk>/reprocess/",
        views.quarantined_item_reprocess,
        name="quarantine_reprocess",
    ),
]
