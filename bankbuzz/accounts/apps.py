from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "bankbuzz.accounts"
    label = "accounts"
    verbose_name = "Users and roles"
