"""Encryption at rest for network credentials.

`CREDENTIALS_KEYS` is a list of Fernet keys, newest first: the first encrypts,
all decrypt, so a key can be rotated without downtime (add a new key in front,
run `manage.py rotate_credentials_key`, then drop the old key).
"""

from __future__ import annotations

import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class CredentialsUnreadable(Exception):
    """No configured key opens these credentials."""


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in settings.CREDENTIALS_KEYS])


def encrypt_credentials(credentials: dict[str, str]) -> str:
    return _fernet().encrypt(json.dumps(credentials, sort_keys=True).encode()).decode()


def decrypt_credentials(token: str) -> dict[str, str]:
    if not token:
        return {}
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except InvalidToken:
        raise CredentialsUnreadable("no key in CREDENTIALS_KEYS opens these credentials") from None


def rotate_token(token: str) -> str:
    """Re-encrypt with the newest key."""
    if not token:
        return token
    try:
        return _fernet().rotate(token.encode()).decode()
    except InvalidToken:
        raise CredentialsUnreadable("no key in CREDENTIALS_KEYS opens these credentials") from None
