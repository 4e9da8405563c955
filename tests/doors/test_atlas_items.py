"""Seed 000 §4: the atlas item API — detail, download, the user's list, delete and metadata.

Items are made as a client's would be: created through gallery services and run by the worker task
(`run_item`). The seed's models are stood in for by small pipelines registered here under test names
(`test-atlas-<model>`); each writes real files of the formats its model makes (GLB, PLY, OBJ, GIF, JPEG,
tar.gz), and the atlas model table is told, for these tests only, that they are that model. The upload
preview is the real `preview` pipeline, run on a real phone video.
"""

import io
import json
import struct
import tarfile
import uuid
import zipfile
from base64 import urlsafe_b64encode
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.urls import Resolver404, resolve
from django.utils import timezone
from PIL import Image

from captures.models import Capture
from doors.atlas import models_table
from gallery import pipelines, services
from gallery.models import Item, ItemFile
from gallery.tasks import run_item
from tests.conftest import bearer
from tests.data import shared
from tests.downloads import DATA, assert_range_downloads

pytestmark = pytest.mark.django_db(transaction=True)


# --- real files of the formats the models make --------------------------------------------------

def glb(offset):
    """A binary glTF holding one triangle (its x shifted by `offset`, so two meshes differ)."""
    positions = struct.pack("<9f", offset, 0, 0, offset + 1, 0, 0, offset, 1, 0)
    document = json.dumps({
        "asset": {"version": "2.0", "generator": "atlas tests"},
        "scene": 0, "scenes": [{"nodes": [0]}], "nodes": [{"mesh": 0}],
        "meshes": [{"primitives": [{"attributes": {"POSITION": 0}}]}],
        "buffers": [{"byteLength": len(positions)}],
        "bufferViews": [{"buffer": 0, "byteLength": len(positions)}],
        "accessors": [{"bufferView": 0, "componentType": 5126, "count": 3, "type": "VEC3",
                       "min": [offset, 0, 0], "max": [offset + 1, 1, 0]}],
    }).encode()
    document += b" " * (-len(document) % 4)
    json_chunk = struct.pack("<I4s", len(document), b"JSON") + document
    bin_chunk = struct.pack("<I4s", len(positions), b"BIN\0") + positions
    return struct.pack("<4sII", b"glTF", 2, 12 + len(json_chunk) + len(bin_chunk)) + json_chunk + bin_chunk


PLY = (b"ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\nproperty float z\n"
       b"end_header\n0 0 0\n1 0 0\n0 1 0\n")
OBJ = b"o triangle\nv 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n"


def jpeg(colour=(200, 120, 40)):
    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, "JPEG")
    return out.getvalue()


def gif():
    out = io.BytesIO()
    frames = [Image.new("RGB", (32, 32), (shade, 255 - shade, 90)) for shade in (10, 120, 240)]
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return out.getvalue()


def tar_gz():
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        info = tarfile.TarInfo("capture/cameras.txt")
        body = b"# camera poses\n1 0 0 0 0 0 0\n"
        info.size = len(body)
        archive.addfile(info, io.BytesIO(body))
    return out.getvalue()


THUMBNAIL, GIF, GLB_REFINED, GLB_COARSE, GLB = jpeg(), gif(), glb(0.0), glb(5.0), glb(2.0)

# What each stand-in pipeline stores: kind -> (file name, bytes, content type).
OUTPUTS = {
    "gaussian-splatting": {"ply": ("splat.ply", PLY, "application/octet-stream")},
    "nerf2mesh": {"mesh_refined": ("mesh_1.glb", GLB_REFINED, "model/gltf-binary"),
                  "mesh_coarse": ("mesh_0.glb", GLB_COARSE, "model/gltf-binary"),
                  "gif": ("orbit.gif", GIF, "image/gif")},
    "decal": {"glb": ("decal.glb", GLB, "model/gltf-binary"), "gif": ("orbit.gif", GIF, "image/gif"),
              "archive": ("capture.tar.gz", tar_gz(), "application/gzip")},
    "instant-mesh": {"glb": ("mesh.glb", GLB, "model/gltf-binary"), "obj": ("mesh.obj", OBJ, "model/obj")},
}
for made in OUTPUTS.values():
    made["thumbnail"] = ("thumbnail.jpg", THUMBNAIL, "image/jpeg")

REASON = "fewer than 20 frames could be registered: film more slowly, all around the object"


def stand_in(model):
    def run(item, job):
        job.report("make", 0, len(OUTPUTS[model]))
        outputs = []
        for done, (kind, (name, data, content_type)) in enumerate(OUTPUTS[model].items(), start=1):
            path = job.work_dir / name
            path.write_bytes(data)
            outputs.append(pipelines.Output(kind, path, content_type=content_type))
            job.report("make", done, len(OUTPUTS[model]))
        return outputs

    run.__doc__ = f"Writes small real files of the formats {model} makes (a stand-in for tests)."
    return run


