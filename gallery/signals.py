"""Item files leave storage with their rows, however the rows are deleted (cascades included)."""

from django.db.models.signals import post_delete
from django.dispatch import receiver

from core.files import delete_file_on_commit

from .models import ItemFile


@receiver(post_delete, sender=ItemFile)
def delete_item_file(sender, instance, **kwargs):
    delete_file_on_commit(instance.file)
