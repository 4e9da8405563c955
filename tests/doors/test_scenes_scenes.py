"""Seed 001, the scenes door's scenes: /user/scene/... at its exact paths, bodies and status codes.

A real phone video is uploaded; its preview (thumbnail + gif) and its training run through the real
worker task. The training here is a small real pipeline registered only for these tests: it writes
real files (ASCII PLY point sets, an MP4) for each requested output at each saved iteration, and never
a model, so that output stays missing as the seed's example shows for iteration 30000.
"""

import io
import uuid
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from captures import scenes as scene_service
from captures.models import Capture
from captures.services import capture_from_upload, queue_preview
from gallery import pipelines
from gallery import services as gallery_services
from gallery.models import Item, ItemFile
from gallery.tasks import Progress, run_item
from media import MediaError, check_limits, probe
from tests.conftest import bearer
from tests.data import SHARED_DATA, shared
from tests.downloads import DATA, assert_range_downloads
from tests.pipelines import answer_alias_with

pytestmark = pytest.mark.django_db(transaction=True)

NEW = "/user/scene/new"
HISTORY = "/user/scene/history"
MIB = 1024 * 1024
CREATED_MESSAGE = "Video received and processing scene. Check back later for updates."
HUMAN_VIDEO = SHARED_DATA / "videos" / "lab4d_human-cap-3.mp4"
PHOTO = SHARED_DATA / "faces" / "fer_multi.jpg"

# The seed's example bodies, to compare keys with.
SEED_METADATA_EXAMPLE = {
    "uuid": "5f9b2c1b3e7a8d1234567890", "status": 200, "error": 0,
    "message": "Scene metadata retrieved successfully",
    "resources": {"splat_cloud": {"1000": {"exists": True, "size": 1048576, "chunks": 1, "last_chunk_size": 1048576}}},
}
SEED_PROGRESS_EXAMPLE = {
    "uuid": "5f9b2c1b3e7a8d1234567890", "status": 200, "error": 0,
    "message": "Scene progress retrieved successfully", "processing": True, "overall_position": 3,
    "overall_size": 10, "stage": "nerf_list", "current_position": 1, "current_size": 5,
}
OUTPUT_ORDER = ("splat_cloud", "point_cloud", "video", "model")
RESOURCE_KEYS = set(SEED_METADATA_EXAMPLE["resources"]["splat_cloud"]["1000"])


def metadata(scene_id):
    return f"/user/scene/metadata/{scene_id}"


def output(output_type, scene_id):
    return f"/user/scene/output/{output_type}/{scene_id}"


def thumbnail(scene_id):
    return f"/user/scene/thumbnail/{scene_id}"


def name(scene_id):
    return f"/user/scene/name/{scene_id}"


def progress(scene_id):
    return f"/user/scene/progress/{scene_id}"


def delete(scene_id):
    return f"/user/scene/delete/{scene_id}"


# --- the test-only training pipeline -----------------------------------------------------------

OBSERVERS = []  # called with the item after each saved iteration, while the job is processing


def write_ply(path, count, seed):
    rng = np.random.default_rng(seed)
    xyz, rgb = rng.normal(size=(count, 3)), rng.integers(0, 256, size=(count, 3))
    header = (f"ply\nformat ascii 1.0\nelement vertex {count}\nproperty float x\nproperty float y\n"
              "property float z\nproperty uchar red\nproperty uchar green\nproperty uchar blue\nend_header\n")
    rows = "".join(f"{x:.6f} {y:.6f} {z:.6f} {r} {g} {b}\n" for (x, y, z), (r, g, b) in zip(xyz, rgb, strict=True))
    path.write_text(header + rows)
    return path


def write_video(path, frame_count):
    writer = imageio_ffmpeg.write_frames(str(path), (64, 64), fps=8, codec="libx264", pix_fmt_out="yuv420p")
    writer.send(None)
    for index in range(frame_count):
        frame = np.full((64, 64, 3), (index * 20) % 256, dtype=np.uint8)
        frame[:, : 8 + index * 4] = (0, 120, 255)
        writer.send(frame.tobytes())
    writer.close()
    return path


