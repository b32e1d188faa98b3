"""Two-factor login: enrolment with a QR code, verification, recovery codes, the admin's reset."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from bankbuzz.accounts import twofactor
from bankbuzz.audit.models import AuditEvent
from devtools.demo import accounts as demo_accounts
from devtools.demo import totp as demo_totp
from tests.conftest import PASSWORD
from tests.security.auth import current_code, totp_device


def _password(client, username="amira"):
    return client.post(reverse("accounts:login"), {"username": username, "password": PASSWORD})


def _code_for(device: TOTPDevice) -> str:
    return f"{TOTP(device.bin_key).token():06d}"


def test_the_password_alone_opens_nothing(agent):
    totp_device(agent)
    client = Client()
    response = _password(client)
    assert response["Location"].startswith(reverse("accounts:verify"))
    for url in ("/inbox/", "/accounts/me/", "/accounts/notifications/", "/admin/", "/escalations/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("accounts:verify")), url


def test_a_background_poll_before_the_second_factor_gets_a_full_page_redirect(agent):
    totp_device(agent)
    client = Client()
    _password(client)
    response = client.get(reverse("accounts:notification_badge"), headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith(reverse("accounts:verify"))


def test_first_login_enrols_with_a_qr_code_then_shows_recovery_codes_once(agent):
    client = Client()
    response = _password(client)
    assert response["Location"].startswith(reverse("accounts:setup"))
    page = client.get(reverse("accounts:setup"))
    html = page.content.decode()
    assert 'src="/accounts/two-factor/setup/qr.png"' in html
    assert "style=" not in html and "<script>" not in html  # nothing for the CSP to refuse
    qr = client.get(reverse("accounts:setup_qr"))
    assert qr["Content-Type"] == "image/png"
    assert qr.content.startswith(b"\x89PNG")
    assert "no-store" in qr["Cache-Control"]

    device = TOTPDevice.objects.get(user=agent, confirmed=False)
    shown_secret = re.search(r"data-totp-secret>([A-Z2-7 ]+)<", html).group(1)
    assert twofactor.totp_secret_b32(device) == shown_secret
    assert client.post(reverse("accounts:setup"), {"code": "000000"}).status_code == 422
    device.refresh_from_db()
    device.throttle_reset()  # a wrong code makes the next try wait a second (django-otp throttling)
    response = client.post(reverse("accounts:setup"), {"code": _code_for(device)})
    assert response.status_code == 302
    codes_page = client.get(response["Location"]).content.decode()
    codes = re.findall(r"<li><code>([a-z0-9]+)</code></li>", codes_page)
    assert len(codes) == twofactor.RECOVERY_CODE_COUNT
    # Shown once only.
    assert client.get(reverse("accounts:recovery_codes"))["Location"] == reverse("accounts:profile")
    assert client.get("/inbox/").status_code == 200
    assert AuditEvent.objects.filter(verb="user.second_factor_enrol", object_id=str(agent.pk)).exists()
    assert not AuditEvent.objects.filter(after__icontains=codes[0]).exists()


def test_an_enrolled_person_cannot_enrol_another_device_with_the_password_alone(agent):
    totp_device(agent)
    client = Client()
    _password(client)
    assert client.get(reverse("accounts:setup"))["Location"] == reverse("accounts:verify")
    assert client.get(reverse("accounts:setup_qr")).status_code == 404


def test_a_wrong_code_is_refused_and_a_code_works_once(agent):
    totp_device(agent)
    client = Client()
    _password(client)
    response = client.post(reverse("accounts:verify"), {"code": "123456"})
    assert response.status_code == 422
    assert "not right" in response.content.decode()
    code = current_code(agent)
    totp_device(agent).throttle_reset()
    assert client.post(reverse("accounts:verify"), {"code": code}).status_code == 302
    assert client.get("/inbox/").status_code == 200

    other = Client()
    _password(other)
    assert other.post(reverse("accounts:verify"), {"code": code}).status_code == 422  # replayed


def test_a_recovery_code_logs_in_once_and_is_audited(agent):
    totp_device(agent)
    codes = twofactor.recovery_codes_regenerate(actor=agent)
    client = Client()
    _password(client)
    assert client.post(reverse("accounts:verify"), {"code": codes[0].upper()}).status_code == 302
    assert client.get("/inbox/").status_code == 200
    assert StaticToken.objects.filter(device__user=agent).count() == len(codes) - 1
    event = AuditEvent.objects.get(verb="user.recovery_code_use")
    assert event.after == {"recovery_codes_left": len(codes) - 1}

    again = Client()
    _password(again)
    assert again.post(reverse("accounts:verify"), {"code": codes[0]}).status_code == 422


def test_new_recovery_codes_from_the_profile_replace_the_old(client, agent):
    old = twofactor.recovery_codes_regenerate(actor=agent)
    client.force_login(agent)
    assert "10 recovery codes left" in client.get(reverse("accounts:profile")).content.decode()
    html = client.post(reverse("accounts:recovery_codes")).content.decode()
    new = re.findall(r"<li><code>([a-z0-9]+)</code></li>", html)
    assert len(new) == 10 and not set(new) & set(old)
    assert not StaticToken.objects.filter(token__in=old).exists()


def test_the_admin_resets_a_second_factor(client, agent, administrator):
    totp_device(agent)
    twofactor.recovery_codes_regenerate(actor=agent)
    client.force_login(administrator)
    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "reset_second_factor", "_selected_action": [agent.pk]},
    )
    assert response.status_code == 302
    assert not twofactor.has_second_factor(agent)
    assert twofactor.recovery_codes_left(agent) == 0
    event = AuditEvent.objects.get(verb="user.second_factor_reset")
    assert (event.actor, event.object_id) == (administrator, str(agent.pk))
    # Their next login enrols again.
    fresh = Client()
    assert _password(fresh)["Location"].startswith(reverse("accounts:setup"))


def test_nobody_reads_a_second_factor_in_the_admin(client, administrator):
    client.force_login(administrator)
    assert client.get("/admin/otp_totp/totpdevice/").status_code == 404
    assert client.get("/admin/otp_static/staticdevice/").status_code == 404


def test_demo_logins_share_a_printed_key(settings, agent):
    settings.DEBUG = True
    message = demo_accounts.demo_second_factor_enrol([agent])
    assert demo_accounts.DEMO_TOTP_KEY_B32 in message
    client = Client()
    _password(client)
    assert client.post(reverse("accounts:verify"), {"code": demo_totp.code()}).status_code == 302


def test_demo_second_factors_are_refused_without_debug(settings, agent):
    settings.DEBUG = False
    with pytest.raises(RuntimeError):
        demo_accounts.demo_second_factor_enrol([agent])


def test_the_readme_prints_the_demo_key():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert demo_accounts.DEMO_TOTP_KEY_B32 in readme
