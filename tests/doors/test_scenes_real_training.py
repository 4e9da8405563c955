"""Seed 001 with the real gaussian-splatting pipeline at a tiny size: the chair phone video through
/user/scene/new, trained, and every requested output type read back as the file it claims to be."""

import io

import imageio_ffmpeg
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from plyfile import PlyData

from captures.models import Capture
from gallery.tasks import run_item
from tests.conftest import bearer
from tests.data import needs, shared
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), needs("videos/chair_orbit_136x240.mp4")]


def content(response):
    return b"".join(response.streaming_content)


def test_a_phone_video_trains_into_every_requested_output(api, settings, tmp_path):
    settings.RECONSTRUCTION_TRAIN_SIZE = 96
    auth = bearer(UserFactory(), door="scenes")
    video = shared("videos/chair_orbit_136x240.mp4").read_bytes()
    response = api.post("/user/scene/new", {
        "file": SimpleUploadedFile("chair.mp4", video, content_type="video/mp4"), "training_mode": "gaussian",
        "output_types": "splat_cloud,point_cloud,video", "save_iterations": "10,30", "total_iterations": "30",
    }, format="multipart", **auth)
    assert response.status_code == 202, response.content
    scene = response.json()["id"]
    for item in Capture.objects.get(eid=scene).items.order_by("created_at"):
        assert run_item(str(item.pk)) == "done", item.__class__.objects.get(pk=item.pk).failure_reason

    progress = api.get(f"/user/scene/progress/{scene}", **auth).json()
    assert (progress["processing"], progress["stage"]) == (False, "done")
    assert progress["overall_position"] == progress["overall_size"] == 100  # percent done, of 100
    resources = api.get(f"/user/scene/metadata/{scene}", **auth).json()["resources"]
    assert set(resources) == {"splat_cloud", "point_cloud", "video"}
    for output_type, saved in resources.items():
        assert set(saved) == {"10", "30"}, output_type
        assert all(entry["exists"] and entry["size"] > 0 for entry in saved.values()), output_type

    for iteration in (10, 30):
        splats = PlyData.read(io.BytesIO(content(api.get(
            f"/user/scene/output/splat_cloud/{scene}?iteration={iteration}", **auth))))
        names = [p.name for p in splats["vertex"].properties]
        assert splats["vertex"].count > 100 and {"f_dc_0", "opacity", "rot_3"} <= set(names)
        points = PlyData.read(io.BytesIO(content(api.get(
            f"/user/scene/output/point_cloud/{scene}?iteration={iteration}", **auth))))
        assert points["vertex"].count == splats["vertex"].count
        movie = tmp_path / f"orbit_{iteration}.mp4"
        movie.write_bytes(content(api.get(f"/user/scene/output/video/{scene}?iteration={iteration}", **auth)))
        frames, _ = imageio_ffmpeg.count_frames_and_secs(str(movie))
        assert frames > 10
    thumbnail = api.get(f"/user/scene/thumbnail/{scene}", **auth)
    assert thumbnail.status_code == 200 and content(thumbnail)[:3] == b"\xff\xd8\xff"
