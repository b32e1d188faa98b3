"""Two-factor login: TOTP (an authenticator app) plus single-use recovery codes.

Every BankBuzz user is bank staff, so every user needs a second factor: after the password,
`SecondFactorMiddleware` lets a session do nothing but enter a code (or enrol, the first time)
until `django_otp.login` has recorded the device in the session.

- Enrolment: an unconfirmed `TOTPDevice` is made, its QR code is shown (a PNG served by its own
  URL, so the Content-Security-Policy stays as strict as it is), the first code confirms it, and
  ten recovery codes (a `StaticDevice`) are shown once.
- A recovery code logs in once when the phone is lost; each use is audited.
- An administrator resets a person's second factor (the Django admin's user list, action
  "Reset two-factor login"): their devices are deleted and they enrol again at their next login.

Every change here is recorded in the audit log. Secrets and codes never are.
"""

from __future__ import annotations

import base64
import io

import segno
from django.db import transaction
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from bankbuzz.accounts.models import User
from bankbuzz.audit.services import audit_record

RECOVERY_CODE_COUNT = 10
APP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"


def has_second_factor(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def totp_device_pending(user: User) -> TOTPDevice:
    """The device being enrolled (unconfirmed), made on first use; one at a time."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)
    return device


def totp_secret_b32(device: TOTPDevice) -> str:
    """The key as people type it into an app: base32, in groups of four."""
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def totp_qr_png(device: TOTPDevice) -> bytes:
    """The otpauth:// URL as a PNG (segno: pure Python, no Pillow)."""
    buffer = io.BytesIO()
    segno.make(device.config_url, error="m").save(buffer, kind="png", scale=6, border=2)
    return buffer.getvalue()


def _recovery_codes_replace(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


@transaction.atomic
def totp_enrol_confirm(*, request, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm the pending device with its first code, log the session in with it, make recovery codes.

    Returns the recovery codes (shown once), or None when the code is wrong.
    """
    user = request.user
    if device.user_id != user.pk or device.confirmed or not device.verify_token(_digits(token)):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    codes = _recovery_codes_replace(user)
    otp_login(request, device)
    request.session.cycle_key()
    audit_record(actor=user, verb="user.second_factor_enrol", obj=user, after={"device": device.name})
    audit_record(actor=user, verb="user.login", obj=user, after={"second_factor": device.name})
    return codes


def second_factor_verify(*, request, token: str) -> bool:
    """The code typed after the password: an authenticator code or a recovery code."""
    user = request.user
    token = token.strip().replace(" ", "").replace("-", "").lower()
    if not token:
        return False
    device = match_token(user, token)
    if device is None or not device.confirmed:
        return False
    otp_login(request, device)
    # The session gains a privilege: give it a new key, as login() does for the password.
    request.session.cycle_key()
    audit_record(actor=user, verb="user.login", obj=user, after={"second_factor": device.name})
    if isinstance(device, StaticDevice):
        remaining = StaticToken.objects.filter(device=device).count()
        audit_record(
            actor=user, verb="user.recovery_code_use", obj=user, after={"recovery_codes_left": remaining}
        )
    return True


def _digits(token: str) -> str:
    return token.strip().replace(" ", "")


@transaction.atomic
def recovery_codes_regenerate(*, actor: User) -> list[str]:
    codes = _recovery_codes_replace(actor)
    audit_record(actor=actor, verb="user.recovery_codes_regenerate", obj=actor)
    return codes


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


@transaction.atomic
def second_factor_reset(*, actor: User | None, user: User) -> None:
    """An administrator's reset: the person enrols again at their next login."""
    had = list(TOTPDevice.objects.filter(user=user, confirmed=True).values_list("name", flat=True))
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    audit_record(actor=actor, verb="user.second_factor_reset", obj=user, before={"devices": had})
