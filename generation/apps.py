from django.apps import AppConfig


class GenerationConfig(AppConfig):
    name = "generation"
    verbose_name = "Avatar studio (avatars, clothes catalogue)"

    def ready(self):
        from . import pipelines  # noqa: F401  (registers the avatar pipelines)