STAND_IN = {"label": "Test stand-in", "method": "A stand-in for tests.", "parameters": [pipelines.Parameter("epoch")]}
for _model in OUTPUTS:
    pipelines.register(f"test-atlas-{_model}", timeout=60, stages=("make",), **STAND_IN)(stand_in(_model))


@pipelines.register("test-atlas-refuse", timeout=60, stages=("check",), **STAND_IN)
def refuse(item, job):
    job.report("check", 0, 1)
    raise pipelines.PipelineFailed(REASON)


@pytest.fixture(autouse=True)
def stand_ins_are_their_models(monkeypatch):
    for model in OUTPUTS:
        monkeypatch.setitem(models_table.MODELS, f"test-atlas-{model}", models_table.MODELS[model])
    monkeypatch.setitem(models_table.MODELS, "test-atlas-refuse", models_table.MODELS["gaussian-splatting"])


def make_item(owner, model="gaussian-splatting", name="chair", run=True, capture=None, pipeline=None):
    parameters = {} if pipeline else {"epoch": 3}  # the stand-ins take seed 000's epoch; real pipelines their own
    item = services.create_item(owner=owner, name=name, pipeline=pipeline or f"test-atlas-{model}",
                                parameters=parameters, source=capture)
    if run:
        run_item(str(item.pk))
        item.refresh_from_db()
    return item


def failed_item(owner, name="chair"):
    item = make_item(owner, pipeline="test-atlas-refuse", name=name)
    assert item.status == Item.Status.FAILED
    return item


def body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def members(data, opener="tar"):
    if opener == "zip":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return {name: archive.read(name) for name in archive.namelist()}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        return {m.name: archive.extractfile(m).read() for m in archive.getmembers() if m.isfile()}


def disposition(kind, filename):
    return f"{kind}; filename=\"{filename}\"; filename*=UTF-8''{filename}"


def assert_message(response, status):
    assert response.status_code == status, response.content
    assert set(response.json()) == {"message"} and response.json()["message"]


DETAIL_KEYS = {"requestId", "Status", "modelId", "modelName", "uploaderId", "uploaderNickname",
               "progress", "queuePosition", "failureReason"}
MY_DETAIL_KEYS = {"requestId", "itemName", "status", "modelId", "modelName", "uploaderId", "uploaderNickname",
                  "createdAt", "progress", "queuePosition", "failureReason"}
PROGRESS_KEYS = {"stage", "overallPosition", "overallSize", "currentPosition", "currentSize", "secondsLeft"}


# --- §4.1 GET /atlas/item/detail/{requestId} ----------------------------------------------------------

class TestDetail:
    def test_a_finished_item(self, api, user, auth):
        item = make_item(user)
        response = api.get(f"/atlas/item/detail/{item.pk}", **auth)
        assert response.status_code == 200
        data = response.json()
        assert set(data) == DETAIL_KEYS
        assert data["requestId"] == str(item.pk)
        assert data["Status"] == "OK"
        assert (data["modelId"], data["modelName"]) == ("2", "gaussian-splatting")
        assert (data["uploaderId"], data["uploaderNickname"]) == (str(user.public_id), user.nickname)
        # overall is the percentage of the item's expected time, out of 100 (Item.progress).
        assert data["progress"] == {"stage": "done", "overallPosition": 100, "overallSize": 100,
                                    "currentPosition": 2, "currentSize": 2, "secondsLeft": 0}
        assert (data["queuePosition"], data["failureReason"]) == (-1, "")

    def test_queued_and_processing_items_are_progress_with_their_queue_position(self, api, user, auth):
        first, second = make_item(user, run=False), make_item(user, run=False)
        data = api.get(f"/atlas/item/detail/{second.pk}", **auth).json()
        assert (data["Status"], data["queuePosition"]) == ("PROGRESS", 1)
        assert set(data["progress"]) == PROGRESS_KEYS and data["progress"]["overallPosition"] == 0

        services.claim(first.pk)
        first_now = api.get(f"/atlas/item/detail/{first.pk}", **auth).json()
        assert (first_now["Status"], first_now["queuePosition"]) == ("PROGRESS", 0)
        assert first_now["progress"]["stage"] == "starting"
        assert api.get(f"/atlas/item/detail/{second.pk}", **auth).json()["queuePosition"] == 0

    def test_a_failed_item_is_ng_with_its_reason(self, api, user, auth):
        item = failed_item(user)
        data = api.get(f"/atlas/item/detail/{item.pk}", **auth).json()
        assert (data["Status"], data["failureReason"]) == ("NG", REASON)

    def test_a_cancelled_item_is_ng(self, api, user, auth):
        item = make_item(user, run=False)
        services.cancel_item(item)
        assert api.get(f"/atlas/item/detail/{item.pk}", **auth).json()["Status"] == "NG"

    @pytest.mark.parametrize("pipeline, model_id, model_name", [
        ("nerf2mesh", "1", "nerf2mesh"),
        ("gaussian-splatting", "2", "gaussian-splatting"),
        ("decal", "3", "decal"),
        ("musepose", "4", "MusePose"),
        ("instant-mesh", "5", "InstantMesh"),
        ("preview", None, "preview"),
        ("tensorf", None, "tensorf"),
    ])
    def test_model_id_and_name_follow_the_seed(self, api, user, auth, pipeline, model_id, model_name):
        item = Item.objects.create(owner=user, name="thing", pipeline=pipeline)
        data = api.get(f"/atlas/item/detail/{item.pk}", **auth).json()
        assert (data["modelId"], data["modelName"]) == (model_id, model_name)

    def test_unknown_malformed_and_other_peoples_ids_are_404_alike(self, api, user, other_user, auth):
        theirs = make_item(other_user, run=False)
        answers = [api.get(f"/atlas/item/detail/{request_id}", **auth)
                   for request_id in (uuid.uuid4(), "not-a-uuid", theirs.pk)]
        for response in answers:
            assert_message(response, 404)
        assert answers[2].json() == answers[0].json()  # nothing tells that someone else's item exists

    def test_401_without_a_token(self, api, user):
        item = make_item(user, run=False)
        assert_message(api.get(f"/atlas/item/detail/{item.pk}"), 401)


