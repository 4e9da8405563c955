from django.db.models.signals import post_delete
from django.dispatch import receiver

from core.files import delete_file_on_commit
from gallery.signals import item_finished

from . import notifications
from .models import Capture, UploadPart


@receiver(post_delete, sender=Capture)
def delete_capture_source(sender, instance, **kwargs):
    delete_file_on_commit(instance.source)


@receiver(post_delete, sender=UploadPart)
def delete_upload_part(sender, instance, **kwargs):
    delete_file_on_commit(instance.file)


@receiver(item_finished)
def tell_the_owner(sender, item, **kwargs):
    """E-mails the owner of a capture whose job ended (captures/notifications.py says which ends are told)."""
    notifications.tell_owner(item)
