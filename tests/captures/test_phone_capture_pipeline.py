"""Seed 004's commonformat-ios end to end: a phone's capture (real frames + transforms.json) is reconstructed by the
gaussian-splatting item with the phone's poses, checked but not re-estimated, at a tiny size."""

import json

import numpy as np
import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from plyfile import PlyData

from captures import services
from captures.models import Capture
from captures.reconstruction.scene import OPENGL_TO_OPENCV
from gallery.models import Item
from gallery.tasks import run_item
from tests.factories import UserFactory
from tests.phone_captures import lego_phone_zip, lego_transforms

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_phone_capture_with_consistent_poses_is_reconstructed_with_them_not_structure_from_motion(settings):
    settings.RECONSTRUCTION_FRAME_SIZE = 400
    settings.RECONSTRUCTION_TRAIN_SIZE = 48
    data = lego_phone_zip()
    capture = Capture.objects.create(owner=UserFactory(), name="lego", input_data_format="commonformat-ios",
                                     bytesize=len(data), num_parts=1, chunk_size=len(data), uploaded_at=timezone.now())
    capture.source.save("source.zip", ContentFile(data))
    item = services.queue_reconstruction(capture, iterations=10)

    assert run_item(str(item.pk)) == "done", Item.objects.get(pk=item.pk).failure_reason

    item.refresh_from_db()
    result = item.parameters["result"]
    check = result["poses_check"]
    assert result["poses"] == "phone" and check["consistent"] is True
    assert check["pairs"] >= 3 and check["median_error_degrees"] <= 0.5
    assert result["poses_note"] == (
        f"The phone's camera poses were used: {check['pairs']} matched pairs of {check['frames']} sample frames "
        f"agree with them (a median epipolar error of {check['median_error_degrees']:.2f} degrees).")
    # Every frame keeps the phone's pose: its world, position and scale; only the camera axes are OpenCV's.
    given = {f["file_path"].removeprefix("./") + ".png": np.array(f["transform_matrix"])
             for f in lego_transforms()["frames"]}
    cameras = json.loads(item.file("cameras").file.read())
    assert len(cameras) == result["registered"] == result["frames"] == 20
    for camera in cameras:
        assert np.allclose(np.reshape(camera["matrix"], (4, 4)), given[camera["name"]] @ OPENGL_TO_OPENCV, atol=1e-6)
    # The starting points were triangulated in that world: on the lego model, inside NeRF-synthetic's cube
    # (measured: 284 points, 98.6% inside).
    vertices = PlyData.read(item.file("point_cloud").file.path)["vertex"]
    triangulated = np.column_stack([vertices["x"], vertices["y"], vertices["z"]])[:check["triangulated_points"]]
    assert len(triangulated) >= 100 and np.mean(np.abs(triangulated).max(axis=1) <= 1.5) >= 0.95
