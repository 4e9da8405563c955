"""Stored files leave storage with the rows that own them, however the rows are deleted (cascades included)."""

from django.db import transaction


def delete_file_on_commit(field_file):
    """Deletes a FileField's stored file once the transaction that deleted its row commits."""
    if field_file and field_file.name:
        storage, name = field_file.storage, field_file.name
        transaction.on_commit(lambda: storage.delete(name))