# --- §4.4 GET /atlas/item/detail/my/{requestId} -------------------------------------------------------

class TestMyDetail:
    def test_my_item(self, api, user, auth):
        item = make_item(user, model="nerf2mesh", name="red chair")
        response = api.get(f"/atlas/item/detail/my/{item.pk}", **auth)
        assert response.status_code == 200
        data = response.json()
        assert set(data) == MY_DETAIL_KEYS
        assert (data["requestId"], data["itemName"], data["status"]) == (str(item.pk), "red chair", "OK")
        assert (data["modelId"], data["modelName"]) == ("1", "nerf2mesh")
        assert (data["uploaderId"], data["uploaderNickname"]) == (str(user.public_id), user.nickname)
        assert datetime.fromisoformat(data["createdAt"].replace("Z", "+00:00")) == item.created_at

    def test_404_for_unknown_malformed_and_other_peoples_items(self, api, user, other_user, auth):
        theirs = make_item(other_user)
        for request_id in (uuid.uuid4(), "12345", theirs.pk):
            assert_message(api.get(f"/atlas/item/detail/my/{request_id}", **auth), 404)

    def test_401_without_a_token(self, api, user):
        assert_message(api.get(f"/atlas/item/detail/my/{make_item(user).pk}"), 401)


# --- §4.2 GET /atlas/item/download/{requestId}?code=N ------------------------------------------------

CODE_TABLE = [
    # model, code, suffix of ${itemName}, the kind of file it must be
    ("gaussian-splatting", 1, ".ply", "ply"),
    ("instant-mesh", 1, ".glb", "glb"),
    ("instant-mesh", 2, ".obj", "obj"),
    ("decal", 1, ".glb", "glb"),
    ("decal", 2, ".gif", "gif"),
    ("decal", 3, ".tar.gz", "archive"),
    ("nerf2mesh", 1, "_1.glb", "mesh_refined"),
    ("nerf2mesh", 2, "_0.glb", "mesh_coarse"),
    ("nerf2mesh", 3, ".gif", "gif"),
]


