import pytest
from cryptography.fernet import Fernet

from listening.crypto import CredentialsUnreadable, decrypt_credentials, encrypt_credentials, rotate_token
from tests.factories import SocialAccountFactory


def test_credentials_are_encrypted_at_rest(db):
    account = SocialAccountFactory()
    account.set_credentials({"bearer_token": "AAAA-very-secret-token"})
    account.save()
    account.refresh_from_db()
    assert "very-secret" not in account.credentials_encrypted
    assert account.get_credentials() == {"bearer_token": "AAAA-very-secret-token"}


def test_rotation_keeps_old_tokens_readable_and_moves_them_to_the_new_key(settings):
    old_key = settings.CREDENTIALS_KEYS[0]
    token = encrypt_credentials({"access_token": "t0ken"})
    new_key = Fernet.generate_key().decode()
    settings.CREDENTIALS_KEYS = [new_key, old_key]
    assert decrypt_credentials(token) == {"access_token": "t0ken"}
    rotated = rotate_token(token)
    settings.CREDENTIALS_KEYS = [new_key]
    assert decrypt_credentials(rotated) == {"access_token": "t0ken"}
    with pytest.raises(CredentialsUnreadable):
        decrypt_credentials(token)


def test_rotate_command_moves_every_account_to_the_newest_key(db, settings):
    from django.core.management import call_command

    account = SocialAccountFactory()
    account.set_credentials({"bearer_token": "abc"})
    account.save()
    old_key = settings.CREDENTIALS_KEYS[0]
    new_key = Fernet.generate_key().decode()
    settings.CREDENTIALS_KEYS = [new_key, old_key]
    call_command("rotate_credentials_key")
    settings.CREDENTIALS_KEYS = [new_key]
    account.refresh_from_db()
    assert account.get_credentials() == {"bearer_token": "abc"}
