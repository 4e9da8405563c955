from django.apps import AppConfig
from django.db.models.signals import post_migrate


class GalleryConfig(AppConfig):
    name = "gallery"
    verbose_name = "Gallery (items and the queue)"

    def ready(self):
        from . import signals  # noqa: F401
        from .schedules import ensure_schedules

        post_migrate.connect(ensure_schedules, sender=self)
