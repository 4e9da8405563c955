from django.db.models.signals import post_delete
from django.dispatch import receiver

from core.files import delete_file_on_commit

from .models import Face, PeopleImport, Recognition


@receiver(post_delete, sender=Face)
@receiver(post_delete, sender=Recognition)
def delete_stored_photo(sender, instance, **kwargs):
    delete_file_on_commit(instance.image)


@receiver(post_delete, sender=PeopleImport)
def delete_import_archive(sender, instance, **kwargs):
    delete_file_on_commit(instance.archive)
