"""Session security: the second factor, idle and absolute timeouts, htmx-aware login redirects.

Order in settings.MIDDLEWARE: after AuthenticationMiddleware, LoginRequiredMiddleware,
MessageMiddleware and django-otp's OTPMiddleware.
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from bankbuzz.accounts.twofactor import has_second_factor

LOGIN_AT = "bankbuzz_login_at"
ACTIVE_AT = "bankbuzz_active_at"
# The session is written at most this often to record activity (seconds).
ACTIVITY_WRITE_EVERY = 60

# Pages an authenticated session may open before its second factor: entering a code, enrolling.
BEFORE_SECOND_FACTOR = frozenset(
    {
        "accounts:login",
        "accounts:logout",
        "accounts:verify",
        "accounts:setup",
        "accounts:setup_qr",
        "admin:logout",
        "healthz",
        "healthz_live",
        "healthz_ready",
    }
)


def _url_name(request) -> str:
    match = request.resolver_match
    return match.view_name if match else ""


def _to(request, url: str) -> HttpResponse:
    """A redirect that htmx follows with the whole page instead of swapping a login form into a badge."""
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _with_next(name: str, request) -> str:
    url = reverse(name)
    if request.method == "GET" and not request.htmx:
        url += "?" + urlencode({"next": request.get_full_path()})
    return url


def is_background(request) -> bool:
    """Requests a page makes on its own (htmx polls) do not keep a session alive.

    The inbox's list poll and the open conversation's heartbeat fire every few seconds, the
    notification badge every 20: if they counted, a screen left open would never time out.
    The heartbeat carries what the person is typing; while they type, it is activity.
    """
    name = _url_name(request)
    if name not in settings.SESSION_BACKGROUND_VIEWS:
        return False
    return not (name == "inbox:live" and request.POST.get("typing"))


class SessionTimeoutMiddleware:
    """Ends a session after SESSION_IDLE_TIMEOUT without activity or SESSION_ABSOLUTE_TIMEOUT after login."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # A login redirect answering an htmx request (a poll after the session ended elsewhere)
        # becomes a full-page redirect.
        if request.htmx and response.status_code == 302:
            location = response.get("Location", "")
            if location.startswith(reverse(settings.LOGIN_URL)):
                return _to(request, location)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        session = request.session
        now = time.time()
        login_at = session.get(LOGIN_AT)
        active_at = session.get(ACTIVE_AT)
        if login_at is None:  # a session from before timeouts existed, or force_login in a test
            session[LOGIN_AT] = session[ACTIVE_AT] = now
            return None
        expired = None
        if now - login_at > settings.SESSION_ABSOLUTE_TIMEOUT:
            hours = round(settings.SESSION_ABSOLUTE_TIMEOUT / 3600, 1)
            expired = f"You were logged out: a session lasts {hours:g} hours at most. Log in again."
        elif active_at is not None and now - active_at > settings.SESSION_IDLE_TIMEOUT:
            minutes = settings.SESSION_IDLE_TIMEOUT // 60
            expired = f"You were logged out after {minutes} minutes without activity. Log in again."
        if expired:
            logout(request)  # flushes the session on the server
            messages.info(request, expired)
            return _to(request, _with_next(settings.LOGIN_URL, request))
        if not is_background(request) and (active_at is None or now - active_at > ACTIVITY_WRITE_EVERY):
            session[ACTIVE_AT] = now
        return None


def session_start(request) -> None:
    """Called on login (the user_logged_in signal): the clocks of the new session start now."""
    now = time.time()
    request.session[LOGIN_AT] = now
    request.session[ACTIVE_AT] = now


class SecondFactorMiddleware:
    """After the password, a session may only enter its second factor (or enrol one) until it has."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or user.is_verified():
            return None
        if _url_name(request) in BEFORE_SECOND_FACTOR:
            return None
        target = "accounts:verify" if has_second_factor(user) else "accounts:setup"
        return _to(request, _with_next(target, request))
