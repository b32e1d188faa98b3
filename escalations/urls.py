from django.urls import path

from escalations import views

app_name = "escalations"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/claim/", views.claim, name="claim"),
    path("<int:pk>/answer/", views.answer, name="answer"),
    path("<int:pk>/ask/", views.ask, name="ask"),
    path("<int:pk>/info/", views.give_info, name="give_info"),
    path("<int:pk>/transfer/", views.transfer, name="transfer"),
    path("<int:pk>/close/", views.close, name="close"),
    path("new/<int:conversation_pk>/", views.escalate, name="escalate"),
    path("conversations/<int:pk>/", views.conversation, name="conversation"),
    path("departments/", views.departments, name="departments"),
    path("departments/new/", views.department_edit, name="department_new"),
    path("departments/<int:pk>/", views.department_edit, name="department_edit"),
    path("departments/<int:pk>/sla/", views.department_sla, name="department_sla"),
    path("departments/<int:pk>/holidays/", views.holiday_add, name="holiday_add"),
    path(
        "departments/<int:pk>/holidays/<int:holiday_pk>/delete/", views.holiday_remove, name="holiday_remove"
    ),
    path("rules/", views.rules, name="rules"),
    path("rules/new/", views.rule_edit, name="rule_new"),
    path("rules/<int:pk>/", views.rule_edit, name="rule_edit"),
    path("rules/<int:pk>/delete/", views.rule_delete, name="rule_delete"),
]