class TestDownload:
    @pytest.mark.parametrize("model, code, suffix, kind", CODE_TABLE)
    def test_the_code_table(self, api, user, auth, model, code, suffix, kind):
        item = make_item(user, model=model, name="chair")
        response = api.get(f"/atlas/item/download/{item.pk}?code={code}", **auth)
        assert response.status_code == 200
        _, data, content_type = OUTPUTS[model][kind]
        assert body(response) == data
        assert response["Content-Type"] == content_type
        assert response["Content-Disposition"] == disposition("attachment", f"chair{suffix}")
        assert response["Content-Length"] == str(len(data)) and response["Accept-Ranges"] == "bytes"

    @pytest.mark.parametrize("model, data", [
        ("gaussian-splatting", PLY), ("instant-mesh", GLB), ("decal", GLB), ("nerf2mesh", GLB_REFINED)])
    def test_code_1_is_the_default(self, api, user, auth, model, data):
        item = make_item(user, model=model)
        assert body(api.get(f"/atlas/item/download/{item.pk}", **auth)) == data

    def test_the_files_are_what_they_say(self, api, user, auth):
        item = make_item(user, model="nerf2mesh")
        refined = body(api.get(f"/atlas/item/download/{item.pk}?code=1", **auth))
        assert refined[:4] == b"glTF" and struct.unpack("<I", refined[8:12])[0] == len(refined)
        animation = Image.open(io.BytesIO(body(api.get(f"/atlas/item/download/{item.pk}?code=3", **auth))))
        assert animation.format == "GIF" and animation.n_frames == 3

    def test_a_range_is_served_as_206(self, api, user, auth):
        item = make_item(user, model="nerf2mesh")
        response = api.get(f"/atlas/item/download/{item.pk}?code=1", HTTP_RANGE="bytes=0-11", **auth)
        assert response.status_code == 206
        assert body(response) == GLB_REFINED[:12]
        assert response["Content-Range"] == f"bytes 0-11/{len(GLB_REFINED)}" and response["Content-Length"] == "12"
        tail = api.get(f"/atlas/item/download/{item.pk}?code=1", HTTP_RANGE="bytes=-8", **auth)
        assert tail.status_code == 206 and body(tail) == GLB_REFINED[-8:]

    def test_every_range_form_is_answered_byte_for_byte(self, api, user, auth):
        item = Item.objects.create(owner=user, name="ranges", pipeline="gaussian-splatting", status=Item.Status.DONE)
        item_file = ItemFile(item=item, kind="ply", content_type="application/octet-stream", size=len(DATA))
        item_file.file.save("splat.ply", ContentFile(DATA), save=True)
        assert_range_downloads(lambda header: api.get(f"/atlas/item/download/{item.pk}", HTTP_RANGE=header, **auth))

    def test_a_range_past_the_end_is_416(self, api, user, auth):
        item = make_item(user)
        response = api.get(f"/atlas/item/download/{item.pk}", HTTP_RANGE=f"bytes={len(PLY)}-", **auth)
        assert response.status_code == 416
        assert response["Content-Range"] == f"bytes */{len(PLY)}"

    def test_the_item_name_is_kept_but_a_header_cannot_be_broken_by_it(self, api, user, auth):
        item = make_item(user, name='my "best"/chair')
        response = api.get(f"/atlas/item/download/{item.pk}", **auth)
        assert 'filename="my _best__chair.ply"' in response["Content-Disposition"]

    @pytest.mark.parametrize("model, code, listed", [
        ("nerf2mesh", "4", ["1", "2", "3"]),
        ("nerf2mesh", "0", ["1", "2", "3"]),
        ("gaussian-splatting", "2", ["1"]),
        ("instant-mesh", "3", ["1", "2"]),
        ("decal", "glb", ["1", "2", "3"]),
    ])
    def test_a_code_the_model_does_not_have_is_400_listing_the_codes(self, api, user, auth, model, code, listed):
        item = make_item(user, model=model)
        response = api.get(f"/atlas/item/download/{item.pk}?code={code}", **auth)
        assert_message(response, 400)
        message = response.json()["message"]
        assert all(f"{n} (" in message for n in listed) and f"{int(listed[-1]) + 1} (" not in message

    def test_404_until_the_item_is_done(self, api, user, auth):
        item = make_item(user, run=False)
        response = api.get(f"/atlas/item/download/{item.pk}", **auth)
        assert_message(response, 404)
        assert "not ready" in response.json()["message"]

    def test_404_for_a_failed_item_says_why(self, api, user, auth):
        response = api.get(f"/atlas/item/download/{failed_item(user).pk}", **auth)
        assert_message(response, 404)
        assert REASON in response.json()["message"]

    def test_404_when_the_item_has_no_such_file(self, api, user, auth):
        item = make_item(user, model="decal")
        ItemFile.objects.filter(item=item, kind="gif").delete()
        response = api.get(f"/atlas/item/download/{item.pk}?code=2", **auth)
        assert_message(response, 404)
        assert ".gif" in response.json()["message"]

    def test_404_for_unknown_malformed_and_other_peoples_items(self, api, user, other_user, auth):
        theirs = make_item(other_user)
        for request_id in (uuid.uuid4(), "nope", theirs.pk):
            assert_message(api.get(f"/atlas/item/download/{request_id}?code=1", **auth), 404)

    def test_401_without_a_token(self, api, user):
        assert_message(api.get(f"/atlas/item/download/{make_item(user).pk}"), 401)


@pytest.fixture
def chair_video():
    return shared("videos/chair_orbit_136x240.mp4")


def capture_of(owner, path):
    data = Path(path).read_bytes()
    capture = Capture(owner=owner, name="chair", bytesize=len(data), chunk_size=len(data),
                      original_filename=Path(path).name, uploaded_at=timezone.now())
    capture.source.save(Path(path).name, ContentFile(data), save=False)
    capture.save()
    return capture