SNAPSHOTS = [pipelines.OutputKind(kind, "application/octet-stream", kind, per_iteration=True)
             for kind in ("splat_cloud", "point_cloud", "video")]
TRAINING_PARAMETERS = [pipelines.Parameter("iterations", default=10, minimum=1, maximum=100_000),
                       pipelines.Parameter("save_iterations", default=list, minimum=1, many=True),
                       pipelines.Parameter("output_types", default=list, many=True)]
AS_TRAINING = {"category": "reconstruction", "inputs": [pipelines.Input("captures.capture")], "outputs": SNAPSHOTS,
               "parameters": TRAINING_PARAMETERS, "label": "Test training", "method": "Writes test files."}


@pipelines.register("test-scene-training", timeout=600, stages=("train", "save"), **AS_TRAINING)
def train_for_tests(item, job):
    """Saves splat_cloud (1000 points per iteration: over 1 MiB at 30), point_cloud (100 points per
    iteration) and video (more frames at later iterations) at each saved iteration; never a model."""
    parameters = item.parameters
    iterations = parameters["save_iterations"]
    outputs = []
    for step, iteration in enumerate(iterations, start=1):
        for kind in parameters["output_types"]:
            if kind == "splat_cloud":
                path = write_ply(job.work_dir / f"splat_{iteration}.ply", 1000 * iteration, seed=iteration)
                outputs.append(pipelines.Output(kind, path, iteration, "application/octet-stream"))
            elif kind == "point_cloud":
                path = write_ply(job.work_dir / f"points_{iteration}.ply", 100 * iteration, seed=iteration + 1)
                outputs.append(pipelines.Output(kind, path, iteration, "application/octet-stream"))
            elif kind == "video":
                path = write_video(job.work_dir / f"orbit_{iteration}.mp4", 4 + iteration // 5)
                outputs.append(pipelines.Output(kind, path, iteration, "video/mp4"))
        job.report("train", step, len(iterations))
        for observe in OBSERVERS:
            observe(item)
    job.report("save", len(outputs), len(outputs))
    return outputs


@pipelines.register("test-scene-refuse", timeout=60, stages=("train",), **AS_TRAINING)
def refuse_for_tests(item, job):
    job.report("train", 0, 1)
    raise pipelines.PipelineFailed("fewer than 20 frames could be registered: film more slowly, all around")


@pytest.fixture(autouse=True)
def training(monkeypatch):
    """"gaussian" trains with the test pipeline; "tensorf" keeps its real, not yet installed, pipeline."""
    answer_alias_with(monkeypatch, "gaussian", "test-scene-training")
    OBSERVERS.clear()
    yield
    OBSERVERS.clear()


@pytest.fixture
def video():
    return shared(HUMAN_VIDEO)


# --- helpers -----------------------------------------------------------------------------------

FIELDS = {"training_mode": "gaussian", "output_types": "splat_cloud,point_cloud,video,model",
          "save_iterations": "10,30", "total_iterations": "30"}


def upload(api, headers, path=None, *, filename=None, content=None, **fields):
    """POSTs /user/scene/new; a field given as None is left out."""
    data = {**FIELDS, **fields}
    if content is None and path is not None:
        content = Path(path).read_bytes()
    if content is not None:
        data["file"] = SimpleUploadedFile(filename or Path(path).name, content, content_type="video/mp4")
    data = {key: value for key, value in data.items() if value is not None}
    return api.post(NEW, data, format="multipart", **headers)


def new_scene(api, headers, path, **fields):
    response = upload(api, headers, path, **fields)
    assert response.status_code == 202, response.content
    return response.json()["id"]


def item_of(scene_id, pipeline):
    return Item.objects.get(capture__eid=scene_id, pipeline=pipeline)


def run_scene(scene_id, training="test-scene-training"):
    assert run_item(str(item_of(scene_id, "preview").pk)) == "done"
    run_item(str(item_of(scene_id, training).pk))


def assert_error(response, status):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"status", "error", "message"}
    assert body["status"] == status and body["error"] == 1
    assert isinstance(body["message"], str) and body["message"]
    return body["message"]


