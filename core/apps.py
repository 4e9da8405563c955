from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Atlas core"

    def ready(self):
        from django.conf import settings

        from media.images import configure

        # One pixel limit in every process (web and workers), for media's callers and for Pillow itself.
        configure(settings.IMAGE_MAX_PIXELS)
