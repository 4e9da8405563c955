"""Deleting an account removes everything it owns: captures, items and their files in storage."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts import services as accounts
from captures import limits
from captures import services as captures
from captures.models import Capture
from gallery.models import Item, ItemFile
from gallery.tasks import run_item
from tests.data import SHARED_DATA, needs
from tests.factories import UserFactory

VIDEO = SHARED_DATA / "videos" / "lab4d_human-cap-3.mp4"


@pytest.mark.django_db(transaction=True)
@needs(VIDEO)
def test_deleting_an_account_removes_its_captures_items_and_files():
    owner, neighbour = UserFactory(), UserFactory()
    made = []
    for user in (owner, neighbour):
        upload = SimpleUploadedFile("walk.mp4", VIDEO.read_bytes(), content_type="video/mp4")
        capture = captures.capture_from_upload(owner=user, uploaded_file=upload, name="walk",
                                               limits=limits.ANY_VIDEO)
        (item,) = captures.queue_preview(capture)
        assert run_item(str(item.pk)) == "done"
        made.append([Path(capture.source.path)] + [Path(f.file.path) for f in item.files.all()])
    owner_files, neighbour_files = made
    assert all(p.exists() for p in owner_files + neighbour_files)

    accounts.delete_account(owner)

    assert not any(p.exists() for p in owner_files)
    assert all(p.exists() for p in neighbour_files)  # nothing of another user's is touched
    assert Capture.objects.filter(owner=neighbour).count() == 1
    assert not Capture.objects.filter(owner_id=owner.pk).exists()
    assert not Item.objects.filter(owner_id=owner.pk).exists()
    assert ItemFile.objects.count() == 2
