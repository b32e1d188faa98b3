"""The inbox's API viewsets: conversations and the actions on them, replies, saved replies, tags."""

from __future__ import annotations

from django.db import transaction
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from bankbuzz.api.common import (
    CURSOR_PARAMETERS,
    ApiViewSet,
    Conflict,
    Refused,
    limit_param,
    page_of,
    page_response,
    path_id,
)
from inbox import permissions, reply_services, selectors, services
from inbox.api.filters import filter_parameters, list_query
from inbox.api.serializers import (
    AssignSerializer,
    ConversationDetailSerializer,
    ConversationSerializer,
    NoteAddSerializer,
    NoteSerializer,
    PrioritySerializer,
    ReplySerializer,
    ReplySubmitSerializer,
    SavedReplySerializer,
    StatusSerializer,
    TagAddSerializer,
    TagRemoveSerializer,
    TagSerializer,
    VersionSerializer,
)
from inbox.models import Conversation, SavedReply, Tag


def _run(view: ApiViewSet, call):
    """Call a service, once the write's precondition is there (version or Idempotency-Key, else
    428); its refusals become 409 (stale) or 400 (refused) with its message."""
    view.check_precondition()
    try:
        with transaction.atomic():
            return call()
    except services.StaleAction as exc:
        raise Conflict(str(exc)) from None
    except services.InboxError as exc:
        raise Refused(str(exc)) from None


def _fresh(pk: int, user) -> Conversation:
    conversation = permissions.conversation_for_user(user, pk)
    return selectors.conversation_rows(user=user, ids=[conversation.pk])[0]


