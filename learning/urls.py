from django.urls import path

from learning import views

app_name = "learning"

urlpatterns = [
    path("", views.library, name="library"),
    path("articles/new/", views.article_new, name="article_new"),
    path("articles/<int:pk>/", views.article_edit, name="article_edit"),
    path("conversations/<int:pk>/use/", views.use_conversation, name="use_conversation"),
    path("escalations/<int:pk>/use/", views.use_escalation, name="use_escalation"),
    path("escalations/<int:pk>/propose/", views.propose, name="propose"),
    path("saved-replies/<int:pk>/edits/", views.saved_edits, name="saved_edits"),
    path("saved-replies/<int:pk>/adopt/", views.adopt_edit, name="adopt_edit"),
    path("digest/", views.digest_page, name="digest"),
    path("experiments/", views.experiments_list, name="experiments"),
    path("experiments/<int:pk>/", views.experiment, name="experiment"),
    path("proposals/", views.proposals_list, name="proposals"),
    path("proposals/<int:pk>/", views.proposal, name="proposal"),
]
