from django.apps import AppConfig


class FacesConfig(AppConfig):
    name = "faces"
    verbose_name = "Face ID (projects, people, faces, check-ins)"

    def ready(self):
        from . import pipelines, signals  # noqa: F401  (registers the import pipeline; photos leave with their rows)
