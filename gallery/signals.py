"""Item files leave storage with their rows, however the rows are deleted (cascades included); and the one
signal the engine sends its domains, `item_finished`."""

from django.db.models.signals import post_delete
from django.dispatch import Signal, receiver

from core.files import delete_file_on_commit

from .models import ItemFile

# Sent with `item` (read again from the database, owner included) once a run's end, done or failed, is committed:
# by the worker (services.finish / services.fail) and by the recovery of a run whose worker died. Domains connect to
# it to tell people (captures/notifications.py); the engine knows none of them. A listener's exception is logged and
# never reaches the worker. A listener that must act once per run claims it with services.claim_notification.
item_finished = Signal()


@receiver(post_delete, sender=ItemFile)
def delete_item_file(sender, instance, **kwargs):
    delete_file_on_commit(instance.file)
