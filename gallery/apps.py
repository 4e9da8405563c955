from django.apps import AppConfig


class GalleryConfig(AppConfig):
    name = "gallery"
    verbose_name = "Gallery (items and the queue)"

    def ready(self):
        from . import signals  # noqa: F401
