from django.apps import AppConfig


class FacesConfig(AppConfig):
    name = "faces"
    verbose_name = "Face ID (projects, people, faces, check-ins)"

    def ready(self):
        from . import signals  # noqa: F401  (stored photos leave with their rows)
