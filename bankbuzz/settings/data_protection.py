"""Keys and rules that protect data at rest: network credentials, audit checkpoints, the
card-number vault and the bank's own published contact numbers."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from bankbuzz import bank_identity
from bankbuzz.env import env_list, env_str
from bankbuzz.settings.base import DEBUG, SECRET_KEY

# --- Encryption of network credentials ------------------------------------------

if DEBUG:
    _dev_key = base64.urlsafe_b64encode(hashlib.sha256(SECRET_KEY.encode()).digest()).decode()
    CREDENTIALS_KEYS = env_list("CREDENTIALS_KEYS", [_dev_key])
else:
    CREDENTIALS_KEYS = env_list("CREDENTIALS_KEYS")
if not CREDENTIALS_KEYS:
    raise ImproperlyConfigured(
        "CREDENTIALS_KEYS must be set: a comma-separated list of Fernet keys, newest first "
        "(make one with: python -c "
        "'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"
    )
for _position, _key in enumerate(CREDENTIALS_KEYS, start=1):
    try:
        Fernet(_key)
    except ValueError:
        raise ImproperlyConfigured(
            f"CREDENTIALS_KEYS: key {_position} is not a Fernet key (32 url-safe base64-encoded bytes)"
        ) from None

# --- Audit checkpoints (bankbuzz/audit/checkpoints.py) ------------------------------


def _checkpoint_sink(value: str) -> str:
    from bankbuzz.audit.sinks import SinkError, parse_sink

    try:
        parse_sink(value)
    except SinkError as exc:
        raise ImproperlyConfigured(f"AUDIT_CHECKPOINT_SINK: {exc}") from None
    return value


# Where beat writes the hourly signed checkpoint: a file path (on another volume), `syslog`,
# `syslog://host:514`, or an https:// webhook. Empty: only into the audit log itself.
AUDIT_CHECKPOINT_SINK = _checkpoint_sink(env_str("AUDIT_CHECKPOINT_SINK", ""))
# The HMAC key of the checkpoints; by default derived from SECRET_KEY.
AUDIT_CHECKPOINT_KEY = env_str(
    "AUDIT_CHECKPOINT_KEY",
    hashlib.sha256(b"bankbuzz-audit-checkpoint\n" + SECRET_KEY.encode()).hexdigest(),
)
if len(AUDIT_CHECKPOINT_KEY) < 32:
    raise ImproperlyConfigured("AUDIT_CHECKPOINT_KEY must be at least 32 characters long")
# --- Card numbers customers write: masked at ingest, the original sealed (PCI DSS 3.5) ------------

# Its own keys, not CREDENTIALS_KEYS: a card-data key is rotated on its own schedule and
# may be held by fewer people. Newest first; `manage.py rotate_pan_vault_key` re-seals.
if DEBUG:
    _dev_pan_key = base64.urlsafe_b64encode(hashlib.sha256(b"pan-vault:" + SECRET_KEY.encode()).digest())
    PAN_VAULT_KEYS = env_list("PAN_VAULT_KEYS", [_dev_pan_key.decode()])
else:
    PAN_VAULT_KEYS = env_list("PAN_VAULT_KEYS")
if not PAN_VAULT_KEYS:
    raise ImproperlyConfigured(
        "PAN_VAULT_KEYS must be set: a comma-separated list of Fernet keys, newest first, "
        "that seal customers' original messages holding a card number"
    )
for _position, _key in enumerate(PAN_VAULT_KEYS, start=1):
    try:
        Fernet(_key)
    except ValueError:
        raise ImproperlyConfigured(
            f"PAN_VAULT_KEYS: key {_position} is not a Fernet key (32 url-safe base64-encoded bytes)"
        ) from None
if set(PAN_VAULT_KEYS) & set(CREDENTIALS_KEYS):
    raise ImproperlyConfigured("PAN_VAULT_KEYS must not reuse a key of CREDENTIALS_KEYS")

# --- The bank's own published numbers, which the personal-data guard lets pass ----------------

BANK_COUNTRIES = bank_identity.countries("BANK_COUNTRIES")
BANK_PUBLIC_PHONES = bank_identity.phones("BANK_PUBLIC_PHONES", region=BANK_COUNTRIES[0])
BANK_PUBLIC_IBANS = bank_identity.ibans("BANK_PUBLIC_IBANS")
BANK_PUBLIC_SORT_CODES = bank_identity.sort_code_accounts("BANK_PUBLIC_SORT_CODES")
BANK_PUBLIC_EMAILS = tuple(env_list("BANK_PUBLIC_EMAILS"))
BANK_PUBLIC_CONTACTS = (*BANK_PUBLIC_PHONES, *BANK_PUBLIC_IBANS, *BANK_PUBLIC_SORT_CODES, *BANK_PUBLIC_EMAILS)
