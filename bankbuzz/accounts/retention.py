"""Staff-side records with personal data: notifications and the login records of django-axes."""

from __future__ import annotations

from bankbuzz.accounts.models import Notification
from bankbuzz.audit import retention as r


def register() -> None:
    from axes.models import AccessFailureLog, AccessLog

    r.register_kind(
        r.Kind(
            key="accounts.notifications",
            label="Notifications",
            covers="in-app notifications to staff (they quote customers' names and handles)",
            action=r.DELETE,
            default_days=r.YEAR,
            minimum_days=30,
            since="when sent",
            candidates=lambda cutoff: Notification.objects.filter(created_at__lt=cutoff),
            apply=r.deleter(Notification),
        )
    )
    r.register_kind(
        r.Kind(
            key="accounts.login_records",
            label="Login records",
            covers="django-axes' log of logins and logouts (username, address, browser)",
            action=r.DELETE,
            default_days=r.YEAR,
            minimum_days=90,
            since="the login",
            candidates=lambda cutoff: AccessLog.objects.filter(attempt_time__lt=cutoff),
            apply=r.deleter(AccessLog),
        )
    )
    r.register_kind(
        r.Kind(
            key="accounts.failed_logins",
            label="Failed logins",
            covers="django-axes' log of wrong passwords (username tried, address, browser); lockouts "
            "are also in the audit log",
            action=r.DELETE,
            default_days=r.YEAR,
            minimum_days=90,
            since="the attempt",
            candidates=lambda cutoff: AccessFailureLog.objects.filter(attempt_time__lt=cutoff),
            apply=r.deleter(AccessFailureLog),
        )
    )