def content_of(response):
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def stored_bytes(scene_id, kind, iteration):
    item_file = item_of(scene_id, "test-scene-training").file(kind, iteration)
    return Path(item_file.file.path).read_bytes()


def expected_resource(data):
    if data is None:
        return {"exists": False, "size": 0, "chunks": 0, "last_chunk_size": 0}
    chunks = -(-len(data) // MIB)
    return {"exists": True, "size": len(data), "chunks": chunks, "last_chunk_size": len(data) - (chunks - 1) * MIB}


def progress_body(scene_id, **fields):
    return {"uuid": scene_id, "status": 200, "error": 0, "message": "Scene progress retrieved successfully",
            **fields}


def storage_files(settings):
    root = Path(settings.MEDIA_ROOT)
    return sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file()) if root.exists() else []


# --- the seed's flow, end to end -----------------------------------------------------------------

def test_seed_scene_flow(api, user, other_user, video):
    mine, theirs = bearer(user, door="scenes"), bearer(other_user)
    earlier = new_scene(api, theirs, video)  # two items queued ahead: its preview and its training

    response = upload(api, mine, video, scene_name="Lab walk")
    assert response.status_code == 202
    body = response.json()
    assert body == {"id": body["id"], "message": CREATED_MESSAGE}
    scene_id = body["id"]
    assert str(uuid.UUID(scene_id)) == scene_id
    training = item_of(scene_id, "test-scene-training")
    assert training.parameters == {"output_types": ["splat_cloud", "point_cloud", "video", "model"],
                                   "save_iterations": [10, 30], "iterations": 30}

    # Waiting: two items ahead in the queue, four waiting in all.
    response = api.get(progress(scene_id), **mine)
    assert response.status_code == 200
    assert set(response.json()) == set(SEED_PROGRESS_EXAMPLE)
    assert response.json() == progress_body(scene_id, processing=True, overall_position=2, overall_size=4,
                                            stage="queued", current_position=0, current_size=0)
    nothing = expected_resource(None)
    response = api.get(metadata(scene_id), **mine)
    assert response.status_code == 200
    assert response.json() == {
        "uuid": scene_id, "status": 200, "error": 0, "message": "Scene metadata retrieved successfully",
        "resources": {kind: {"10": nothing, "30": nothing} for kind in OUTPUT_ORDER},
    }
    assert_error(api.get(thumbnail(scene_id), **mine), 404)
    assert_error(api.get(output("splat_cloud", scene_id), **mine), 404)

    run_scene(earlier)
    response = api.get(progress(scene_id), **mine)
    assert response.json() == progress_body(scene_id, processing=True, overall_position=0, overall_size=2,
                                            stage="queued", current_position=0, current_size=0)

    # The preview is made: the thumbnail appears and the training is next in the queue.
    assert run_item(str(item_of(scene_id, "preview").pk)) == "done"
    response = api.get(progress(scene_id), **mine)
    assert response.json() == progress_body(scene_id, processing=True, overall_position=0, overall_size=1,
                                            stage="queued", current_position=0, current_size=0)
    response = api.get(thumbnail(scene_id), HTTP_ACCEPT="image/jpeg", **mine)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    jpeg = content_of(response)
    assert jpeg[:3] == b"\xff\xd8\xff"
    with Image.open(io.BytesIO(jpeg)) as image:
        assert image.format == "JPEG" and max(image.size) <= 512

    # While training: the training's percentage out of 100 (half of the first of two equal stages: 25%), its
    # stage and its steps.
    seen = []
    OBSERVERS.append(lambda item: seen.append(api.get(progress(scene_id), **mine).json()))
    assert run_item(str(training.pk)) == "done"
    assert seen[0] == progress_body(scene_id, processing=True, overall_position=25, overall_size=100, stage="train",
                                    current_position=1, current_size=2)

    response = api.get(progress(scene_id), **mine)
    assert response.json() == progress_body(scene_id, processing=False, overall_position=100, overall_size=100,
                                            stage="done", current_position=6, current_size=6)

    # Metadata: every requested output at every saved iteration, sizes and 1 MiB chunks exact.
    files = {(kind, n): stored_bytes(scene_id, kind, n) for kind in ("splat_cloud", "point_cloud", "video")
             for n in (10, 30)}
    response = api.get(metadata(scene_id), **mine)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == set(SEED_METADATA_EXAMPLE)
    assert list(body["resources"]) == list(OUTPUT_ORDER)
    assert all(set(entry) == RESOURCE_KEYS for kind in body["resources"].values() for entry in kind.values())
    assert body == {
        "uuid": scene_id, "status": 200, "error": 0, "message": "Scene metadata retrieved successfully",
        "resources": {
            **{kind: {str(n): expected_resource(files[kind, n]) for n in (10, 30)}
               for kind in ("splat_cloud", "point_cloud", "video")},
            "model": {"10": nothing, "30": nothing},
        },
    }
    splat = files["splat_cloud", 30]
    assert len(splat) > MIB and body["resources"]["splat_cloud"]["30"]["chunks"] == 2
    assert body["resources"]["splat_cloud"]["30"]["last_chunk_size"] == len(splat) - MIB
    assert body["resources"]["splat_cloud"]["10"]["chunks"] == 1

    # Chunks reassemble to the file's exact bytes.
    chunks = []
    for index in range(2):
        response = api.get(output("splat_cloud", scene_id), {"iteration": 30, "chunk": index}, **mine)
        assert response.status_code == 200 and response["X-Chunks"] == "2"
        chunks.append(content_of(response))
    assert [len(c) for c in chunks] == [MIB, len(splat) - MIB]
    assert b"".join(chunks) == splat
    assert splat.startswith(b"ply\nformat ascii 1.0\nelement vertex 30000\n")
    message = assert_error(api.get(output("splat_cloud", scene_id), {"iteration": 30, "chunk": 2}, **mine), 400)
    assert message == "chunk must be from 0 to 1: this file has 2 chunk(s) of 1 MiB."

    assert api.get(name(scene_id), **mine).json() == {"name": "Lab walk"}
    assert api.get(HISTORY, **mine).json() == {"resources": [scene_id]}
    assert api.get(HISTORY, **theirs).json() == {"resources": [earlier]}

    response = api.delete(delete(scene_id), **mine)
    assert response.status_code == 200
    assert response.json() == {"message": "Scene deleted"}
    assert api.get(HISTORY, **mine).json() == {"resources": []}
    assert_error(api.get(name(scene_id), **mine), 404)


