from django.urls import path

from incidents import views

app_name = "incidents"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.new, name="new"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/status-post/", views.status_post, name="status_post"),
    path("<int:pk>/replies/", views.replies, name="replies"),
    path("<int:pk>/members/add/", views.member_add, name="member_add"),
    path("<int:pk>/members/<int:conversation_id>/remove/", views.member_remove, name="member_remove"),
    path("<int:pk>/resolve/", views.resolve, name="resolve"),
    path("posts/", views.posts, name="posts"),
    path("posts/new/", views.post_new, name="post_new"),
    path("posts/<int:pk>/", views.post_detail, name="post"),
    path("posts/<int:pk>/edit/", views.post_edit, name="post_edit"),
    path("posts/<int:pk>/approve/", views.post_decide, {"decision": "approve"}, name="post_approve"),
    path("posts/<int:pk>/reject/", views.post_decide, {"decision": "reject"}, name="post_reject"),
    path("posts/<int:pk>/withdraw/", views.post_decide, {"decision": "withdraw"}, name="post_withdraw"),
    path("posts/<int:pk>/copies/<int:delivery_id>/retry/", views.delivery_retry, name="delivery_retry"),
]
