import pytest

from tests.factories import ConversationFactory


@pytest.fixture
def eager_emails(monkeypatch):
    """Notification e-mails sent in-process (locmem backend) instead of through the broker."""
    from bankbuzz.accounts import tasks

    monkeypatch.setattr(
        tasks.send_notification_emails, "delay", lambda ids: tasks.send_notification_emails.run(ids)
    )


@pytest.fixture
def conversation(db):
    return ConversationFactory(customer__handle="rosa_garcia", customer__name="Rosa García")
