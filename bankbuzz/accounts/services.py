from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction

from bankbuzz.accounts.models import User
from bankbuzz.accounts.roles import ALL_ROLES
from bankbuzz.audit.services import audit_record


@transaction.atomic
def user_set_role(*, actor: User | None, user: User, role: str) -> User:
    if role not in ALL_ROLES:
        raise ValueError(f"unknown role {role!r}")
    before = sorted(user.groups.values_list("name", flat=True))
    group, _ = Group.objects.get_or_create(name=role)
    user.groups.remove(*user.groups.filter(name__in=ALL_ROLES).exclude(pk=group.pk))
    user.groups.add(group)
    user.__dict__.pop("_bankbuzz_roles", None)
    audit_record(
        actor=actor, verb="user.role_set", obj=user, before={"roles": before}, after={"roles": [role]}
    )
    return user
