"""Seed 004's commonformat-ios: a phone's capture (frames + transforms.json) reconstructed with the phone's poses
when they agree with the frames, by structure-from-motion when not, at tiny sizes on real data."""

import json

import numpy as np
import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from captures import services
from captures.models import Capture
from captures.reconstruction.scene import OPENGL_TO_OPENCV
from gallery.models import Item
from gallery.tasks import run_item
from tests.factories import UserFactory
from tests.phone_captures import lego_phone_zip, lego_transforms

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def tiny(settings):
    settings.RECONSTRUCTION_FRAME_SIZE = 400
    settings.RECONSTRUCTION_TRAIN_SIZE = 48


def phone_capture(data, input_data_format=Capture.Format.COMMONFORMAT_IOS):
    capture = Capture.objects.create(owner=UserFactory(), name="lego", input_data_format=input_data_format,
                                     bytesize=len(data), num_parts=1, chunk_size=len(data), uploaded_at=timezone.now())
    capture.source.save("source.zip", ContentFile(data))
    return capture


def test_a_phone_capture_with_consistent_poses_is_reconstructed_without_structure_from_motion(tiny):
    capture = phone_capture(lego_phone_zip())
    item = services.queue_reconstruction(capture, iterations=10)

    assert run_item(str(item.pk)) == "done", Item.objects.get(pk=item.pk).failure_reason
    item.refresh_from_db()
    result = item.parameters["result"]
    print(json.dumps(result, indent=1))
    assert result["poses"] == "phone"
    cameras = json.loads(item.file("cameras").file.read())
    given = {f["file_path"].split("/")[-1]: np.array(f["transform_matrix"]) for f in lego_transforms()["frames"]}
    assert len(cameras) == result["registered"] == result["frames"] == 20
    for camera in cameras:
        expected = given[camera["name"].removeprefix("train/").removesuffix(".png")] @ OPENGL_TO_OPENCV
        assert np.allclose(np.reshape(camera["matrix"], (4, 4)), expected, atol=1e-6)
