from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "bankbuzz.accounts"
    label = "accounts"
    verbose_name = "Users and roles"

    def ready(self) -> None:
        from axes.signals import user_locked_out

        from bankbuzz.accounts import lockouts, retention

        retention.register()  # its retention kinds (bankbuzz/audit/retention.py)
        user_locked_out.connect(lockouts.on_user_locked_out, dispatch_uid="accounts.audit_lockouts")
