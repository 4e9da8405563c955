from django.apps import AppConfig


class CapturesConfig(AppConfig):
    name = "captures"
    verbose_name = "Captures (uploaded media)"

    def ready(self):
        from . import pipelines, signals  # noqa: F401  (registers the preview pipeline)
