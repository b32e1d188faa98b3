from django.urls import path

from inbox import views

app_name = "inbox"

urlpatterns = [
    path("", views.conversation_list, name="list"),
    path("poll/", views.list_poll, name="poll"),
    path("bulk/", views.bulk_apply, name="bulk"),
    path("tags/", views.tag_list, name="tags"),
    path("tags/<int:tag_pk>/rename/", views.tag_rename, name="tag_rename"),
    path("tags/<int:tag_pk>/delete/", views.tag_delete, name="tag_delete"),
    path("c/<int:pk>/", views.conversation_detail, name="detail"),
    path("c/<int:pk>/live/", views.conversation_live, name="live"),
    path("c/<int:pk>/side/", views.conversation_side, name="side"),
    path("c/<int:pk>/claim/", views.conversation_claim, name="claim"),
    path("c/<int:pk>/assign/", views.conversation_assign, name="assign"),
    path("c/<int:pk>/status/", views.conversation_status, name="status"),
    path("c/<int:pk>/priority/", views.conversation_priority, name="priority"),
    path("c/<int:pk>/tags/", views.conversation_tag_add, name="tag_add"),
    path("c/<int:pk>/tags/<int:tag_pk>/remove/", views.conversation_tag_remove, name="tag_remove"),
    path("c/<int:pk>/notes/", views.note_add, name="note_add"),
    path("c/<int:pk>/customer-links/", views.customer_link, name="customer_link"),
    path("c/<int:pk>/messages/<int:mention_pk>/unmask/", views.message_unmask, name="unmask"),
    path("c/<int:pk>/messages/<int:mention_pk>/hide/", views.comment_hide, name="hide"),
    path("c/<int:pk>/messages/<int:mention_pk>/unhide/", views.comment_unhide, name="unhide"),
    path("c/<int:pk>/messages/<int:mention_pk>/delete/", views.reply_delete, name="delete_reply"),
    path("c/<int:pk>/messages/<int:mention_pk>/label/", views.message_label, name="label"),
    path("c/<int:pk>/reply/", views.reply_submit, name="reply"),
    path("replies/<int:reply_pk>/retry/", views.reply_retry, name="reply_retry"),
    path("replies/<int:reply_pk>/withdraw/", views.reply_withdraw, name="reply_withdraw"),
    path("approvals/", views.approvals, name="approvals"),
    path("approvals/<int:reply_pk>/approve/", views.reply_approve, name="reply_approve"),
    path("approvals/<int:reply_pk>/reject/", views.reply_reject, name="reply_reject"),
    path("saved-replies/", views.saved_reply_list, name="saved_replies"),
    path("saved-replies/new/", views.saved_reply_new, name="saved_reply_new"),
    path("saved-replies/<int:saved_pk>/", views.saved_reply_edit, name="saved_reply_edit"),
    path("saved-replies/<int:saved_pk>/delete/", views.saved_reply_delete, name="saved_reply_delete"),
]
