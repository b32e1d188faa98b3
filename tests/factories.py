"""Factories for the models the tests build most."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from bankbuzz.accounts.models import User
from inbox.models import Conversation
from listening.connectors import base
from listening.models import Author, Mention, SocialAccount


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@bank.example")
    password = factory.django.Password("correct-horse-battery")


class SocialAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SocialAccount

    network = "x"
    external_id = factory.Sequence(lambda n: str(9000000 + n))
    handle = factory.Sequence(lambda n: f"bank{n}")
    name = "Northbridge Bank"


class AuthorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Author

    network = "x"
    external_id = factory.Sequence(lambda n: str(100000 + n))
    handle = factory.Sequence(lambda n: f"customer{n}")
    name = factory.Faker("name")
    followers = 120


class MentionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Mention

    network = "x"
    external_id = factory.Sequence(lambda n: str(5000000 + n))
    account = factory.SubFactory(SocialAccountFactory)
    author = factory.SubFactory(AuthorFactory)
    kind = "mention"
    direction = "in"
    text = "My card was declined at the till, what is going on?"
    thread_key = factory.LazyAttribute(lambda m: m.external_id)
    created_at = factory.LazyFunction(timezone.now)


class ConversationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Conversation

    network = "x"
    thread_key = factory.Sequence(lambda n: f"thread-{n}")
    customer = factory.SubFactory(AuthorFactory)
    preview = "My card was declined at the till"
    last_activity_at = factory.LazyFunction(timezone.now)


def fetched_item(
    external_id: str,
    *,
    text: str = "Hello @northbridgebank, my card was declined",
    author_id: str = "42",
    handle: str = "jane_doe",
    thread_key: str | None = None,
    direction: str = base.DIRECTION_IN,
    created_at: dt.datetime | None = None,
    replaces: str = "",
) -> base.FetchedItem:
    """A connector's output for one item, as the ingest service receives it."""
    return base.FetchedItem(
        external_id=external_id,
        kind=base.KIND_MENTION,
        text=text,
        author=base.FetchedAuthor(
            external_id=author_id, handle=handle, name=handle.replace("_", " ").title()
        ),
        created_at=created_at or timezone.now(),
        thread_key=thread_key or external_id,
        raw={"tweet": {"id": external_id, "text": text}},
        direction=direction,
        url=f"https://x.com/{handle}/status/{external_id}",
        lang="en",
        replaces=replaces,
    )


# A valid 1x1 PNG: what a customer's avatar looks like to the fetcher and the page.
TINY_PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS"
    b"\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\x00\x00\x00"
    b"\x00IEND\xaeB`\x82"
)
