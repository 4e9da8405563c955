"""Files leave storage with the rows that own them, however the rows are deleted (cascades included)."""

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from .models import ItemFile


def delete_file_on_commit(field_file):
    if field_file and field_file.name:
        storage, name = field_file.storage, field_file.name
        transaction.on_commit(lambda: storage.delete(name))


@receiver(post_delete, sender=ItemFile)
def delete_item_file(sender, instance, **kwargs):
    delete_file_on_commit(instance.file)
