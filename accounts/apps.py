from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    # allauth's own app ("account": e-mail addresses) is also called "Accounts": the admin index tells them apart.
    verbose_name = "Accounts (people, sessions, API keys)"

    def ready(self):
        from . import schema, signals  # noqa: F401