def test_outputs_are_chosen_by_iteration_and_the_latest_by_default(api, user, video):
    auth = bearer(user)
    scene_id = new_scene(api, auth, video)
    run_scene(scene_id)

    latest = api.get(output("splat_cloud", scene_id), **auth)
    assert latest.status_code == 200 and latest["Content-Type"] == "application/octet-stream"
    assert latest["Accept-Ranges"] == "bytes"
    latest = content_of(latest)
    assert latest == stored_bytes(scene_id, "splat_cloud", 30)
    earlier = content_of(api.get(output("splat_cloud", scene_id), {"iteration": 10}, **auth))
    assert earlier == stored_bytes(scene_id, "splat_cloud", 10) and earlier != latest

    response = api.get(output("video", scene_id), {"iteration": "10"}, HTTP_ACCEPT="video/mp4", **auth)
    assert response.status_code == 200 and response["Content-Type"] == "video/mp4"
    clip = content_of(response)
    assert clip == stored_bytes(scene_id, "video", 10) and clip[4:8] == b"ftyp"
    points = content_of(api.get(output("point_cloud", scene_id), {"chunk": 0}, **auth))
    assert points == stored_bytes(scene_id, "point_cloud", 30)
    header, _, rows = points.partition(b"end_header\n")
    assert b"element vertex 3000\n" in header and rows.count(b"\n") == 3000

    # HTTP Range is honoured on whole files.
    ranged = api.get(output("splat_cloud", scene_id), HTTP_RANGE="bytes=100-199", **auth)
    assert ranged.status_code == 206 and ranged["Content-Range"] == f"bytes 100-199/{len(latest)}"
    assert content_of(ranged) == stored_bytes(scene_id, "splat_cloud", 30)[100:200]

    assert_error(api.get(output("splat_cloud", scene_id), {"iteration": 20}, **auth), 404)
    assert_error(api.get(output("model", scene_id), **auth), 404)
    refusals = [assert_error(api.get(output("mesh", scene_id), **auth), 400),
                assert_error(api.get(output("video", scene_id), {"iteration": 0}, **auth), 400),
                assert_error(api.get(output("video", scene_id), {"iteration": "x"}, **auth), 400),
                assert_error(api.get(output("video", scene_id), {"chunk": -1}, **auth), 400)]
    assert refusals == ["output_type must be one of splat_cloud, point_cloud, video, model.",
                        "iteration: Ensure this value is greater than or equal to 1.",
                        "iteration: A valid integer is required.",
                        "chunk: Ensure this value is greater than or equal to 0."]


