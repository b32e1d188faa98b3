from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from bankbuzz.accounts import notifications as notes
from bankbuzz.accounts import twofactor
from bankbuzz.accounts.middleware import session_start
from bankbuzz.audit.services import audit_record

RECOVERY_CODES_SESSION_KEY = "bankbuzz_recovery_codes"


def _next_url(request, default: str = "home") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(default)


@method_decorator(login_not_required, name="dispatch")
class LoginView(auth_views.LoginView):
    """The password: `login()` gives the session a new key; the second factor comes next."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        session_start(self.request)
        return response

    def get_success_url(self):
        target = "accounts:verify" if twofactor.has_second_factor(self.request.user) else "accounts:setup"
        next_url = self.get_redirect_url()
        url = reverse(target)
        return f"{url}?{urlencode({self.redirect_field_name: next_url})}" if next_url else url


class LogoutView(auth_views.LogoutView):
    """POST only (Django's LogoutView): the session is flushed on the server, not just forgotten."""

    def post(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            audit_record(actor=request.user, verb="user.logout", obj=request.user)
        return super().post(request, *args, **kwargs)


@never_cache
@require_http_methods(["GET", "POST"])
def verify(request):
    """The second factor: a code from the authenticator app, or a recovery code."""
    if request.user.is_verified():
        return redirect(_next_url(request))
    if not twofactor.has_second_factor(request.user):
        return redirect("accounts:setup")
    error = ""
    if request.method == "POST":
        if twofactor.second_factor_verify(request=request, token=request.POST.get("code", "")):
            return redirect(_next_url(request))
        error = "That code is not right, or it was used already. Wait for the next code and try again."
    return render(
        request,
        "accounts/verify.html",
        {"error": error, "next": request.POST.get("next") or request.GET.get("next", "")},
        status=200 if not error else 422,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def setup(request):
    """Enrolment: scan the QR code (or type the key), confirm with the first code."""
    if twofactor.has_second_factor(request.user):
        # Replacing a device is an administrator's reset, so a stolen password cannot re-enrol.
        return redirect("accounts:verify" if not request.user.is_verified() else "accounts:profile")
    device = twofactor.totp_device_pending(request.user)
    error = ""
    if request.method == "POST":
        codes = twofactor.totp_enrol_confirm(
            request=request, device=device, token=request.POST.get("code", "")
        )
        if codes is not None:
            request.session[RECOVERY_CODES_SESSION_KEY] = codes
            return redirect(f"{reverse('accounts:recovery_codes')}?{urlencode({'next': _next_url(request)})}")
        error = "That code is not right. Check the app shows BankBuzz and type the code it shows now."
    return render(
        request,
        "accounts/setup.html",
        {
            "secret": twofactor.totp_secret_b32(device),
            "error": error,
            "next": request.POST.get("next") or request.GET.get("next", ""),
        },
        status=200 if not error else 422,
    )


@never_cache
@require_GET
def setup_qr(request):
    """The pending device's QR code as a PNG of its own (img-src 'self': no data: URL, no inline SVG)."""
    if twofactor.has_second_factor(request.user):
        return HttpResponse(status=404)
    device = twofactor.totp_device_pending(request.user)
    response = HttpResponse(twofactor.totp_qr_png(device), content_type="image/png")
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def recovery_codes(request):
    """Shown once, right after they are made; POST makes a new set (the old one stops working)."""
    if request.method == "POST":
        codes = twofactor.recovery_codes_regenerate(actor=request.user)
        messages.success(request, "New recovery codes: the old ones no longer work.")
    else:
        codes = request.session.pop(RECOVERY_CODES_SESSION_KEY, None)
        if not codes:
            return redirect("accounts:profile")
    return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": _next_url(request)})


def profile(request):
    return render(
        request,
        "accounts/profile.html",
        {"recovery_codes_left": twofactor.recovery_codes_left(request.user)},
    )


# Notifications belong to their recipient: every query below is scoped to request.user,
# so there is nothing else to check.


@require_GET
def notification_badge(request):
    """The unread count in the top bar, polled by htmx."""
    return render(request, "accounts/_notification_badge.html", {"unread": notes.unread_count(request.user)})


@require_GET
def notification_list(request):
    context = {"notifications": notes.notifications_for(request.user)}
    if request.htmx:
        return render(request, "accounts/_notification_list.html", context)
    return render(request, "accounts/notifications.html", context)


@require_POST
def notification_open(request, pk: int):
    notification = notes.notification_mark_read(user=request.user, notification_id=pk)
    target = notification.url if notification else "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    return redirect(target)


@require_POST
def notification_read_all(request):
    notes.notifications_mark_all_read(user=request.user)
    if request.htmx:
        return notification_badge(request)
    return redirect("accounts:notifications")
