"""Logging a test client in with both factors, as a person who enrolled and typed a code."""

from __future__ import annotations

import time

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from bankbuzz.accounts.middleware import ACTIVE_AT, LOGIN_AT


def totp_device(user) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def verified_session_for(client, user):
    """`force_login` plus the second factor: the session remembers the device, as `otp_login` does."""
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = totp_device(user).persistent_id
    session[LOGIN_AT] = session[ACTIVE_AT] = time.time()  # as LoginView does
    session.save()
    return client


class VerifiedClient(Client):
    """The test client, where `force_login` means logged in with both factors (as in the browser)."""

    def force_login(self, user, backend=None):
        super().force_login(user, backend)
        session = self.session
        session[DEVICE_ID_SESSION_KEY] = totp_device(user).persistent_id
        session[LOGIN_AT] = session[ACTIVE_AT] = time.time()  # as LoginView does
        session.save()


def current_code(user) -> str:
    """The code the person's authenticator app shows now; a device takes each code once."""
    device = totp_device(user)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if device.last_t >= totp.t():
        # This test logged the same person in twice within one 30-second step.
        TOTPDevice.objects.filter(pk=device.pk).update(last_t=totp.t() - 1)
    return f"{totp.token():0{device.digits}d}"