def test_progress_shows_the_preview_stage_while_the_preview_runs(api, user, video):
    auth = bearer(user)
    scene_id = new_scene(api, auth, video)
    preview = gallery_services.claim(item_of(scene_id, "preview").pk)
    Progress(preview).report("probe", 0, 1)

    # The start of the second of the preview's three equal stages: 33 out of 100.
    response = api.get(progress(scene_id), **auth)
    assert response.json() == progress_body(scene_id, processing=True, overall_position=33, overall_size=100,
                                            stage="probe", current_position=0, current_size=1)


def test_a_failed_training_reports_failed_with_its_reason(api, user, video, monkeypatch):
    answer_alias_with(monkeypatch, "gaussian", "test-scene-refuse")
    auth = bearer(user)
    scene_id = new_scene(api, auth, video)
    run_scene(scene_id, training="test-scene-refuse")

    body = api.get(progress(scene_id), **auth).json()
    assert set(body) == set(SEED_PROGRESS_EXAMPLE) | {"failure_reason"}
    assert body == progress_body(scene_id, processing=False, overall_position=0, overall_size=100, stage="failed",
                                 current_position=0, current_size=1,
                                 failure_reason="fewer than 20 frames could be registered: film more slowly, "
                                                "all around")


def test_the_name_defaults_to_the_file_name(api, user, video):
    auth = bearer(user)
    scene_id = new_scene(api, auth, video, filename="kitchen.mp4", scene_name="  ")
    assert api.get(name(scene_id), **auth).json() == {"name": "kitchen.mp4"}


def test_a_name_with_a_control_character_says_which_and_where(api, user):
    response = upload(api, bearer(user), filename="clip.mp4", content=b"not read", scene_name="Kitchen\tTake 2")
    assert assert_error(response, 400) == (
        "scene_name: The name contains a tab (U+0009) at character 8. "
        "Names must be one line of visible text: remove it and try again.")


def trained_scene(owner, data, iteration=30):
    """A scene whose training saved `data` as its splat_cloud at `iteration`, made as the services store it."""
    capture = Capture.objects.create(owner=owner, name="Ranges", bytesize=len(data), uploaded_at=timezone.now())
    item = Item.objects.create(owner=owner, name="Ranges", pipeline="test-scene-training", source=capture,
                               status=Item.Status.DONE, parameters={**FIELDS, "save_iterations": [iteration]})
    item_file = ItemFile(item=item, kind="splat_cloud", iteration=iteration, content_type="application/octet-stream",
                         size=len(data))
    item_file.file.save("splat.ply", ContentFile(data), save=True)
    return str(capture.eid)


