"""The API's own endpoints (who am I, the audit export), its schema and docs page, and the token
section of the profile page."""

from __future__ import annotations

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView
from rest_framework import serializers
from rest_framework.response import Response

from bankbuzz.accounts import roles
from bankbuzz.api import tokens
from bankbuzz.api.common import ApiViewSet, _NoLoginRedirect
from bankbuzz.api.forms import TokenForm
from bankbuzz.api.models import ApiToken

# --- Who am I -----------------------------------------------------------------------------------


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    token_scope = serializers.CharField(allow_null=True, help_text="read, write, or null for a session.")
    token_expires_at = serializers.DateTimeField(allow_null=True)


class MeViewSet(ApiViewSet):
    serializer_class = MeSerializer

    @extend_schema(responses=MeSerializer)
    def list(self, request):
        """Who the token (or session) belongs to: your id is the `assignee` for assigning to yourself."""
        token = request.auth if isinstance(request.auth, ApiToken) else None
        user = request.user
        data = {
            "id": user.pk,
            "username": user.get_username(),
            "name": user.display_name,
            "roles": sorted(roles.roles_of(user)),
            "token_scope": token.scope if token else None,
            "token_expires_at": token.expires_at if token else None,
        }
        return Response(MeSerializer(data).data)


@csrf_exempt  # it changes nothing; a POST to a wrong path gets the same JSON 404
def not_found(request, *args, **kwargs):
    return JsonResponse({"detail": "No such API path."}, status=404)


not_found.login_required = False


# --- Schema and docs ----------------------------------------------------------------------------------


class SchemaView(_NoLoginRedirect, SpectacularAPIView):
    """The OpenAPI 3 schema, for people and systems already allowed in (token or verified session)."""


@never_cache
@require_GET
def docs(request):
    """Swagger UI from static/vendor (no CDN), started by static/api/docs.js (no inline script)."""
    return render(request, "api/docs.html")


# --- Tokens on the profile page ---------------------------------------------------------------


@never_cache
@require_POST
def token_create(request):
    form = TokenForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Not made: " + " ".join(e for errs in form.errors.values() for e in errs))
        return redirect("accounts:profile")
    try:
        token, raw = tokens.api_token_create(actor=request.user, **form.cleaned_data)
    except tokens.TokenError as exc:
        messages.error(request, str(exc))
        return redirect("accounts:profile")
    # Shown in this answer only: never stored, never put in the session or a message.
    return render(request, "api/token_created.html", {"token": token, "raw": raw})


@require_POST
def token_revoke(request, pk: int):
    token = tokens.token_of(request.user, pk)
    tokens.api_token_revoke(actor=request.user, token=token)
    messages.success(request, f"Revoked \u201c{token.name}\u201d: it no longer works.")
    return redirect("accounts:profile")
