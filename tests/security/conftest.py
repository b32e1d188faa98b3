import pytest


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The URL walk makes eight people per test; the production hasher would take minutes.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
