"""Read-only queries about captures that reach across models (captures, their items, their items' files)."""

from django.db.models import F

from core.errors import NotFound
from gallery.models import ItemFile

from .models import Capture


def captures_of(user):
    """The user's own captures, newest first."""
    return Capture.objects.filter(owner=user).order_by("-created_at", "-pk")


def _by_sid(sid):
    return Capture.objects.select_related("owner").filter(sid=sid).first()


def public_capture(sid):
    """A capture its owner made public, by share id; NotFound for unknown and private ones alike."""
    capture = _by_sid(sid)
    if capture is None or not capture.is_public:
        raise NotFound("There is no public capture with this share id.")
    return capture


def shared_capture(sid, user=None):
    """A capture by share id for `user`: anyone when public, only its owner when private."""
    capture = _by_sid(sid)
    owner = user is not None and user.is_authenticated and capture is not None and capture.owner_id == user.pk
    if capture is None or not (capture.is_public or owner):
        raise NotFound("There is no public capture with this share id.")
    return capture


def _files(capture):
    # The newest item first; within an item, the newest iteration first (as Item.file picks).
    return ItemFile.objects.filter(item__capture=capture).order_by(
        "-item__created_at", F("iteration").desc(nulls_last=True))


def latest_files(capture):
    """{kind: ItemFile}: for each kind, the file of the newest of the capture's items that has one."""
    files = {}
    for item_file in _files(capture):
        files.setdefault(item_file.kind, item_file)
    return files


def latest_file(capture, kind):
    """The capture's newest file of `kind`, or NotFound."""
    item_file = _files(capture).filter(kind=kind).first()
    if item_file is None:
        raise NotFound(f"This capture has no {kind} file yet.")
    return item_file
