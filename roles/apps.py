from django.apps import AppConfig


class RolesConfig(AppConfig):
    name = "roles"
    verbose_name = "Roles and groups"

    def ready(self):
        from . import signals  # noqa: F401