class TestPreviewItems:
    """Upload previews (the real `preview` pipeline) are downloadable too: 1 thumbnail, 2 gif."""

    def test_a_real_preview_downloads_as_jpg_and_gif(self, api, user, auth, chair_video):
        item = make_item(user, pipeline="preview", capture=capture_of(user, chair_video), name="chair")
        assert item.status == Item.Status.DONE, item.failure_reason
        detail = api.get(f"/atlas/item/detail/{item.pk}", **auth).json()
        assert (detail["modelId"], detail["modelName"], detail["Status"]) == (None, "preview", "OK")

        thumbnail = api.get(f"/atlas/item/download/{item.pk}?code=1", **auth)
        assert thumbnail["Content-Disposition"] == disposition("attachment", "chair.jpg")
        assert Image.open(io.BytesIO(body(thumbnail))).format == "JPEG"
        animation = api.get(f"/atlas/item/download/{item.pk}?code=2", **auth)
        assert animation["Content-Disposition"] == disposition("attachment", "chair.gif")
        assert Image.open(io.BytesIO(body(animation))).n_frames > 1
        assert_message(api.get(f"/atlas/item/download/{item.pk}?code=3", **auth), 400)


# --- §4.3 GET /atlas/item/my/{ModelId} ----------------------------------------------------------------

def page(api, auth, model_id="2", **query):
    query = {"orderBy": "createdAt", "desc": "true", **query}
    return api.get(f"/atlas/item/my/{model_id}", query, **auth)


def walk(api, auth, desc, limit):
    """Every page, following nextCursor; the requestIds in order and each page's size."""
    seen, sizes, cursor = [], [], None
    while True:
        query = {"desc": desc, "limit": limit, **({"cursor": cursor} if cursor else {})}
        data = page(api, auth, **query).json()
        seen += [entry["requestId"] for entry in data["items"]]
        sizes.append(len(data["items"]))
        assert data["hasNextItem"] == (data["nextCursor"] is not None)
        if not data["hasNextItem"]:
            return seen, sizes
        cursor = data["nextCursor"]


