from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Atlas core"

    def ready(self):
        from django.conf import settings

        from media.images import configure

        from .schedules import ensure_schedules

        # Once per migrate, after django-q2's own tables exist (core itself has no models to send for).
        post_migrate.connect(ensure_schedules, sender=apps.get_app_config("django_q"))
        # One pixel limit in every process (web and workers), for media's callers and for Pillow itself.
        configure(settings.IMAGE_MAX_PIXELS)
