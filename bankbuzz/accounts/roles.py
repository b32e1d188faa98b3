"""The six roles, as Django groups, and the helpers every app uses to ask about them.

A role is a group; a user normally has one. Permission checks ask about roles
through these helpers, never by group name strings scattered in views.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser

AGENT = "agent"
LEAD = "lead"
SPECIALIST = "specialist"
MANAGER = "manager"
COMPLIANCE = "compliance"
ADMIN = "admin"

ALL_ROLES = (AGENT, LEAD, SPECIALIST, MANAGER, COMPLIANCE, ADMIN)

ROLE_LABELS = {
    AGENT: "Social agent",
    LEAD: "Social lead",
    SPECIALIST: "Specialist",
    MANAGER: "Manager",
    COMPLIANCE: "Compliance officer",
    ADMIN: "Administrator",
}

# Who works the shared inbox (writes), and who may read it.
INBOX_WRITERS = frozenset({AGENT, LEAD})
INBOX_READERS = frozenset({AGENT, LEAD, MANAGER, COMPLIANCE, ADMIN})
ACCOUNT_MANAGERS = frozenset({LEAD, ADMIN})
AUDIT_READERS = frozenset({COMPLIANCE, ADMIN})


def roles_of(user) -> frozenset[str]:
    if user is None or isinstance(user, AnonymousUser) or not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_bankbuzz_roles", None)
    if cached is None:
        cached = frozenset(name for name in user.groups.values_list("name", flat=True) if name in ALL_ROLES)
        user._bankbuzz_roles = cached
    return cached


def has_role(user, *roles: str) -> bool:
    return bool(roles_of(user) & set(roles))


def can_read_inbox(user) -> bool:
    return bool(roles_of(user) & INBOX_READERS)


def can_work_inbox(user) -> bool:
    return bool(roles_of(user) & INBOX_WRITERS)


def can_manage_accounts(user) -> bool:
    return bool(roles_of(user) & ACCOUNT_MANAGERS)


# Moderation on the networks, each a permission of its own: hiding (and showing again) a
# customer's comment on Facebook or Instagram, hiding a reply to the bank's post on X, and
# deleting the bank's own reply. Leads by default; settings.MODERATION_ROLES
# ({"hide_comment": ["lead", "agent"], ...}) gives a permission to other roles.
HIDE_COMMENT = "hide_comment"
HIDE_X_REPLY = "hide_x_reply"
DELETE_OWN_REPLY = "delete_own_reply"
MODERATION_PERMISSIONS = {
    HIDE_COMMENT: "Hide and unhide customers' comments (Facebook, Instagram)",
    HIDE_X_REPLY: "Hide and unhide replies to the bank's posts on X",
    DELETE_OWN_REPLY: "Delete the bank's own replies (Facebook, Instagram, X)",
}
DEFAULT_MODERATION_ROLES = dict.fromkeys(MODERATION_PERMISSIONS, (LEAD,))


def moderation_roles(permission: str) -> tuple[str, ...]:
    from django.conf import settings

    configured = getattr(settings, "MODERATION_ROLES", None) or {}
    roles = configured.get(permission, DEFAULT_MODERATION_ROLES[permission])
    return tuple(role for role in roles if role in ALL_ROLES)


def can_moderate(user, permission: str) -> bool:
    return has_role(user, *moderation_roles(permission))
