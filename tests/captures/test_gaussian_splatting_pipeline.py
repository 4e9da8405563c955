"""A capture of real photos, reconstructed end to end by the gaussian-splatting item at a tiny size:
structure-from-motion places the photos, training runs, and the outputs open as the formats they claim."""

import io
import json
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image
from plyfile import PlyData

from captures import services
from captures.models import Capture, WorkerSpeed
from captures.reconstruction.formats.ksplat import read_ksplat
from captures.reconstruction.formats.sog import read_sog
from captures.reconstruction.splat_io import read_splat
from gallery.models import Item
from gallery.tasks import run_item
from tests.data import SHARED_DATA, needs
from tests.factories import UserFactory

PHOTOS = SHARED_DATA / "multiview_milk" / "images"


def photo_zip(count):
    names = sorted(PHOTOS.glob("*.jpg"), key=lambda p: int(p.stem))[:count]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in names:
            archive.write(path, f"milk/{path.name}")
    return buffer.getvalue()


@pytest.mark.django_db(transaction=True)
@needs(PHOTOS)
def test_a_photo_capture_is_reconstructed_into_splats(settings):
    settings.RECONSTRUCTION_FRAME_SIZE = 760
    settings.RECONSTRUCTION_TRAIN_SIZE = 96
    data = photo_zip(12)
    upload = SimpleUploadedFile("milk.zip", data, content_type="application/zip")
    owner = UserFactory()
    capture = Capture.objects.create(owner=owner, name="milk", input_data_format="bulk-images", bytesize=len(data),
                                     num_parts=1, chunk_size=len(data))
    capture.source.save("milk.zip", upload)
    capture.uploaded_at = timezone.now()
    capture.save()
    item = services.queue_reconstruction(capture, iterations=40, save_iterations=[20],
                                         output_types=["splat_cloud", "point_cloud"])

    assert run_item(str(item.pk)) == "done", Item.objects.get(pk=item.pk).failure_reason
    item.refresh_from_db()
    result = item.parameters["result"]
    assert result["registered"] >= 10 and result["frames"] == 12
    assert item.overall_position == item.overall_size == 5

    ply = PlyData.read(item.file("ply").file.path)
    names = [p.name for p in ply["vertex"].properties]
    assert names[:3] == ["x", "y", "z"] and "f_dc_0" in names and "rot_3" in names
    count = ply["vertex"].count
    assert count == result["num_gaussians"] > 0
    splat = item.file("splat")
    assert splat.size == 32 * count and len(read_splat(splat.file.path).positions) == count
    sog = item.file("sog")
    assert sog.content_type == "application/zip" and len(read_sog(sog.file.path)) == count
    for level in (0, 1, 2):
        assert len(read_ksplat(item.file(f"ksplat-{level}").file.path)) == count
    cameras = json.loads(item.file("cameras").file.read())
    assert len(cameras) == result["registered"] and len(cameras[0]["matrix"]) == 16
    assert item.file("video").content_type == "video/mp4"
    assert item.file("splat_cloud", iteration=20) and item.file("point_cloud", iteration=20)
    capture.refresh_from_db()
    assert capture.state == Capture.State.READY
    # The run was estimated before it started, from this machine's measured speed, and taught it.
    assert (result["preset"], result["iterations"], result["train_size"]) == ("custom", 40, 96)
    assert set(result["expected_seconds"]) == {"frames", "poses", "training", "export"}
    speed = WorkerSpeed.objects.get()
    assert speed.runs == 1 and set(speed.corrections) == {"frames", "poses", "training", "export"}


@pytest.mark.django_db(transaction=True)
def test_too_few_photos_fail_with_a_reason_a_person_can_act_on():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for index in range(3):
            image = io.BytesIO()
            Image.new("RGB", (64, 48), (index * 40, 90, 160)).save(image, "JPEG")
            archive.writestr(f"{index}.jpg", image.getvalue())
    data = buffer.getvalue()
    capture = Capture.objects.create(owner=UserFactory(), name="three", input_data_format="bulk-images",
                                     bytesize=len(data), num_parts=1, chunk_size=len(data))
    capture.source.save("three.zip", SimpleUploadedFile("three.zip", data))
    item = services.queue_reconstruction(capture, iterations=10)
    assert run_item(str(item.pk)) == "failed"
    item.refresh_from_db()
    assert item.failure_reason == ("The image set gives only 3 usable photos; at least 8 are needed to reconstruct an "
                                   "object. Upload at least 8 photos of the object, taken from all around it.")