class ConversationViewSet(ApiViewSet):
    """Conversations of the shared inbox: the list with the inbox's filters, one with its thread, the
    actions on it."""

    serializer_class = ConversationSerializer
    version_actions = frozenset({"claim", "assign", "status", "priority", "reply"})

    @extend_schema(
        parameters=[*filter_parameters(), *CURSOR_PARAMETERS],
        responses=page_of(ConversationSerializer),
    )
    def list(self, request):
        permissions.inbox_access(request.user)
        query = list_query(request)
        if query is None:
            return Response(page_response(request, [], None))
        try:
            page = selectors.conversation_list(
                user=request.user,
                query=query,
                cursor=request.query_params.get("cursor") or None,
                page_size=limit_param(request),
            )
        except selectors.BadCursor as exc:
            raise ValidationError({"cursor": [str(exc)]}) from None
        rows = ConversationSerializer(page.conversations, many=True).data
        return Response(page_response(request, rows, page.next_cursor))

    @extend_schema(responses=ConversationDetailSerializer)
    def retrieve(self, request, pk=None):
        conversation = permissions.conversation_for_user(request.user, path_id(pk))
        conversation = _fresh(conversation.pk, request.user)
        return Response(ConversationDetailSerializer(conversation).data)

    def _act(self, request, pk, serializer_class, call):
        conversation = permissions.conversation_for_user(request.user, path_id(pk), write=True)
        data = {}
        if serializer_class is not None:
            serializer = serializer_class(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
        _run(self, lambda: call(conversation, data))
        return Response(ConversationSerializer(_fresh(conversation.pk, request.user)).data)

    @extend_schema(request=VersionSerializer, responses=ConversationSerializer)
    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None):
        """Assign it to yourself."""
        return self._act(
            request,
            pk,
            VersionSerializer,
            lambda c, d: services.conversation_claim(
                actor=request.user, conversation=c, seen_version=d.get("version")
            ),
        )

    @extend_schema(request=AssignSerializer, responses=ConversationSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        """Assign it to an agent or lead, or unassign it (`assignee: null`)."""

        def call(conversation, data):
            assignee = None
            if data["assignee"] is not None:
                assignee = selectors.inbox_workers().filter(pk=data["assignee"]).first()
                if assignee is None:
                    raise services.InboxError("Nobody who works the inbox has that id.")
            return services.conversation_assign(
                actor=request.user,
                conversation=conversation,
                assignee=assignee,
                seen_version=data.get("version"),
            )

        return self._act(request, pk, AssignSerializer, call)

    @extend_schema(request=StatusSerializer, responses=ConversationSerializer)
    @action(detail=True, methods=["post"])
    def status(self, request, pk=None):
        """Set the status (resolve, spam, waiting on the customer, ...)."""
        return self._act(
            request,
            pk,
            StatusSerializer,
            lambda c, d: services.conversation_set_status(
                actor=request.user, conversation=c, status=d["status"], seen_version=d.get("version")
            ),
        )

    @extend_schema(request=PrioritySerializer, responses=ConversationSerializer)
    @action(detail=True, methods=["post"])
    def priority(self, request, pk=None):
        return self._act(
            request,
            pk,
            PrioritySerializer,
            lambda c, d: services.conversation_set_priority(
                actor=request.user, conversation=c, priority=d["priority"], seen_version=d.get("version")
            ),
        )

    @extend_schema(request=TagAddSerializer, responses=ConversationSerializer)
    @action(detail=True, methods=["post"], url_path="tags")
    def tag_add(self, request, pk=None):
        """Tag it (a new name creates the tag)."""
        return self._act(
            request,
            pk,
            TagAddSerializer,
            lambda c, d: services.conversation_tag_add(actor=request.user, conversation=c, name=d["name"]),
        )

    @extend_schema(request=TagRemoveSerializer, responses=ConversationSerializer)
    @action(detail=True, methods=["post"])
    def untag(self, request, pk=None):
        """Remove a tag from it."""

        def call(conversation, data):
            tag = Tag.objects.filter(pk=data["tag"]).first()
            if tag is None:
                raise services.InboxError("No tag has that id.")
            return services.conversation_tag_remove(actor=request.user, conversation=conversation, tag=tag)

        return self._act(request, pk, TagRemoveSerializer, call)

    @extend_schema(request=ReplySubmitSerializer, responses={201: ReplySerializer, 200: ReplySerializer})
    @action(detail=True, methods=["post"])
    def reply(self, request, pk=None):
        """Answer the customer (public reply or private message): checked by the personal-data guard
        and the approval rules, then sent by the outbox; `state` says where it is. The same text to
        the same conversation again within `REPLY_DUPLICATE_WINDOW` is that reply (200), not a second."""
        conversation = permissions.conversation_for_user(request.user, path_id(pk), write=True)
        serializer = ReplySubmitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        saved = None
        if data.get("saved_reply"):
            saved = SavedReply.objects.filter(pk=data["saved_reply"], is_active=True).first()
            if saved is None:
                raise ValidationError({"saved_reply": ["No active saved reply has that id."]})
        reply = _run(
            self,
            lambda: reply_services.reply_submit(
                actor=request.user,
                conversation=conversation,
                channel=data["channel"],
                text=data["text"],
                seen_version=data.get("version"),
                saved_reply=saved,
                override_reason=data.get("override_reason", ""),
            ),
        )
        code = status.HTTP_200_OK if reply.resubmitted else status.HTTP_201_CREATED
        return Response(ReplySerializer(reply).data, status=code)

    @extend_schema(request=NoteAddSerializer, responses={201: NoteSerializer})
    @action(detail=True, methods=["post"])
    def notes(self, request, pk=None):
        """An internal note (never leaves BankBuzz)."""
        conversation = permissions.conversation_for_user(request.user, path_id(pk), write=True)
        serializer = NoteAddSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        note = _run(
            self,
            lambda: services.note_add(
                actor=request.user, conversation=conversation, text=serializer.validated_data["text"]
            ),
        )
        return Response(NoteSerializer(note).data, status=status.HTTP_201_CREATED)


class ReplyViewSet(ApiViewSet):
    """Our replies through the outbox (draft, waiting for approval, queued, sent, failed)."""

    serializer_class = ReplySerializer

    @extend_schema(responses=ReplySerializer)
    def retrieve(self, request, pk=None):
        permissions.inbox_access(request.user)
        return Response(ReplySerializer(permissions.reply_for_user(request.user, path_id(pk))).data)

    @extend_schema(request=None, responses=ReplySerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        """Withdraw a reply before it leaves (waiting for approval, queued or failed): it is never
        sent, even by a task already on its way. Its author or a lead; 400 once it is sending."""
        permissions.inbox_access(request.user, write=True)
        reply = permissions.reply_for_user(request.user, path_id(pk))
        reply = _run(self, lambda: reply_services.reply_withdraw(actor=request.user, reply=reply))
        return Response(ReplySerializer(reply).data)


class SavedReplyViewSet(ApiViewSet):
    """The saved replies agents answer with (the composer's list); leads manage them on the page."""

    serializer_class = SavedReplySerializer
    MAX = 500

    @extend_schema(responses=SavedReplySerializer(many=True))
    def list(self, request):
        permissions.inbox_access(request.user, write=True)
        rows = SavedReply.objects.filter(is_active=True).order_by("title", "id")[: self.MAX]
        return Response(SavedReplySerializer(rows, many=True).data)


class TagViewSet(ApiViewSet):
    """Tags: everyone who reads the inbox lists them; agents create them; leads rename and delete."""

    serializer_class = TagSerializer
    MAX_TAGS = 1000

    @extend_schema(responses=TagSerializer(many=True))
    def list(self, request):
        permissions.inbox_access(request.user)
        return Response(
            TagSerializer(Tag.objects.order_by(*Tag.ALPHABETICAL)[: self.MAX_TAGS], many=True).data
        )

    @extend_schema(responses=TagSerializer)
    def retrieve(self, request, pk=None):
        permissions.inbox_access(request.user)
        tag = Tag.objects.filter(pk=path_id(pk)).first()
        if tag is None:
            raise Http404("No such tag")
        return Response(TagSerializer(tag).data)

    @extend_schema(request=TagAddSerializer, responses={201: TagSerializer})
    def create(self, request):
        permissions.inbox_access(request.user, write=True)
        serializer = TagAddSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        tag = _run(
            self,
            lambda: services.tag_get_or_create(actor=request.user, name=serializer.validated_data["name"]),
        )
        return Response(TagSerializer(tag).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TagAddSerializer, responses=TagSerializer)
    def partial_update(self, request, pk=None):
        tag = permissions.tag_for_manager(request.user, path_id(pk))
        serializer = TagAddSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        tag = _run(
            self,
            lambda: services.tag_rename(actor=request.user, tag=tag, name=serializer.validated_data["name"]),
        )
        return Response(TagSerializer(tag).data)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request, pk=None):
        tag = permissions.tag_for_manager(request.user, path_id(pk))
        _run(self, lambda: services.tag_delete(actor=request.user, tag=tag))
        return Response(status=status.HTTP_204_NO_CONTENT)


ROUTES = [
    ("conversations", ConversationViewSet, "conversation"),
    ("tags", TagViewSet, "tag"),
    ("replies", ReplyViewSet, "reply"),
    ("saved-replies", SavedReplyViewSet, "saved-reply"),
]
