"""One customer across networks, only where a person said so.

A customer is one author on one network. The same person on another network is linked only
by a link someone of the team made or confirmed on the customer card (audited); a matching
handle is offered as a suggestion, never a link, and an empty handle matches nothing.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Q

from bankbuzz.accounts import roles
from bankbuzz.accounts.models import User
from bankbuzz.audit.services import audit_record
from inbox.models import Conversation, CustomerLink
from listening.models import Author

SUGGESTIONS = 3


class LinkRefused(Exception):
    """A link that cannot be made, with the reason for the person who asked."""


def linked_authors(author: Author) -> list[Author]:
    """The authors a person confirmed to be the same customer as `author`."""
    rows = CustomerLink.objects.filter(Q(author=author) | Q(other=author)).values_list(
        "author_id", "other_id"
    )
    ids = {pk for pair in rows for pk in pair} - {author.pk}
    return list(Author.objects.filter(pk__in=ids).order_by("network", "id")) if ids else []


def link_suggestions(author: Author, *, linked: list[Author]) -> list[Author]:
    """Authors on other networks with the same (non-empty) handle, not linked yet: to confirm or ignore."""
    handle = author.handle.strip().lower()
    if not handle:
        return []
    return list(
        Author.objects.filter(handle__iexact=handle)
        .exclude(network=author.network)
        .exclude(pk__in=[a.pk for a in linked])
        .order_by("network", "id")[:SUGGESTIONS]
    )


def other_conversations(
    *, conversation: Conversation, linked: list[Author], limit: int = 8
) -> list[Conversation]:
    """The customer's other conversations: their own, and those of the authors linked to them."""
    return list(
        Conversation.objects.filter(customer_id__in=[conversation.customer_id, *(a.pk for a in linked)])
        .exclude(pk=conversation.pk)
        .select_related("customer")
        .order_by("-last_activity_at", "-id")[:limit]
    )


def _pair(one: Author, two: Author) -> tuple[Author, Author]:
    return (one, two) if one.pk < two.pk else (two, one)


@transaction.atomic
def customer_link_add(*, actor: User, conversation: Conversation, other: Author) -> CustomerLink:
    if not roles.can_work_inbox(actor):
        raise LinkRefused("Only the social team links customers.")
    customer = conversation.customer
    if other.pk == customer.pk:
        raise LinkRefused("That is this customer.")
    if other.network == customer.network:
        raise LinkRefused("Link only the same person on another network.")
    author, linked = _pair(customer, other)
    try:
        with transaction.atomic():
            link = CustomerLink.objects.create(author=author, other=linked, created_by=actor)
    except IntegrityError:
        return CustomerLink.objects.get(author=author, other=linked)
    audit_record(
        actor=actor,
        verb="customer.link",
        obj=customer,
        after={"same_person_as": f"{other.network}:{other.external_id}", "conversation": conversation.pk},
    )
    return link


@transaction.atomic
def customer_link_remove(*, actor: User, conversation: Conversation, other: Author) -> None:
    if not roles.can_work_inbox(actor):
        raise LinkRefused("Only the social team links customers.")
    author, linked = _pair(conversation.customer, other)
    if CustomerLink.objects.filter(author=author, other=linked).delete()[0]:
        audit_record(
            actor=actor,
            verb="customer.unlink",
            obj=conversation.customer,
            before={
                "same_person_as": f"{other.network}:{other.external_id}",
                "conversation": conversation.pk,
            },
        )
