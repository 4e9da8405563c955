"""End to end through the real worker cluster: an upload's preview job is picked up by
`manage.py qcluster`, moves through its stages and leaves a thumbnail and a GIF."""

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from captures import limits, services
from gallery.models import Item
from tests.cluster import cluster_can_share_database, cluster_log, running_cluster
from tests.data import SHARED_DATA, needs
from tests.factories import UserFactory

VIDEO = SHARED_DATA / "videos" / "lab4d_human-cap-3.mp4"


@pytest.fixture
def cluster(tmp_path):
    with running_cluster(tmp_path / "cluster.log") as process:
        yield process


@pytest.mark.django_db(transaction=True)
@needs(VIDEO)
def test_the_worker_cluster_runs_a_preview_job_to_done(cluster, tmp_path):
    if not cluster_can_share_database():
        pytest.skip("the cluster needs a database file it can share")
    upload = SimpleUploadedFile("walk.mp4", VIDEO.read_bytes(), content_type="video/mp4")
    capture = services.capture_from_upload(owner=UserFactory(), uploaded_file=upload, name="walk",
                                           limits=limits.ANY_VIDEO)
    (item,) = services.queue_preview(capture)
    seen_stages = set()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        item.refresh_from_db()
        seen_stages.add(item.stage)
        if item.is_finished:
            break
        time.sleep(0.2)
    assert item.status == Item.Status.DONE, (item.failure_reason, item.log, cluster_log(tmp_path / "cluster.log"))
    assert item.worker and item.started_at and item.finished_at
    with item.file("thumbnail").file.open("rb") as handle:
        assert Image.open(handle).format == "JPEG"
    with item.file("gif").file.open("rb") as handle:
        gif = Image.open(handle)
        assert gif.format == "GIF" and gif.n_frames > 1
    capture.refresh_from_db()
    assert capture.state == capture.State.READY
    assert capture.media_info["codec"] == "h264"
