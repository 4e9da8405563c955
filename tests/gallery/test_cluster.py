"""End to end through the real worker cluster: an upload's preview job is picked up by
`manage.py qcluster`, moves through its stages and leaves a thumbnail and a GIF."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from PIL import Image

from captures import limits, services
from gallery.models import Item
from tests.conftest import SHARED_DATA
from tests.factories import UserFactory

VIDEO = SHARED_DATA / "videos" / "lab4d_human-cap-3.mp4"
BASE_DIR = Path(__file__).resolve().parents[2]


def database_url():
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.fixture
def cluster():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": database_url(),
           "MEDIA_ROOT": str(settings.MEDIA_ROOT), "ATLAS_WORKERS": "1"}
    process = subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=BASE_DIR, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    yield process
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not VIDEO.exists(), reason=f"real test video not found at {VIDEO}")
def test_the_worker_cluster_runs_a_preview_job_to_done(cluster):
    if connection.vendor == "sqlite" and "memory" in connection.settings_dict["NAME"]:
        pytest.skip("the cluster needs a database file it can share")
    upload = SimpleUploadedFile("walk.mp4", VIDEO.read_bytes(), content_type="video/mp4")
    capture = services.capture_from_upload(owner=UserFactory(), uploaded_file=upload, name="walk",
                                           limits=limits.ANY_VIDEO)
    item = services.queue_preview(capture)
    seen_stages = set()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        item.refresh_from_db()
        seen_stages.add(item.stage)
        if item.is_finished:
            break
        time.sleep(0.2)
    assert item.status == Item.Status.DONE, (item.failure_reason, item.log)
    assert item.worker and item.started_at and item.finished_at
    with item.file("thumbnail").file.open("rb") as handle:
        assert Image.open(handle).format == "JPEG"
    with item.file("gif").file.open("rb") as handle:
        gif = Image.open(handle)
        assert gif.format == "GIF" and gif.n_frames > 1
    capture.refresh_from_db()
    assert capture.state == capture.State.FINISHED
    assert capture.media_info["codec"] == "h264"
