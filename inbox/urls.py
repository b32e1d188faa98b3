from django.urls import path

from inbox import views

app_name = "inbox"

urlpatterns = [
    path("", views.conversation_list, name="list"),
    path("c/<int:pk>/", views.conversation_detail, name="detail"),
]
