"""The demo logins' second factor: every demo login shares one authenticator key (DEBUG only).

`make run` prints the key; `make totp` (`python -m devtools.demo.totp`) prints its current code.
"""

from __future__ import annotations

import base64

from django.conf import settings
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from bankbuzz.audit.services import audit_record
from devtools.demo.totp import DEMO_TOTP_KEY

DEMO_TOTP_KEY_B32 = base64.b32encode(DEMO_TOTP_KEY).decode()


@transaction.atomic
def demo_second_factor_enrol(users) -> str:
    """demo_seed (DEBUG only): give each demo login the shared demo key; says how to get a code."""
    if not settings.DEBUG:
        raise RuntimeError("demo second factors are for DEBUG only")
    for user in users:
        if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            TOTPDevice.objects.create(
                user=user, name="Demo authenticator", key=DEMO_TOTP_KEY.hex(), confirmed=True
            )
            audit_record(actor=None, verb="user.second_factor_enrol", obj=user, after={"device": "demo"})
    return (
        f"Two-factor login: add the key {DEMO_TOTP_KEY_B32} to an authenticator app "
        "(every demo login shares it),\n"
        "  or print the current code with: make totp"
    )
