"""Adding a pipeline is one registration: a toy one, registered only in this test, shows up in the dashboard,
the admin, the scenes door and its items' downloads, though none of those names it anywhere."""

import io
import json
import tarfile
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from captures import services as captures
from captures.models import Capture
from gallery import pipelines
from gallery import services as gallery
from gallery.models import Item
from gallery.tasks import Progress, run_item
from tests.conftest import bearer
from tests.data import shared
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

VIDEO = "videos/chair_orbit_136x240.mp4"
PLY = "ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\nproperty float z\nend_header\n" \
      "0 0 0\n1 0 0\n0 1 0\n"


def carve_toy_relief(item, job):
    """Writes a real (tiny) point set at each saved iteration and a final one."""
    iterations = item.parameters["save_iterations"]
    outputs = []
    for done, iteration in enumerate(iterations, start=1):
        path = job.work_dir / f"relief_{iteration}.ply"
        path.write_text(PLY)
        outputs.append(pipelines.Output("point_cloud", path, iteration=iteration))
        job.report("carve", done, len(iterations))
    job.report("paint", 0, 1)
    final = job.work_dir / "relief.ply"
    final.write_text(PLY)
    outputs.append(pipelines.Output("relief", final, content_type="application/octet-stream"))
    return outputs


@pytest.fixture(autouse=True)
def toy_pipeline():
    pipelines.register(
        "test-toy-relief", timeout=60, label="Toy relief", category="reconstruction", aliases=("toy",),
        method="Carves three points (a toy registered by this test).",
        stages=[("carve", "Carving the toy relief"), ("paint", "Painting the relief")],
        outputs=[pipelines.OutputKind("relief", "application/octet-stream", "Toy relief (.ply)"),
                 pipelines.OutputKind("point_cloud", "application/octet-stream", "Relief points (.ply)",
                                      per_iteration=True)],
        inputs=[pipelines.Input("captures.capture", ("video",))],
        parameters=[pipelines.Parameter("iterations", default=3, minimum=1, maximum=10),
                    pipelines.Parameter("save_iterations", default=lambda: [3], minimum=1, maximum=10, many=True),
                    pipelines.Parameter("output_types", default=lambda: ["point_cloud"], many=True)],
    )(carve_toy_relief)
    yield
    pipelines.unregister("test-toy-relief")


def uploaded_capture(owner):
    upload = SimpleUploadedFile("chair.mp4", shared(VIDEO).read_bytes(), content_type="video/mp4")
    return captures.capture_from_upload(owner=owner, uploaded_file=upload, name="Toy chair",
                                        limits={"formats": {"mp4"}})


def test_the_dashboard_offers_it_labels_its_stages_and_lists_its_outputs(client):
    owner = UserFactory()
    client.force_login(owner)
    form = client.get("/captures/new/").content.decode()
    assert '<option value="test-toy-relief">Toy relief</option>' in form

    capture = uploaded_capture(owner)
    item = captures.queue_reconstruction(capture, method="test-toy-relief")
    assert item.parameters == {"iterations": 3, "save_iterations": [3], "output_types": ["point_cloud"]}
    gallery.claim(item.pk)
    Progress(item).report("carve", 0, 1)
    status = client.get(f"/captures/{capture.eid}/status.json").json()
    assert (status["state"], status["step"], status["stage_label"]) == ("PROCESSING", "Toy relief",
                                                                       "Carving the toy relief")
    Item.objects.filter(pk=item.pk).update(status=Item.Status.QUEUED)
    assert run_item(str(item.pk)) == "done"

    page = client.get(f"/captures/{capture.eid}/").content.decode()
    assert "Toy relief (.ply)" in page and "Relief points (.ply)" in page
    download = client.get(f"/captures/{capture.eid}/files/relief/relief.ply?download=1")
    assert download.status_code == 200 and b"".join(download.streaming_content).decode() == PLY


def test_the_admin_shows_its_name_stage_and_method(client):
    owner = UserFactory()
    item = captures.queue_reconstruction(uploaded_capture(owner), method="test-toy-relief")
    gallery.claim(item.pk)
    Progress(item).report("paint", 0, 1)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    listing = client.get("/admin/gallery/item/").content.decode()
    assert "Toy relief" in listing and "Painting the relief" in listing
    change = client.get(f"/admin/gallery/item/{item.pk}/change/").content.decode()
    assert "Carves three points (a toy registered by this test)." in change
    assert "Toy chair" in change  # what it was made from


def test_the_scenes_door_trains_with_it_and_serves_its_outputs(api):
    owner = UserFactory()
    auth = bearer(owner, door="scenes")
    response = api.post("/user/scene/new", {
        "file": SimpleUploadedFile("chair.mp4", shared(VIDEO).read_bytes(), content_type="video/mp4"),
        "training_mode": "toy", "output_types": "point_cloud", "save_iterations": "2,3", "total_iterations": "3",
    }, format="multipart", **auth)
    assert response.status_code == 202, response.content
    scene = response.json()["id"]
    capture = Capture.objects.get(eid=scene)
    for item in capture.items.order_by("created_at"):
        assert run_item(str(item.pk)) == "done", item.failure_reason

    resources = api.get(f"/user/scene/metadata/{scene}", **auth).json()["resources"]
    assert set(resources) == {"point_cloud"} and set(resources["point_cloud"]) == {"2", "3"}
    assert all(entry["exists"] and entry["size"] == len(PLY) for entry in resources["point_cloud"].values())
    output = api.get(f"/user/scene/output/point_cloud/{scene}?iteration=2", **auth)
    assert output.status_code == 200 and b"".join(output.streaming_content).decode() == PLY


def test_its_items_download_through_the_atlas_door_with_their_input(api):
    owner = UserFactory()
    auth = bearer(owner)
    item = captures.queue_reconstruction(uploaded_capture(owner), method="test-toy-relief")
    assert run_item(str(item.pk)) == "done"

    detail = api.get(f"/atlas/item/detail/{item.pk}", **auth).json()
    assert (detail["modelName"], detail["Status"]) == ("test-toy-relief", "OK")
    output = api.get(f"/atlas/item/output/{item.pk}", **auth)
    with zipfile.ZipFile(io.BytesIO(b"".join(output.streaming_content))) as archive:
        assert sorted(archive.namelist()) == ["relief.ply", "relief_3.ply"]
        assert archive.read("relief.ply").decode() == PLY
    request = api.get(f"/atlas/item/request/{item.pk}", **auth)
    with tarfile.open(fileobj=io.BytesIO(b"".join(request.streaming_content)), mode="r:gz") as archive:
        described = json.load(archive.extractfile("request.json"))
        assert described["source"]["type"] == "captures.capture" and described["inputs"] == ["input/chair.mp4"]
        assert archive.extractfile("input/chair.mp4").read() == shared(VIDEO).read_bytes()


def test_an_item_made_from_another_domains_object_archives_its_request():
    """The engine knows no domain: an item's source can be any model; one that lists no inputs packs none."""
    from gallery import selectors

    owner = UserFactory()
    pipelines.register("test-toy-from-account", timeout=60, label="From an account", method="Nothing.",
                       stages=["look"])(lambda item, job: [])
    try:
        item = gallery.create_item(owner=owner, name="from me", pipeline="test-toy-from-account", source=owner)
        assert item.source == owner
        with tarfile.open(fileobj=selectors.request_archive(item), mode="r:gz") as archive:
            described = json.load(archive.extractfile("request.json"))
        assert described["source"] == {"type": "accounts.user", "id": str(owner.pk)}
        assert described["inputs"] == []
    finally:
        pipelines.unregister("test-toy-from-account")
