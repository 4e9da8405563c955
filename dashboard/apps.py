from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """The browser dashboard: server-rendered pages over the same services the API doors use."""

    name = "dashboard"
    default_auto_field = "django.db.models.BigAutoField"
