"""Listening's part in retention and erasure (see bankbuzz/audit/retention.py).

Listening owns people (authors) and what they said (mentions), but it does not know which
of them the team worked on: the conversation kinds, and the erasure of a person's content,
are in `inbox/retention.py`, which uses the helpers here to anonymise rows.

Anonymised rows are recognisable by their external id, `anon-<pk>`: the network's id would
let anyone look the post or the person up again, and the prefix lets an anonymising kind
leave what it did already alone.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import CharField, Q, QuerySet, Value
from django.db.models.functions import Cast, Concat

from bankbuzz.audit import erasure
from bankbuzz.audit import retention as r
from listening.models import Author, AuthorAvatar, Mention, MentionOriginal, Network, QuarantinedItem

ANON_PREFIX = "anon-"
ANONYMOUS_NAME = "Anonymised person"

# Keys of a network's payload that describe a person rather than what they said.
PERSONAL_KEYS = frozenset(
    {
        "user",
        "users",
        "author",
        "from",
        "actor",
        "name",
        "username",
        "screen_name",
        "profile_image_url",
        "profile_url",
        "picture",
        "description",
        "location",
        "email",
        "url",
        "entities",
        "participants",
        "senders",
    }
)


def _anon_id():
    return Concat(Value(ANON_PREFIX), Cast("id", CharField()))


def mentions_anonymise(mentions: QuerySet[Mention]) -> int:
    """Text, payload, edits, links and the network's id of these messages, gone; one UPDATE.

    A card number's sealed original goes with the text it was the original of.
    """
    card_originals_delete(mentions)
    return mentions.exclude(external_id__startswith=ANON_PREFIX).update(
        text=r.REMOVED,
        raw={},
        edit_history=[],
        url="",
        in_reply_to="",
        pii_findings=[],
        has_pii=False,
        external_id=_anon_id(),
    )


def card_originals_delete(mentions: QuerySet[Mention]) -> int:
    """The sealed originals of these messages, gone (the messages keep their masked text)."""
    return MentionOriginal.objects.filter(mention__in=mentions.values("pk")).delete()[0]


def scrub_payload(value):
    """The payload without the keys that describe a person (kept messages keep what was said)."""
    if isinstance(value, dict):
        return {k: scrub_payload(v) for k, v in value.items() if k not in PERSONAL_KEYS}
    if isinstance(value, list):
        return [scrub_payload(v) for v in value]
    return value


def mentions_minimise(mentions: QuerySet[Mention]) -> int:
    """Kept messages: the payload loses the author's profile fields (a row at a time: JSON)."""
    changed = 0
    for mention in mentions.exclude(external_id__startswith=ANON_PREFIX).only("pk", "raw").iterator(2000):
        scrubbed = scrub_payload(mention.raw)
        if scrubbed != mention.raw:
            Mention.objects.filter(pk=mention.pk).update(raw=scrubbed)
            changed += 1
    return changed


def author_anonymise(authors: QuerySet[Author]) -> int:
    AuthorAvatar.objects.filter(author__in=authors).delete()
    return authors.exclude(external_id__startswith=ANON_PREFIX).update(
        handle="",
        name=ANONYMOUS_NAME,
        avatar_url="",
        avatar_sha256="",
        profile_url="",
        followers=None,
        verified=False,
        external_id=_anon_id(),
    )


def author_minimise(authors: QuerySet[Author]) -> int:
    """A person whose records are kept: who they are stays, the rest of the profile goes."""
    AuthorAvatar.objects.filter(author__in=authors).delete()
    return authors.update(avatar_url="", avatar_sha256="", profile_url="", followers=None, verified=False)


# --- Legal holds on a person, and finding the subject of an erasure -------------------------------


def find_author(reference: str) -> Author | None:
    """ "42" or "#42" (the id), or "x:jane_doe" / "x @jane_doe" (network and handle)."""
    reference = reference.strip()
    if reference.lstrip("#").isdigit():
        return Author.objects.filter(pk=int(reference.lstrip("#"))).first()
    network, _, handle = reference.replace(" ", ":", 1).partition(":")
    return find_subject(network=network.strip().lower(), handle=handle.strip())


def find_subject(*, network: str = "", handle: str = "", author_id: int | None = None) -> Author | None:
    if author_id:
        return Author.objects.filter(pk=author_id).first()
    handle = handle.strip().lstrip("@")
    if network not in Network.values or not handle:
        return None
    return (
        Author.objects.filter(network=network, handle__iexact=handle)
        .exclude(external_id__startswith=ANON_PREFIX)
        .order_by("-updated_at")
        .first()
    )


def describe_author(author: Author) -> str:
    return f"{author.get_network_display()} person {author.pk} ({author})"


# --- Kinds ------------------------------------------------------------------------------------------


def _quarantine_due(cutoff: dt.datetime) -> QuerySet:
    return QuarantinedItem.objects.filter(created_at__lt=cutoff)


def _card_originals_due(cutoff: dt.datetime) -> QuerySet:
    return MentionOriginal.objects.filter(sealed_at__lt=cutoff)


def _held_card_originals(holds: r.Holds) -> Q | None:
    held = holds.ids("listening.author")
    return Q(mention__author_id__in=held) if held else None


def register() -> None:
    r.register_kind(
        r.Kind(
            key="listening.quarantine",
            label="Unreadable items (quarantine)",
            covers="items a network sent that could not be read, kept raw (with whatever personal data "
            "they carry) for an administrator to re-process",
            action=r.DELETE,
            default_days=30,
            minimum_days=7,
            since="arrival",
            candidates=_quarantine_due,
            apply=r.deleter(QuarantinedItem),
        )
    )
    r.register_kind(
        r.Kind(
            key="listening.card_originals",
            label="Sealed originals of messages with a card number",
            covers="the text of a customer's message as they wrote it, card number included, sealed "
            "(PAN_VAULT_KEYS) and opened only by the recorded Reveal; the message itself keeps "
            "the text with the card masked",
            action=r.DELETE,
            default_days=30,
            minimum_days=1,
            since="arrival",
            candidates=_card_originals_due,
            apply=r.deleter(MentionOriginal),
            held=_held_card_originals,
        )
    )
    r.register_hold_target(
        r.HoldTarget(
            key="author",
            label="Person",
            model=Author,
            help='the person\'s id ("42") or network and handle ("x:jane_doe")',
            find=find_author,
            describe=describe_author,
        )
    )
    erasure.register_erasure_subject(find_subject, networks=Network.choices)
