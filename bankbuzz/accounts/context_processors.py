from bankbuzz.accounts import roles as role_helpers


def roles(request):
    user_roles = role_helpers.roles_of(getattr(request, "user", None))
    return {
        "user_roles": user_roles,
        "can_read_inbox": bool(user_roles & role_helpers.INBOX_READERS),
        "can_manage_accounts": bool(user_roles & role_helpers.ACCOUNT_MANAGERS),
        "can_read_audit": bool(user_roles & role_helpers.AUDIT_READERS),
        "user_role_labels": [role_helpers.ROLE_LABELS[r] for r in role_helpers.ALL_ROLES if r in user_roles],
    }