def test_outputs_answer_every_range_form_byte_for_byte(api, user):
    auth = bearer(user)
    scene_id = trained_scene(user, DATA)
    assert_range_downloads(lambda header: api.get(output("splat_cloud", scene_id), HTTP_RANGE=header, **auth))
    chunk = api.get(output("splat_cloud", scene_id), {"chunk": 0}, **auth)
    assert chunk.status_code == 200 and content_of(chunk) == DATA
    assert chunk["Content-Disposition"] == "attachment; filename=\"splat.ply\"; filename*=UTF-8''splat.ply"


@pytest.mark.parametrize("query", [{"iteration": 2**63}, {"iteration": 100_001}, {"iteration": "9" * 5000}])
def test_an_iteration_past_any_training_is_400(api, user, query):
    auth = bearer(user)
    scene_id = trained_scene(user, DATA)
    assert assert_error(api.get(output("splat_cloud", scene_id), query, **auth), 400).startswith("iteration:")


def test_history_lists_the_users_scenes_newest_first_and_not_other_captures(api, user, video):
    auth = bearer(user)
    first = new_scene(api, auth, video)
    second = new_scene(api, auth, video, training_mode="gaussian", output_types="video", save_iterations="5",
                       total_iterations="5")
    with open(video, "rb") as handle:
        plain = capture_from_upload(owner=user, uploaded_file=SimpleUploadedFile("plain.mp4", handle.read()),
                                    name="plain", limits={"formats": {"mp4"}})
    queue_preview(plain)  # a capture with no training item is not a scene

    assert api.get(HISTORY, **auth).json() == {"resources": [second, first]}
    assert_error(api.get(name(plain.eid), **auth), 404)


def test_deleting_a_scene_removes_its_video_items_and_files_from_storage(api, user, video, settings):
    auth = bearer(user)
    scene_id = new_scene(api, auth, video)
    run_scene(scene_id)
    capture = Capture.objects.get(eid=scene_id)
    files = ItemFile.objects.filter(item__in=capture.items.all())
    paths = [Path(capture.source.path)] + [Path(f.file.path) for f in files]
    assert len(paths) == 1 + 2 + 6 and all(p.exists() for p in paths)

    response = api.delete(delete(scene_id), **auth)
    assert response.status_code == 200 and response.json() == {"message": "Scene deleted"}
    assert not any(p.exists() for p in paths)
    assert storage_files(settings) == []
    assert not Capture.objects.exists() and not Item.objects.exists() and not ItemFile.objects.exists()
    assert_error(api.delete(delete(scene_id), **auth), 404)


def test_deleting_a_scene_while_it_trains_cancels_the_job(api, user, video):
    auth = bearer(user)
    scene_id = new_scene(api, auth, video)
    assert run_item(str(item_of(scene_id, "preview").pk)) == "done"
    outcome = []
    OBSERVERS.append(lambda item: outcome.append(api.delete(delete(scene_id), **auth).status_code))
    assert run_item(str(item_of(scene_id, "test-scene-training").pk)) == "cancelled"
    assert outcome == [200]
    assert not ItemFile.objects.exists() and not Capture.objects.exists()


# --- refusals --------------------------------------------------------------------------------------

def probe_message(path, filename):
    try:
        check_limits(probe(path, declared_name=filename), **scene_service.limits.ANY_VIDEO)
    except MediaError as exc:
        return str(exc)
    raise AssertionError("the probe accepted the file")


@pytest.mark.parametrize("kind", ["photo", "text named .mp4"])
def test_a_file_that_is_not_a_video_is_refused_with_the_probes_reason(api, user, settings, tmp_path, kind):
    if kind == "photo":
        path, filename = shared(PHOTO), "photo.jpg"
    else:
        path, filename = tmp_path / "notes.mp4", "notes.mp4"
        path.write_text("These are notes about the scene, not a video.\n" * 20)
    response = upload(api, bearer(user), path, filename=filename)
    assert assert_error(response, 400) == probe_message(path, filename)
    assert not Capture.objects.exists() and not Item.objects.exists()
    assert storage_files(settings) == []