class TestMyItems:
    def test_a_page_of_my_items_of_one_model(self, api, user, other_user, auth):
        mine = make_item(user, name="splat one")
        make_item(user, model="nerf2mesh")  # another model
        make_item(other_user)  # another person
        response = page(api, auth)
        assert response.status_code == 200
        data = response.json()
        assert set(data) == {"items", "hasNextItem", "nextCursor"}
        assert (data["hasNextItem"], data["nextCursor"]) == (False, None)
        assert data["items"] == [{"requestId": str(mine.pk), "status": "OK", "model": "gaussian-splatting",
                                  "itemName": "splat one", "createdAt": data["items"][0]["createdAt"]}]
        assert datetime.fromisoformat(data["items"][0]["createdAt"].replace("Z", "+00:00")) == mine.created_at

    def test_each_model_lists_its_own_items_with_the_seeds_model_name(self, api, user, auth):
        make_item(user, model="instant-mesh", run=False)
        failed_item(user)
        instant = page(api, auth, model_id="5").json()["items"]
        assert [(e["model"], e["status"]) for e in instant] == [("InstantMesh", "PROGRESS")]
        splats = page(api, auth, model_id="2").json()["items"]
        assert [(e["model"], e["status"]) for e in splats] == [("gaussian-splatting", "NG")]
        assert page(api, auth, model_id="4").json() == {"items": [], "hasNextItem": False, "nextCursor": None}

    @pytest.fixture
    def seven_items_with_ties(self, user):
        """Seven items over three creation times, so ties in createdAt cross page boundaries."""
        items = [make_item(user, name=f"item {n}", run=False) for n in range(7)]
        base = timezone.now() - timedelta(hours=1)
        for item, minutes in zip(items, [0, 0, 0, 1, 1, 1, 1], strict=True):
            Item.objects.filter(pk=item.pk).update(created_at=base + timedelta(minutes=minutes))
        rows = Item.objects.filter(pk__in=[i.pk for i in items])
        return [str(pk) for pk in rows.order_by("-created_at", "-pk").values_list("pk", flat=True)]

    # The seed's table: desc=true is ascending (oldest first), desc=false descending (newest first).
    def test_desc_false_pages_newest_first_never_skipping_or_repeating_across_ties(self, api, auth,
                                                                                  seven_items_with_ties):
        seen, sizes = walk(api, auth, desc="false", limit=3)
        assert sizes == [3, 3, 1]
        assert seen == seven_items_with_ties

    def test_desc_true_pages_oldest_first_never_skipping_or_repeating_across_ties(self, api, auth,
                                                                                 seven_items_with_ties):
        seen, sizes = walk(api, auth, desc="true", limit=3)
        assert sizes == [3, 3, 1]
        assert seen == list(reversed(seven_items_with_ties))

    def test_the_first_page_without_a_cursor_starts_at_the_newest_or_the_oldest(self, api, auth,
                                                                               seven_items_with_ties):
        newest = page(api, auth, desc="false", limit=2).json()
        assert [e["requestId"] for e in newest["items"]] == seven_items_with_ties[:2] and newest["hasNextItem"]
        oldest = page(api, auth, desc="true", limit=2).json()
        assert [e["requestId"] for e in oldest["items"]] == seven_items_with_ties[:-3:-1] and oldest["hasNextItem"]

    @pytest.fixture
    def three_times(self, api, auth, user):
        """Items at three distinct creation times, oldest first, and createdAt as the list renders it."""
        items = [make_item(user, name=f"at {n}", run=False) for n in range(3)]
        base = timezone.now().replace(microsecond=250000) - timedelta(hours=1)
        for n, item in enumerate(items):
            Item.objects.filter(pk=item.pk).update(created_at=base + timedelta(minutes=n))
        rendered = {e["requestId"]: e["createdAt"] for e in page(api, auth).json()["items"]}
        return [(str(item.pk), rendered[str(item.pk)]) for item in items]

    def test_a_created_at_cursor_starts_strictly_beyond_that_time_in_either_order(self, api, auth, three_times):
        (first, _), (middle, middle_at), (last, _) = three_times
        assert middle_at.endswith("Z")
        ascending = page(api, auth, desc="true", cursor=middle_at).json()
        assert [e["requestId"] for e in ascending["items"]] == [last]
        assert (ascending["hasNextItem"], ascending["nextCursor"]) == (False, None)
        descending = page(api, auth, desc="false", cursor=middle_at).json()
        assert [e["requestId"] for e in descending["items"]] == [first]

    @pytest.mark.parametrize("spelling", [
        lambda at: at.replace("Z", "+00:00"),
        lambda at: at.replace("Z", "+00:00").replace("+", " "),  # "+" sent unencoded reads as a space
        lambda at: at.replace("Z", ""),  # no offset: UTC
        lambda at: (datetime.fromisoformat(at.replace("Z", "+00:00"))
                    .astimezone(timezone.get_fixed_timezone(540)).isoformat()),
    ], ids=["+00:00", "+ unencoded", "no offset", "+09:00"])
    def test_a_created_at_cursor_may_carry_any_offset(self, api, auth, three_times, spelling):
        (first, _), (middle, middle_at), (last, _) = three_times
        response = page(api, auth, desc="true", cursor=spelling(middle_at))
        assert response.status_code == 200, response.content
        assert [e["requestId"] for e in response.json()["items"]] == [last]

    def test_a_created_at_cursor_then_the_next_cursor(self, api, auth, three_times):
        (first, first_at), (middle, _), (last, _) = three_times
        data = page(api, auth, desc="true", cursor=first_at, limit=1).json()
        assert [e["requestId"] for e in data["items"]] == [middle] and data["hasNextItem"]
        data = page(api, auth, desc="true", cursor=data["nextCursor"], limit=1).json()
        assert [e["requestId"] for e in data["items"]] == [last] and not data["hasNextItem"]

    @pytest.mark.parametrize("cursor", ["not a cursor", urlsafe_b64encode(b"yesterday|x").decode(),
                                        "2025-13-01T00:00:00Z", "31/01/2025 09:30"])
    def test_a_malformed_cursor_is_400_saying_what_a_cursor_is(self, api, user, auth, cursor):
        make_item(user, run=False)
        response = page(api, auth, cursor=cursor)
        assert response.status_code == 400
        assert response.json() == {"message": (
            "cursor: give the nextCursor of the page before, or an item's createdAt "
            "(such as 2025-01-31T09:30:00.123456Z); leave it out for the first page.")}

    def test_limit_defaults_to_10_and_may_be_50(self, api, user, auth):
        for n in range(12):
            make_item(user, name=f"n{n}", run=False)
        first = page(api, auth).json()
        assert len(first["items"]) == 10 and first["hasNextItem"]
        assert len(page(api, auth, cursor=first["nextCursor"]).json()["items"]) == 2
        assert len(page(api, auth, limit=50).json()["items"]) == 12

    @pytest.mark.parametrize("model_id, query", [
        ("0", {}), ("6", {}), ("gaussian-splatting", {}),
        ("2", {"limit": 51}), ("2", {"limit": 0}), ("2", {"limit": "ten"}),
        ("2", {"orderBy": "itemName"}), ("2", {"desc": "sideways"}),
    ])
    def test_400_for_a_bad_request(self, api, user, auth, model_id, query):
        make_item(user, run=False)
        assert_message(page(api, auth, model_id=model_id, **query), 400)

    @pytest.mark.parametrize("created", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59.999999-14:00"])
    def test_a_cursor_time_with_no_utc_equivalent_is_400(self, api, user, auth, created):
        make_item(user, run=False)
        for cursor in (urlsafe_b64encode(f"{created}|{uuid.uuid4()}".encode()).decode(), created):
            response = page(api, auth, cursor=cursor)
            assert response.status_code == 400
            assert response.json() == {
                "message": "cursor: give the nextCursor of the page before, or an item's createdAt "
                           "(such as 2025-01-31T09:30:00.123456Z); leave it out for the first page."}

    @pytest.mark.parametrize("missing", ["orderBy", "desc"])
    def test_order_by_and_desc_are_required(self, api, user, auth, missing):
        query = {"orderBy": "createdAt", "desc": "true"}
        del query[missing]
        response = api.get("/atlas/item/my/2", query, **auth)
        assert_message(response, 400)
        assert missing in response.json()["message"]

    def test_401_without_a_token(self, api):
        assert_message(api.get("/atlas/item/my/2", {"orderBy": "createdAt", "desc": "true"}), 401)


# --- §4.5 DELETE /atlas/item/{requestId} --------------------------------------------------------------

class TestDelete:
    def test_deleting_my_item_removes_it_and_its_files(self, api, user, auth):
        item = make_item(user, model="decal")
        paths = [Path(f.file.path) for f in item.files.all()]
        assert len(paths) == 4 and all(p.exists() for p in paths)
        response = api.delete(f"/atlas/item/{item.pk}", **auth)
        assert response.status_code == 200
        assert response.json() == {"requestId": str(item.pk)}
        assert not Item.objects.filter(pk=item.pk).exists()
        assert not any(p.exists() for p in paths)
        assert_message(api.get(f"/atlas/item/detail/{item.pk}", **auth), 404)

    def test_a_processing_item_is_cancelled_and_deleted(self, api, user, auth):
        item = make_item(user, run=False)
        services.claim(item.pk)
        assert api.delete(f"/atlas/item/{item.pk}", **auth).status_code == 200
        assert not Item.objects.filter(pk=item.pk).exists()
        assert run_item(str(item.pk)) == "not queued"  # a late delivery of its job does nothing

    def test_403_for_someone_elses_item(self, api, other_user, auth):
        theirs = make_item(other_user)
        assert_message(api.delete(f"/atlas/item/{theirs.pk}", **auth), 403)
        assert Item.objects.filter(pk=theirs.pk).exists()

    @pytest.mark.parametrize("request_id", [uuid.uuid4(), "not-a-uuid"])
    def test_404_for_an_unknown_item(self, api, auth, request_id):
        assert_message(api.delete(f"/atlas/item/{request_id}", **auth), 404)

    def test_401_without_a_token(self, api, user):
        item = make_item(user, run=False)
        assert_message(api.delete(f"/atlas/item/{item.pk}"), 401)
        assert Item.objects.filter(pk=item.pk).exists()

    @pytest.mark.parametrize("word", ["decal", "nerf2mesh", "musepose", "instant-mesh", "gs3d"])
    def test_the_model_creation_paths_are_not_taken_for_request_ids(self, word):
        try:
            match = resolve(f"/atlas/item/{word}")
        except Resolver404:
            return
        assert match.url_name != "atlas-item"


# --- §4.6 GET /atlas/item/{type}/{requestId} ----------------------------------------------------------

class TestMetadata:
    def test_thumbnail(self, api, user, auth):
        item = make_item(user, name="chair")
        response = api.get(f"/atlas/item/thumbnail/{item.pk}", **auth)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
        assert response["Content-Disposition"] == disposition("inline", "chair.thumbnail.jpg")
        assert body(response) == THUMBNAIL
        assert Image.open(io.BytesIO(THUMBNAIL)).size == (64, 48)

    def test_no_thumbnail_yet_is_404(self, api, user, auth):
        item = make_item(user, run=False)
        assert_message(api.get(f"/atlas/item/thumbnail/{item.pk}", **auth), 404)

    def test_request_archive_holds_the_request_and_the_input_file(self, api, user, auth, tmp_path):
        video = tmp_path / "walk_around.mp4"
        video.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40)
        capture = capture_of(user, video)
        item = make_item(user, name="chair", capture=capture)
        response = api.get(f"/atlas/item/request/{item.pk}", **auth)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/gzip"
        assert response["Content-Disposition"] == disposition("attachment", "chair.request.tar.gz")
        files = members(body(response))
        assert set(files) == {"request.json", "input/walk_around.mp4"}
        assert files["input/walk_around.mp4"] == video.read_bytes()
        request = json.loads(files["request.json"])
        assert request["requestId"] == str(item.pk) and request["itemName"] == "chair"
        assert request["pipeline"] == "test-atlas-gaussian-splatting" and request["parameters"] == {"epoch": 3}
        assert datetime.fromisoformat(request["createdAt"]) == item.created_at
        assert request["source"]["type"] == "captures.capture" and request["source"]["id"] == str(capture.eid)
        assert request["inputs"] == ["input/walk_around.mp4"]

    def test_request_archive_without_an_input_file(self, api, user, auth):
        item = make_item(user, run=False)
        files = members(body(api.get(f"/atlas/item/request/{item.pk}", **auth)))
        assert set(files) == {"request.json"}
        assert json.loads(files["request.json"])["inputs"] == []

    def test_reply_archive_holds_the_outcome_and_every_output(self, api, user, auth):
        item = make_item(user, model="nerf2mesh", name="chair")
        response = api.get(f"/atlas/item/reply/{item.pk}", **auth)
        assert response.status_code == 200
        assert response["Content-Disposition"] == disposition("attachment", "chair.reply.tar.gz")
        files = members(body(response))
        expected = {f"output/{name}": data for name, data, _ in OUTPUTS["nerf2mesh"].values()}
        assert set(files) == {"reply.json", *expected}
        assert all(files[name] == data for name, data in expected.items())
        reply = json.loads(files["reply.json"])
        assert (reply["requestId"], reply["status"], reply["failureReason"]) == (str(item.pk), "done", "")
        assert reply["progress"]["stage"] == "done" and reply["finishedAt"]
        assert {(f["name"], f["kind"], f["size"]) for f in reply["files"]} == {
            (f"output/{name}", kind, len(data)) for kind, (name, data, _) in OUTPUTS["nerf2mesh"].items()}

    def test_reply_archive_of_a_failed_item(self, api, user, auth):
        files = members(body(api.get(f"/atlas/item/reply/{failed_item(user).pk}", **auth)))
        reply = json.loads(files["reply.json"])
        assert set(files) == {"reply.json"}
        assert (reply["status"], reply["failureReason"], reply["files"]) == ("failed", REASON, [])

    def test_output_zip_holds_every_output(self, api, user, auth):
        item = make_item(user, model="decal", name="chair")
        response = api.get(f"/atlas/item/output/{item.pk}", **auth)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/zip"
        assert response["Content-Disposition"] == disposition("attachment", "chair.output.zip")
        assert members(body(response), "zip") == {name: data for name, data, _ in OUTPUTS["decal"].values()}

    def test_archives_honour_range(self, api, user, auth):
        item = make_item(user, model="decal")
        whole = body(api.get(f"/atlas/item/output/{item.pk}", **auth))
        part = api.get(f"/atlas/item/output/{item.pk}", HTTP_RANGE="bytes=4-99", **auth)
        assert part.status_code == 206 and part["Content-Range"] == f"bytes 4-99/{len(whole)}"
        assert body(part) == whole[4:100]
        assert api.get(f"/atlas/item/output/{item.pk}", HTTP_RANGE=f"bytes={len(whole) + 5}-",
                       **auth).status_code == 416

    def test_no_outputs_yet_is_404(self, api, user, auth):
        item = make_item(user, run=False)
        assert_message(api.get(f"/atlas/item/output/{item.pk}", **auth), 404)

    def test_log_of_a_failed_item_starts_with_the_reason(self, api, user, auth):
        item = failed_item(user, name="chair")
        response = api.get(f"/atlas/item/log/{item.pk}", **auth)
        assert response.status_code == 200
        assert response["Content-Type"] == "text/plain; charset=utf-8"
        assert response["Content-Disposition"] == disposition("inline", "chair.log")
        text = body(response).decode()
        assert text.startswith(f"Failed: {REASON}\n\n")
        assert "Traceback" in text and "PipelineFailed" in text

    def test_log_of_a_finished_item(self, api, user, auth):
        item = make_item(user)
        Item.objects.filter(pk=item.pk).update(log="registered 43 of 43 frames\n")
        assert body(api.get(f"/atlas/item/log/{item.pk}", **auth)) == b"registered 43 of 43 frames\n"

    @pytest.mark.parametrize("kind", ["thumbnail", "request", "reply", "output", "log"])
    def test_404_for_unknown_malformed_and_other_peoples_items(self, api, other_user, auth, kind):
        theirs = make_item(other_user)
        for request_id in (uuid.uuid4(), "not-a-uuid", theirs.pk):
            assert_message(api.get(f"/atlas/item/{kind}/{request_id}", **auth), 404)

    @pytest.mark.parametrize("kind", ["thumbnail", "request", "reply", "output", "log"])
    def test_401_without_a_token(self, api, user, kind):
        assert_message(api.get(f"/atlas/item/{kind}/{make_item(user).pk}"), 401)

    def test_other_types_are_not_routes(self, api, user, auth):
        item = make_item(user)
        assert api.get(f"/atlas/item/secrets/{item.pk}", **auth).status_code == 404


# --- everything as someone else ---------------------------------------------------------------------

def test_a_second_user_sees_nothing_of_my_items(api, user, other_user):
    mine = make_item(user, model="nerf2mesh")
    failed = failed_item(user)
    as_other = bearer(other_user)
    for item in (mine, failed):
        reads = [f"/atlas/item/detail/{item.pk}", f"/atlas/item/detail/my/{item.pk}",
                 *(f"/atlas/item/download/{item.pk}?code={code}" for code in (1, 2, 3)),
                 *(f"/atlas/item/{kind}/{item.pk}" for kind in ("thumbnail", "request", "reply", "output", "log"))]
        for url in reads:
            response = api.get(url, **as_other)
            assert_message(response, 404)
            assert str(item.pk) not in response.content.decode()
        assert_message(api.delete(f"/atlas/item/{item.pk}", **as_other), 403)
    for model_id in "12345":
        assert page(api, as_other, model_id=model_id).json()["items"] == []
    assert Item.objects.filter(pk__in=[mine.pk, failed.pk]).count() == 2
