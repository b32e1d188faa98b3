from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from bankbuzz.accounts import roles
from bankbuzz.health import health_report, health_response, health_warnings, live_response, ready_response


@require_GET
def home(request):
    """Each role's start page: where its day's work is."""
    if roles.has_role(request.user, roles.MANAGER) and not roles.can_work_inbox(request.user):
        return redirect("dashboards:index")
    if roles.can_read_inbox(request.user):
        return redirect("inbox:list")
    if roles.has_role(request.user, roles.SPECIALIST):
        return redirect("escalations:queue")
    return redirect("accounts:profile")


@login_not_required
@never_cache
@require_GET
def healthz(request):
    return health_response("full", health_report(), warnings=health_warnings())


# Normally answered by bankbuzz.health.HealthProbeMiddleware; here too so the URLs resolve.
@login_not_required
@never_cache
@require_GET
def healthz_live(request):
    return live_response()


@login_not_required
@never_cache
@require_GET
def healthz_ready(request):
    return ready_response()