@pytest.mark.parametrize(("field", "value"), [
    ("file", None),
    ("training_mode", None), ("training_mode", "nerf"), ("training_mode", ""),
    ("output_types", None), ("output_types", ""), ("output_types", " , "), ("output_types", "mesh"),
    ("output_types", "splat_cloud,mesh"),
    ("save_iterations", None), ("save_iterations", ""), ("save_iterations", "0"), ("save_iterations", "-5"),
    ("save_iterations", "abc"), ("save_iterations", "7.5"), ("save_iterations", "10,31"),
    ("total_iterations", None), ("total_iterations", "0"), ("total_iterations", "100001"),
    ("total_iterations", "abc"),
    ("scene_name", "x" * 201), ("scene_name", "Kitchen\nTake 2"), ("scene_name", "Kitchen\x00"),
])
def test_each_invalid_field_is_refused_naming_it(api, user, settings, field, value):
    content = None if field == "file" else b"\x00\x00\x00\x18ftypmp42 not checked before the fields"
    response = upload(api, bearer(user), filename="clip.mp4", content=content, **{field: value})
    message = assert_error(response, 400)
    assert message.startswith(f"{field}:"), message
    assert not Capture.objects.exists() and storage_files(settings) == []


def test_an_empty_file_is_refused(api, user):
    response = upload(api, bearer(user), filename="clip.mp4", content=b"")
    assert assert_error(response, 400).startswith("file:")


def test_a_training_mode_this_server_cannot_run_is_refused_before_the_upload_is_stored(
        api, user, settings, monkeypatch):
    assert "tensorf" not in scene_service.training_modes()
    # Not a video either: the mode is refused before the file is probed or stored.
    response = upload(api, bearer(user), filename="clip.mp4", content=b"not a video", training_mode="tensorf")
    assert assert_error(response, 400) == "training_mode 'tensorf' is not available on this server yet."
    assert not Capture.objects.exists() and not Item.objects.exists()
    assert storage_files(settings) == []


SCENE_ROUTES = [
    ("get", metadata), ("get", lambda sid: output("splat_cloud", sid)),
    ("get", lambda sid: output("splat_cloud", sid) + "?iteration=10&chunk=0"), ("get", thumbnail),
    ("get", name), ("get", progress), ("delete", delete),
]


@pytest.mark.parametrize(("method", "path"), [
    ("post", NEW), ("get", HISTORY), *((m, route(uuid.uuid4())) for m, route in SCENE_ROUTES),
])
def test_every_route_needs_a_token(api, method, path):
    response = getattr(api, method)(path)
    assert assert_error(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_another_users_scene_is_not_found_on_every_route(api, user, other_user, video):
    owner, stranger = bearer(user), bearer(other_user, door="scenes")
    scene_id = new_scene(api, owner, video)
    run_scene(scene_id)

    for method, route in SCENE_ROUTES:
        theirs = getattr(api, method)(route(scene_id), **stranger)
        unknown = getattr(api, method)(route(uuid.uuid4()), **stranger)
        garbled = getattr(api, method)(route("not-a-scene-id"), **stranger)
        assert assert_error(theirs, 404) == assert_error(unknown, 404) == assert_error(garbled, 404)
    assert api.get(HISTORY, **stranger).json() == {"resources": []}

    # Nothing was deleted or changed for the owner.
    assert api.get(name(scene_id), **owner).status_code == 200
    assert api.get(output("splat_cloud", scene_id), **owner).status_code == 200
    assert api.get(HISTORY, **owner).json() == {"resources": [scene_id]}


def test_chunk_arithmetic_matches_the_seeds_example():
    from doors.scenes.scene_selectors import chunking

    assert chunking(0) == (0, 0)
    assert chunking(1048576) == (1, 1048576)
    assert chunking(2097152) == (2, 1048576)
    assert chunking(5242880) == (5, 1048576)
    assert chunking(1048577) == (2, 1)
    assert chunking(10) == (1, 10)
