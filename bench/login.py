"""The bench's people log in as people do: the login form, then the code of their authenticator.

The seed gives the people whose pages are measured (`PEOPLE`) a password and a confirmed TOTP
device, as if they had enrolled on an earlier day. `log_in` submits the login form with the
password, follows the answer to the second-factor page and submits the code the device shows
now, the same two forms a browser submits (tests/e2e/conftest.py's `log_in`). It works over
Django's test Client (bench.pages, in process) and over `requests` (bench.procs, against
gunicorn), and stops with `LoginFailed` at the first step that does not answer as it should:
a person without a second factor is sent to enrol, a refused code answers 422.
"""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

from bench.checks import BenchStopped, first_line

# The bench databases are made, used and dropped by the bench; nothing else logs in to them.
PASSWORD = "bench-login-password-not-a-secret"
PEOPLE = ("agent00", "spec01", "manager01")
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class LoginFailed(BenchStopped):
    """A step of the login did not answer as it does for a person who has both factors."""


def enrol(user) -> None:
    """A password and a confirmed authenticator, as after enrolment on an earlier day."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def current_code(username: str, *, sleep=time.sleep) -> str:
    """The code the person's authenticator shows now; a code is taken once, so after a login in
    the same 30-second step this waits for the next one, as a person is told to."""
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user__username=username, confirmed=True).order_by("pk").first()
    if device is None:
        return ""  # no authenticator: the login page sends the person to enrol, and that stops us
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    while totp.t() <= device.last_t:
        sleep(device.step - (time.time() - device.t0) % device.step + 0.05)
        totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"


class _Browser:
    """GET and POST without following redirects: (status, Location, body)."""

    def __init__(self, client, base: str = ""):
        self.client = client
        self.base = base

    def get(self, path: str) -> tuple[int, str, str]:
        return self._answer(self._call("get", path))

    def post(self, path: str, data: dict) -> tuple[int, str, str]:
        return self._answer(self._call("post", path, data))

    def _call(self, method: str, path: str, data: dict | None = None):
        if self.base:  # requests.Session against a server
            kwargs = {"data": data, "headers": {"Referer": self.base + path}} if data is not None else {}
            return getattr(self.client, method)(self.base + path, allow_redirects=False, timeout=60, **kwargs)
        return getattr(self.client, method)(path, data) if data is not None else self.client.get(path)

    @staticmethod
    def _answer(response) -> tuple[int, str, str]:
        body = response.text if hasattr(response, "text") else response.content.decode(errors="replace")
        location = response.headers.get("Location", "") if hasattr(response, "headers") else ""
        return response.status_code, urlsplit(location).path if location else "", body


def _page_error(body: str) -> str:
    """The form's error as the person reads it, or else the first line of the body."""
    error = re.search(r'class="form-error"[^>]*>([^<]+)<', body)
    return error.group(1).strip() if error else first_line(body)


def _form_token(body: str) -> str:
    match = CSRF_FIELD.search(body)
    return match.group(1) if match else ""


def log_in(client, username: str, *, base: str = "", landing: str = "/inbox/") -> None:
    """Password, then the second factor, through the forms; `base` is the server's URL for a
    `requests.Session`, empty for Django's test Client."""
    from django.urls import reverse

    login, verify, setup = (reverse(f"accounts:{name}") for name in ("login", "verify", "setup"))
    browser = _Browser(client, base)
    status, _location, body = browser.get(f"{login}?next={landing}")
    if status != 200:
        raise LoginFailed(f"{username}: GET {login} answered {status}: {first_line(body)}")
    form = {"csrfmiddlewaretoken": _form_token(body), "username": username, "password": PASSWORD}
    status, location, body = browser.post(f"{login}?next={landing}", {**form, "next": landing})
    if status == 302 and location == setup:
        raise LoginFailed(
            f"{username}: the password was taken but the login sent them to enrol ({setup}): they have "
            "no confirmed authenticator, so no page of theirs can be measured"
        )
    if status != 302 or location != verify:
        raise LoginFailed(
            f"{username}: POST {login} answered {status}{f' to {location}' if location else ''}, not "
            f"302 to {verify}: {_page_error(body)} (a bench database seeded before its people had "
            "passwords needs `make bench` again)"
        )
    status, _location, body = browser.get(f"{verify}?next={landing}")
    if status != 200:
        raise LoginFailed(f"{username}: GET {verify} answered {status}: {first_line(body)}")
    form = {"csrfmiddlewaretoken": _form_token(body), "code": current_code(username), "next": landing}
    status, location, body = browser.post(f"{verify}?next={landing}", form)
    if status != 302 or location != landing:
        raise LoginFailed(
            f"{username}: the second factor was refused: POST {verify} answered {status}"
            f"{f' to {location}' if location else ''}, not 302 to {landing}: {_page_error(body)}"
        )
