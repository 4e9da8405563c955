"""The one lookup of "this account's object", for every door, the dashboard and the admin actions.

Each door answers someone else's object in one documented way:
- reads everywhere, and changes in every door but one: 404, exactly as for an id that does not exist, so an
  answer never tells whether another account's object exists;
- seed 000's item DELETE says 403 "if you try to delete an item that you do not own": that door passes
  `others=Forbidden` for that route alone.
"""

from django.db import models

from .errors import Forbidden, NotFound
from .ids import parse_uuid


def owned(queryset, user, *, not_found, others=NotFound, owner_field="owner", forbidden=None, **lookup):
    """The object of `queryset` matching `lookup` that `user` owns.

    A lookup value that should be a UUID (a UUIDField) but is malformed reads as unknown. Unknown objects raise
    NotFound(not_found); another account's raise `others` (NotFound with the same message by default, or
    Forbidden(forbidden)).
    """
    if isinstance(queryset, type) and issubclass(queryset, models.Model):
        queryset = queryset._default_manager.all()
    cleaned = {}
    for name, value in lookup.items():
        meta = queryset.model._meta
        field_name = name.split("__")[0]
        field = meta.pk if field_name == "pk" else meta.get_field(field_name)
        if isinstance(field, models.UUIDField):
            value = parse_uuid(value)
            if value is None:
                raise NotFound(not_found)
        cleaned[name] = value
    found = queryset.filter(**cleaned).first()
    if found is None:
        raise NotFound(not_found)
    if getattr(found, f"{owner_field}_id") != getattr(user, "pk", None):
        if others is Forbidden:
            raise Forbidden(forbidden or not_found)
        raise NotFound(not_found)
    return found
