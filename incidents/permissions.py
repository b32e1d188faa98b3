"""Access helpers: return the object or raise (PermissionDenied, Http404)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from incidents import publishing, services
from incidents.models import Incident, Post


def require_reader(user) -> None:
    if not services.can_read(user):
        raise PermissionDenied("Your role does not include incidents.")


def incident_for_user(user, pk: int) -> Incident:
    require_reader(user)
    return get_object_or_404(
        Incident.objects.select_related("tag", "spike", "opened_by", "resolved_by"), pk=pk
    )


def post_for_user(user, pk: int) -> Post:
    if not publishing.can_read_posts(user):
        raise PermissionDenied("Your role does not include the bank's posts.")
    return get_object_or_404(Post.objects.select_related("author", "decided_by", "incident"), pk=pk)
