from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from bankbuzz.accounts import roles
from bankbuzz.health import health_report, health_warnings


@require_GET
def home(request):
    if roles.can_read_inbox(request.user):
        return redirect("inbox:list")
    if roles.has_role(request.user, roles.SPECIALIST):
        return redirect("escalations:queue")
    return redirect("accounts:profile")


@login_not_required
@never_cache
@require_GET
def healthz(request):
    report = health_report()
    healthy = all(value == "ok" for value in report.values())
    # Warnings need a person, not a restart: they never make the answer a 503.
    return JsonResponse({**report, "warnings": health_warnings()}, status=200 if healthy else 503)
