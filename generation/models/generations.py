"""What people asked the studio to make: one avatar picture or video each, made by a gallery item."""

import time

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.db import models

from gallery.models import Item


class GenerationQuerySet(models.QuerySet):
    def owned_by(self, user):
        return self.filter(owner=user)

    def in_gallery(self):
        """The finished ones: what the studio's gallery lists."""
        return self.filter(items__status=Item.Status.DONE).distinct()


class Generation(models.Model):
    """An avatar image or video someone asked for (seed 003's `/generate`, `/generate_video`).

    `task_id` is the seed's id: the request's time in milliseconds since 1970 ("1738860389536"), unique across
    accounts. The gallery names a picture `<task_id>-1` (its first and only image) and a video `<task_id>`.
    The request is kept as sent; `spec` is what the avatar package read from it (generation.avatar.spec), kept
    so a run is repeatable and the dashboard can show and reuse the settings.
    """

    class Kind(models.TextChoices):
        IMAGE = "image"
        VIDEO = "video"

    task_id = models.CharField(max_length=20, unique=True, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="generations")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    request = models.JSONField(default=dict, help_text="The request's body, as sent.")
    spec = models.JSONField(default=dict, help_text="The avatar as the studio read it from the request.")
    renderer = models.CharField(max_length=400, blank=True,
                                help_text="What made the result (a video asked of an outside service is made "
                                          "here; this says so).")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    items = GenericRelation(Item, content_type_field="source_type", object_id_field="source_id",
                            related_query_name="generation")

    objects = GenerationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.kind} {self.task_id}"

    @staticmethod
    def new_task_id():
        return str(time.time_ns() // 1_000_000)

    @property
    def gallery_url(self):
        """The name the gallery routes take for this result."""
        return f"{self.task_id}-1" if self.kind == self.Kind.IMAGE else self.task_id

    @property
    def item(self):
        """The item making (or that made) the result: the newest, when it was run again."""
        return self.items.order_by("-created_at").first()

    @property
    def studio_status(self):
        """Seed 003's status: 0 queued, 1 processing, 2 completed, 3 failed (or cancelled)."""
        item = self.item
        if item is None:
            return 3
        return {Item.Status.QUEUED: 0, Item.Status.PROCESSING: 1, Item.Status.DONE: 2}.get(item.status, 3)

    @property
    def studio_position(self):
        """Seed 003's position: the tasks ahead of this one (queued before it, or being worked on, in its
        queue); 0 while it is being made; -1 when it is not queued."""
        item = self.item
        if item is None or item.is_finished:
            return -1
        if item.status == Item.Status.PROCESSING:
            return 0
        working = Item.objects.processing().filter(queue=item.queue).count()
        return item.queue_position + working
