"""Settings fail loudly, naming the variable, instead of guessing."""

import os
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet

GOOD_PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "x" * 60,
    "CREDENTIALS_KEYS": Fernet.generate_key().decode(),
    "PAN_VAULT_KEYS": Fernet.generate_key().decode(),
    "ALLOWED_HOSTS": "bankbuzz.example",
    "DATABASE_URL": "postgres://bankbuzz@db.example:5432/bankbuzz",
    "REDIS_URL": "redis://redis.example:6379/0",
    "X_API_BASE_URL": "https://api.x.com",
    "GRAPH_API_BASE_URL": "https://graph.facebook.com",
    "LINKEDIN_API_BASE_URL": "https://api.linkedin.com",
}


def load_settings(**overrides: str | None) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in GOOD_PRODUCTION}
    env.update(GOOD_PRODUCTION)
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "--no-imports",
            "-c",
            "from django.conf import settings; print(settings.DEBUG)",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_good_production_settings_load():
    result = load_settings()
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"DEBUG": "maybe"}, "DEBUG='maybe' is not a boolean"),
        ({"SECRET_KEY": None}, "SECRET_KEY must be set"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY must be at least 50 characters"),
        ({"DATABASE_URL": None}, "DATABASE_URL must be set"),
        ({"DATABASE_URL": "mysql://db.example/bankbuzz"}, "DATABASE_URL must point at PostgreSQL"),
        ({"REDIS_URL": "http://redis.example"}, "REDIS_URL must start with redis://"),
        ({"CREDENTIALS_KEYS": "not-a-key"}, "CREDENTIALS_KEYS: key 1 is not a Fernet key"),
        ({"PAN_VAULT_KEYS": None}, "PAN_VAULT_KEYS must be set"),
        ({"PAN_VAULT_KEYS": "not-a-key"}, "PAN_VAULT_KEYS: key 1 is not a Fernet key"),
        ({"BANK_COUNTRIES": "GB,US"}, "BANK_COUNTRIES: US not supported"),
        ({"BANK_PUBLIC_PHONES": "call us"}, "BANK_PUBLIC_PHONES: 'call us' is not a phone number"),
        ({"BANK_PUBLIC_IBANS": "GB83WEST12345698765432"}, "BANK_PUBLIC_IBANS: 'GB83WEST12345698765432'"),
        ({"BANK_PUBLIC_SORT_CODES": "40-11-62"}, "is not a sort code with its account number"),
        ({"EMAIL_URL": "carrier-pigeon://loft"}, "EMAIL_URL scheme 'carrier-pigeon'"),
        ({"DB_CONN_MAX_AGE": "ten"}, "DB_CONN_MAX_AGE='ten' is not a whole number"),
        ({"X_API_BASE_URL": "http://127.0.0.1:8001/x"}, "sandbox URLs are refused in production"),
        (
            {"DATABASE_OWNER_URL": "mysql://o@db.example/bankbuzz"},
            "DATABASE_OWNER_URL must point at PostgreSQL",
        ),
        (
            {"DATABASE_OWNER_URL": "postgres://owner@other.example:5432/bankbuzz"},
            "DATABASE_OWNER_URL names host 'other.example' but DATABASE_URL names 'db.example'",
        ),
        (
            {"DATABASE_OWNER_URL": "postgres://bankbuzz@db.example:5432/bankbuzz"},
            "DATABASE_OWNER_URL must name the owner role, a different user",
        ),
        (
            {"AUDIT_CHECKPOINT_SINK": "var/cp.jsonl"},
            "AUDIT_CHECKPOINT_SINK: 'var/cp.jsonl': a file sink needs an",
        ),
        (
            {"AUDIT_CHECKPOINT_SINK": "http://logs.example/"},
            "AUDIT_CHECKPOINT_SINK: 'http://logs.example/': use a",
        ),
        ({"AUDIT_CHECKPOINT_KEY": "short"}, "AUDIT_CHECKPOINT_KEY must be at least 32 characters"),
    ],
)
def test_bad_settings_stop_with_the_variable_named(overrides, message):
    result = load_settings(**overrides)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_an_owner_url_and_a_checkpoint_sink_load():
    result = load_settings(
        DATABASE_OWNER_URL="postgres://bankbuzz_owner:pw@db.example:5432/bankbuzz",
        AUDIT_CHECKPOINT_SINK="syslog://logs.example:514",
        AUDIT_CHECKPOINT_KEY="k" * 40,
    )
    assert result.returncode == 0, result.stderr


def test_secret_can_come_from_a_file(tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text("s" * 64 + "\n")
    result = load_settings(SECRET_KEY=None, SECRET_KEY_FILE=str(secret_file))
    assert result.returncode == 0, result.stderr


def test_unix_socket_redis_becomes_a_kombu_socket_url():
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "--no-imports",
            "-c",
            "from django.conf import settings; print(settings.CELERY_BROKER_URL)",
        ],
        env={**os.environ, **GOOD_PRODUCTION, "REDIS_URL": "unix:///run/redis/redis.sock"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.stdout.strip() == "redis+socket:///run/redis/redis.sock", result.stderr


def test_the_same_key_may_not_seal_card_data_and_credentials():
    key = Fernet.generate_key().decode()
    result = load_settings(CREDENTIALS_KEYS=key, PAN_VAULT_KEYS=key)
    assert result.returncode != 0
    assert "PAN_VAULT_KEYS must not reuse a key of CREDENTIALS_KEYS" in result.stderr


def test_the_banks_own_numbers_are_read_in_their_canonical_form():
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "--no-imports",
            "-c",
            "from django.conf import settings; print(settings.BANK_PUBLIC_CONTACTS)",
        ],
        env={
            **{key: value for key, value in os.environ.items() if key not in GOOD_PRODUCTION},
            **GOOD_PRODUCTION,
            "BANK_COUNTRIES": "gb,fr",
            "BANK_PUBLIC_PHONES": "0345 300 0000,+33 1 40 00 00 00",
            "BANK_PUBLIC_IBANS": "gb82 west 1234 5698 7654 32",
            "BANK_PUBLIC_SORT_CODES": "40 11 62 21234567",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(
        ("+443453000000", "+33140000000", "GB82WEST12345698765432", "40-11-62 21234567")
    )
