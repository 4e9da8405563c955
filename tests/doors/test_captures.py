"""Seed 004, the captures door: multi-part uploads through signed URLs, previews, sharing, FastAPI errors."""

import hashlib
import io
import json
import re
import zipfile
from datetime import timedelta
from urllib.parse import urlparse

import numpy as np
import pytest
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

from captures import services
from captures.models import Capture, UploadPart
from captures.reconstruction.formats.ksplat import write_ksplat
from captures.reconstruction.formats.sog import write_sog
from captures.reconstruction.splat_io import GaussianArrays, write_ply
from gallery.models import Item, ItemFile
from gallery.tasks import run_item
from tests.conftest import bearer
from tests.data import shared
from tests.downloads import DATA, SIZE, assert_range_downloads
from tests.phone_captures import lego_phone_zip
from tests.pictures import black_png

# The preview job runs inline here (run_item), which needs real commits, as a worker has.
pytestmark = pytest.mark.django_db(transaction=True)

CAPTURE_KEYS = {
    "eid", "sid", "name", "created", "uploaded", "state", "error_reason", "state_description",
    "error_reason_slug", "preview_urls", "preview_url", "viewer_url", "share_url", "share_link", "gif_url",
    "video_url", "share_video_url", "is_public",
}
METADATA_KEYS = {
    "eid", "sid", "name", "segmented_capture_eid", "profile_name", "lod", "hdr_mode", "nominal_ev",
    "tmo_parameters", "model_urls", "cameras", "models", "video_trajectory", "reposition_data",
}
CHUNK = 100_000


@pytest.fixture
def video():
    return shared("videos/lab4d_human-cap-3.mp4").read_bytes()


@pytest.fixture
def small_chunks(settings):
    settings.UPLOAD_CHUNK_SIZE = CHUNK


def md5(data):
    return hashlib.md5(data).hexdigest()


def chunks(data, size=CHUNK):
    return {n: data[(n - 1) * size:n * size] for n in range(1, -(-len(data) // size) + 1)}


def create(api, auth, name="Lab human", bytesize=1000, **extra):
    return api.post("/api/v1/captures", {"name": name, "bytesize": bytesize, **extra}, format="json", **auth)


def new_capture(api, auth, data, **extra):
    response = create(api, auth, bytesize=len(data), **extra)
    assert response.status_code == 200, response.json()
    return response.json()["eid"]


def upload_url(api, auth, eid, number, bytesize):
    response = api.post(f"/api/v1/captures/{eid}/create-upload-url/{number}", {"eid": eid, "bytesize": bytesize},
                        format="json", **auth)
    assert response.status_code == 200, response.json()
    return response.json()["upload_url"]


def put(api, url, data, **extra):
    """PUTs raw bytes to an upload URL, as a client does to S3: no token."""
    return api.put(urlparse(url).path, data, content_type="application/octet-stream", **extra)


def upload(api, auth, eid, data, numbers=None):
    """Uploads the numbered parts of `data` (all of them by default) and answers their ETags."""
    parts = chunks(data)
    etags = {}
    for number in numbers or parts:
        response = put(api, upload_url(api, auth, eid, number, len(data)), parts[number])
        assert response.status_code == 200, response.content
        etags[number] = response["ETag"]
    return etags


def complete(api, auth, eid, etags):
    parts = [{"number": n, "etag": etag} for n, etag in sorted(etags.items())]
    return api.post(f"/api/v1/captures/{eid}/uploaded", {"eid": eid, "parts": parts}, format="json", **auth)


def get_capture(api, auth, eid):
    response = api.get(f"/api/v1/captures/{eid}", **auth)
    assert response.status_code == 200
    return response.json()


def download(api, url, **headers):
    parts = urlparse(url)
    response = api.get(parts.path + (f"?{parts.query}" if parts.query else ""), **headers)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


def uploaded_capture(api, auth, data, **extra):
    eid = new_capture(api, auth, data, **extra)
    response = complete(api, auth, eid, upload(api, auth, eid, data))
    assert response.status_code == 200, response.json()
    return Capture.objects.get(eid=eid)


def processed(api, auth, data, **extra):
    """A capture uploaded in parts, with its queued preview job run as the worker would."""
    capture = uploaded_capture(api, auth, data, **extra)
    run_item(str(capture.items.get(pipeline="preview").pk))
    capture.refresh_from_db()
    return capture


def photo_zip():
    """A .zip of real photos in nested folders, with a text file the preview must ignore."""
    images = sorted(shared("multiview_milk/images").glob("*.jpg"))[:6]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for index, path in enumerate(images):
            archive.write(path, f"milk/{'left' if index % 2 else 'right/deeper'}/{path.name}")
        archive.writestr("milk/notes.txt", "shot on a turntable\n")
    return buffer.getvalue()


# --- the seed's workflow, end to end ------------------------------------------------------------------


def test_the_seed_workflow_uploads_a_real_video_in_parts_and_previews_it(api, user, auth, video, small_chunks):
    response = create(api, auth, bytesize=len(video), input_data_format="video", num_frames=240, guided_mode=True,
                      ios_app_version="3.2.1", created="2024-05-01T10:00:00Z")
    assert response.status_code == 200
    assert set(response.json()) == {"eid", "chunk_size", "num_parts"}
    eid, chunk_size, num_parts = response.json()["eid"], response.json()["chunk_size"], response.json()["num_parts"]
    assert (chunk_size, num_parts) == (CHUNK, 7)  # 676881 bytes: six full parts and 76881 bytes
    capture = Capture.objects.get(eid=eid)
    assert capture.owner == user and capture.input_data_format == "video"
    assert capture.client_metadata == {"num_frames": 240, "guided_mode": True, "ios_app_version": "3.2.1",
                                       "created": "2024-05-01T10:00:00Z"}
    assert get_capture(api, auth, eid)["state"] == "CREATED"

    parts = chunks(video, chunk_size)
    urls = {}
    for number in range(1, num_parts + 1):
        response = api.post(f"/api/v1/captures/{eid}/create-upload-url/{number}",
                            {"eid": eid, "bytesize": len(video)}, format="json", **auth)
        assert response.status_code == 200
        assert set(response.json()) == {"eid", "upload_url", "chunk_size"}
        assert response.json()["eid"] == eid and response.json()["chunk_size"] == chunk_size
        assert response.json()["upload_url"].startswith("http://testserver/api/v1/uploads/")
        urls[number] = response.json()["upload_url"]

    etags = {}
    for number in (7, 3, 1, 5, 2, 6, 4):  # out of order, as parallel uploads arrive
        response = put(api, urls[number], parts[number])
        assert response.status_code == 200 and response.content == b""
        assert response["ETag"] == f'"{md5(parts[number])}"'  # quoted, as S3's
        etags[number] = response["ETag"]
    retried = put(api, urls[3], parts[3])  # a part sent again replaces the first copy
    assert retried.status_code == 200 and retried["ETag"] == etags[3]
    assert UploadPart.objects.filter(capture=capture).count() == 7
    assert services.missing_parts(capture) == []

    response = complete(api, auth, eid, etags)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == CAPTURE_KEYS
    assert body["eid"] == eid and body["state"] == "UPLOADED" and body["uploaded"] is not None
    assert body["preview_urls"] == {} and body["preview_url"] is None
    # Every upload gets its preview, and a capture is reconstructed once uploaded.
    items = {item.pipeline: item for item in capture.items.all()}
    assert {pipeline: item.status for pipeline, item in items.items()} == {
        "preview": Item.Status.QUEUED, "gaussian-splatting": Item.Status.QUEUED}
    item = items["preview"]

    assert run_item(str(item.pk)) == "done"
    capture.refresh_from_db()
    with capture.source.open("rb") as source:
        assert md5(source.read()) == md5(video)  # the parts were joined in their numbers' order
    assert not UploadPart.objects.filter(capture=capture).exists()

    body = get_capture(api, auth, eid)
    # The preview is ready while the reconstruction waits its turn.
    assert body["state"] == "UPLOADED" and body["error_reason"] is None and body["state_description"] is None
    thumbnail_url, gif_url = body["preview_urls"]["thumbnail"], body["preview_urls"]["gif"]
    assert set(body["preview_urls"]) == {"thumbnail", "gif"}
    assert body["preview_url"] == thumbnail_url and body["gif_url"] == gif_url
    # A private capture's file URLs are signed: they work by themselves, with no token.
    capture = Capture.objects.get(eid=eid)
    assert thumbnail_url.startswith(f"http://testserver/share/{capture.sid}/files/thumbnail?signature=")
    assert body["share_url"] is None and body["viewer_url"] is None and body["video_url"] is None

    response, jpeg = download(api, thumbnail_url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(jpeg)).format == "JPEG"
    response, gif = download(api, gif_url, **auth)
    assert response.status_code == 200 and response["Content-Type"] == "image/gif"
    animation = Image.open(io.BytesIO(gif))
    assert animation.format == "GIF" and animation.n_frames > 1

    response, piece = download(api, gif_url, HTTP_RANGE="bytes=10-99", **auth)
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 10-99/{len(gif)}"
    assert piece == gif[10:100]


def test_a_resumed_upload_sends_only_the_missing_parts(api, auth, video, small_chunks):
    eid = new_capture(api, auth, video)
    capture = Capture.objects.get(eid=eid)
    etags = upload(api, auth, eid, video, numbers=[1, 2, 5])
    assert services.missing_parts(capture) == [3, 4, 6, 7]

    response = complete(api, auth, eid, etags)  # too early
    assert response.status_code == 400
    assert response.json() == {"detail": "Parts 3, 4, 6, 7 have not arrived. Upload them, then complete again."}

    etags.update(upload(api, auth, eid, video, numbers=services.missing_parts(capture)))
    response = complete(api, auth, eid, etags)
    assert response.status_code == 200 and response.json()["state"] == "UPLOADED"


def test_a_bulk_images_zip_with_nested_folders_previews(api, auth, small_chunks):
    archive = photo_zip()
    capture = processed(api, auth, archive, input_data_format="bulk-images")
    assert capture.input_data_format == "bulk-images" and capture.num_parts > 1
    assert capture.media_info == {"kind": "images", "image_count": 6}  # the .txt was left out
    body = get_capture(api, auth, capture.eid)
    assert body["state"] == "UPLOADED" and set(body["preview_urls"]) == {"thumbnail", "gif"}
    response, jpeg = download(api, body["preview_url"], **auth)
    assert response.status_code == 200 and Image.open(io.BytesIO(jpeg)).format == "JPEG"


def test_photos_listed_as_photo_files_are_sent_as_one_upload_and_previewed_as_a_set(api, auth, small_chunks):
    """An Atlas addition: a client without a zip library lists its photos and sends their bytes one after
    another; the parts cut across photos, and the worker packs them into a zip."""
    paths = sorted(shared("multiview_milk/images").glob("*.jpg"), key=lambda path: int(path.stem))[:8]
    photos = [{"name": f"milk/{path.name}", "size": path.stat().st_size} for path in paths]
    data = b"".join(path.read_bytes() for path in paths)
    capture = processed(api, auth, data, photo_files=photos)
    assert capture.num_parts > 1 and capture.input_data_format == "bulk-images"
    assert capture.photo_files == photos and capture.source.name.endswith(".zip")
    assert capture.media_info == {"kind": "images", "image_count": 8}
    assert set(get_capture(api, auth, capture.eid)["preview_urls"]) == {"thumbnail", "gif"}

    refused = create(api, auth, bytesize=len(data), photo_files=[*photos, {"name": "clip.mp4", "size": 10}])
    assert refused.status_code == 400
    assert refused.json() == {"detail": "Only JPEG and PNG photos can go with other photos; not clip.mp4. Leave it "
                                        "out, or upload a video or a .zip on its own."}
    missing = create(api, auth, bytesize=len(data), photo_files=[{"name": "a.jpg"}])
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["body", "photo_files", 0, "size"]
    # The API docs name it as an addition.
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    documented = next(component["properties"]["photo_files"] for component in schema["components"]["schemas"].values()
                      if "photo_files" in component.get("properties", {}))
    assert documented["description"].startswith("Atlas addition: photos sent one after another")


def test_a_zip_holding_a_photo_over_the_pixel_limit_fails_its_preview_naming_it(api, auth, small_chunks, settings):
    settings.IMAGE_MAX_PIXELS = 40_000_000
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for n in range(3):
            photo = io.BytesIO()
            Image.new("RGB", (64, 48), (40 * n, 90, 200)).save(photo, "JPEG")
            archive.writestr(f"scan/{n}.jpg", photo.getvalue())
        archive.writestr("scan/panorama.png", black_png(9400, 9400))
    capture = processed(api, auth, buffer.getvalue(), input_data_format="bulk-images")

    item = capture.items.get(pipeline="preview")
    assert item.status == Item.Status.FAILED
    assert item.failure_reason == ("The photo 'panorama.png' in the archive is 9400×9400 (88 megapixels); the limit "
                                   "is 40 megapixels. Resize the photos that large and zip them again.")
    assert get_capture(api, auth, capture.eid)["state_description"] == item.failure_reason


def test_a_file_that_is_not_a_video_fails_its_preview_with_a_readable_reason(api, auth, small_chunks):
    capture = processed(api, auth, b"These are meeting notes, not a video.\n" * 4000, input_data_format="video")
    item = capture.items.get(pipeline="preview")
    assert item.status == Item.Status.FAILED
    assert item.failure_reason == ("This file is not a video or photo that can be read (it is another kind of file, "
                                   "or it is damaged or incomplete). Upload an .mp4 video or a .jpg or .png photo.")
    body = get_capture(api, auth, capture.eid)
    assert body["state"] == "FAILED"
    assert body["error_reason"] == body["error_reason_slug"] == "processing_failed"
    assert body["state_description"] == item.failure_reason
    assert body["preview_urls"] == {} and body["preview_url"] is None and body["gif_url"] is None


# --- parts: refusals -------------------------------------------------------------------------------


def test_a_wrong_etag_is_refused_and_nothing_is_queued(api, auth, video, small_chunks):
    eid = new_capture(api, auth, video)
    etags = upload(api, auth, eid, video)
    etags[2] = '"' + "0" * 32 + '"'
    response = complete(api, auth, eid, etags)
    assert response.status_code == 400
    assert response.json() == {"detail": "The ETags of parts 2 do not match what arrived. Upload those parts again."}
    assert not Item.objects.exists()
    assert get_capture(api, auth, eid)["state"] == "UPLOADING"


def test_a_missing_part_is_refused_and_nothing_is_queued(api, auth, video, small_chunks):
    eid = new_capture(api, auth, video)
    etags = upload(api, auth, eid, video, numbers=[1, 2, 3, 5, 6, 7])
    response = complete(api, auth, eid, {**etags, 4: etags[3]})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("Parts 4 have not arrived.")
    assert not Item.objects.exists()


def test_a_completion_must_list_every_part(api, auth, video, small_chunks):
    eid = new_capture(api, auth, video)
    etags = upload(api, auth, eid, video)
    del etags[7]
    response = complete(api, auth, eid, etags)
    assert response.status_code == 400
    assert response.json() == {"detail": "List every part from 1 to 7 exactly once with its ETag."}
    assert not Item.objects.exists()


def test_a_part_of_the_wrong_size_is_refused_and_not_kept(api, auth, video, small_chunks):
    eid = new_capture(api, auth, video)
    url = upload_url(api, auth, eid, 2, len(video))
    short = put(api, url, video[:CHUNK - 1])
    assert short.status_code == 400
    assert short.json() == {"detail": f"Part 2 must be exactly {CHUNK} bytes; this request has {CHUNK - 1}."}
    long = put(api, url, video[:CHUNK + 1])
    assert long.status_code == 400
    last = put(api, upload_url(api, auth, eid, 7, len(video)), video[:CHUNK])  # the last part is the remainder
    assert last.status_code == 400 and "exactly 76881 bytes" in last.json()["detail"]
    assert not UploadPart.objects.exists()


def test_the_content_length_is_checked_before_the_body_is_read(api, auth, video, small_chunks):
    eid = new_capture(api, auth, video)
    url = upload_url(api, auth, eid, 1, len(video))
    response = put(api, url, video[:10], CONTENT_LENGTH=str(5 * 1024**3))
    assert response.status_code == 400
    assert response.json()["detail"] == f"Part 1 must be exactly {CHUNK} bytes; this request has {5 * 1024**3}."
    response = put(api, url, video[:10], CONTENT_LENGTH="ten")
    assert response.status_code == 400


def test_an_expired_upload_url_is_refused(api, auth, video, small_chunks):
    eid = new_capture(api, auth, video)

    class YesterdaySigner(signing.TimestampSigner):
        def timestamp(self):
            return signing.b62_encode(int(signing.time.time()) - 25 * 3600)

    token = YesterdaySigner(salt=services.PART_URL_SALT).sign(f"{eid}:1")
    response = put(api, f"/api/v1/uploads/{token}", video[:CHUNK])
    assert response.status_code == 403
    assert response.json() == {"detail": "This upload URL has expired. Ask for a new one with create-upload-url."}
    assert not UploadPart.objects.exists()


def test_a_forged_upload_url_is_refused(api, auth, video, small_chunks):
    eid = new_capture(api, auth, video)
    token = urlparse(upload_url(api, auth, eid, 1, len(video))).path.rsplit("/", 1)[1]
    other_part = token.replace(f"{eid}:1:", f"{eid}:2:")
    other_key = signing.TimestampSigner(key="not-the-server-key", salt=services.PART_URL_SALT).sign(f"{eid}:1")
    for forged in (other_part, other_key, token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "nonsense"):
        response = put(api, f"/api/v1/uploads/{forged}", video[:CHUNK])
        assert response.status_code == 403, forged
        assert response.json() == {"detail": "This upload URL is not valid."}
    assert not UploadPart.objects.exists()


def test_parts_cannot_change_once_the_capture_is_uploaded(api, auth, video, small_chunks):
    eid = new_capture(api, auth, video)
    url = upload_url(api, auth, eid, 1, len(video))
    etags = upload(api, auth, eid, video)
    assert complete(api, auth, eid, etags).status_code == 200
    assert put(api, url, video[:CHUNK]).status_code == 409
    response = api.post(f"/api/v1/captures/{eid}/create-upload-url/1", {"eid": eid, "bytesize": len(video)},
                        format="json", **auth)
    assert response.status_code == 409 and response.json() == {"detail": "This capture is already uploaded."}
    again = complete(api, auth, eid, etags)
    assert again.status_code == 409
    assert Item.objects.count() == 2  # the preview and the reconstruction, queued once


def test_a_new_bytesize_replans_an_untouched_upload_but_not_a_started_one(api, auth, video, small_chunks):
    eid = new_capture(api, auth, video)
    url_for_part_7 = upload_url(api, auth, eid, 7, len(video))
    smaller = video[:250_000]
    response = api.post(f"/api/v1/captures/{eid}/create-upload-url/1", {"eid": eid, "bytesize": len(smaller)},
                        format="json", **auth)
    assert response.status_code == 200
    capture = Capture.objects.get(eid=eid)
    assert (capture.bytesize, capture.num_parts) == (250_000, 3)
    stale = put(api, url_for_part_7, video[6 * CHUNK:])  # issued for the old plan
    assert stale.status_code == 400 and "now has 3 parts" in stale.json()["detail"]

    upload(api, auth, eid, smaller, numbers=[1])
    response = api.post(f"/api/v1/captures/{eid}/create-upload-url/2", {"eid": eid, "bytesize": len(video)},
                        format="json", **auth)
    assert response.status_code == 409
    assert response.json()["detail"].startswith("The capture was started with bytesize 250000")


def test_a_part_number_outside_the_plan_is_refused(api, auth, video, small_chunks):
    eid = new_capture(api, auth, video)
    response = api.post(f"/api/v1/captures/{eid}/create-upload-url/8", {"eid": eid, "bytesize": len(video)},
                        format="json", **auth)
    assert response.status_code == 400
    assert response.json() == {"detail": "part_no must be between 1 and 7 for this capture."}


def test_files_larger_than_5_gb_are_planned_in_parts(api, auth, settings):
    settings.UPLOAD_CHUNK_SIZE = 100_000_000
    six_gib = 6 * 1024**3
    response = create(api, auth, name="Drone flight", bytesize=six_gib)
    assert response.status_code == 200
    body = response.json()
    assert body["chunk_size"] == 100_000_000 and body["num_parts"] == 65  # ceil(6442450944 / 1e8)
    capture = Capture.objects.get(eid=body["eid"])
    assert capture.part_size(1) == capture.part_size(64) == 100_000_000
    assert capture.part_size(65) == six_gib - 64 * 100_000_000 == 42_450_944
    last = upload_url(api, auth, body["eid"], 65, six_gib)
    refused = put(api, last, b"x" * 10, CONTENT_LENGTH=str(100_000_000))
    assert refused.status_code == 400 and "exactly 42450944 bytes" in refused.json()["detail"]

    settings.UPLOAD_CHUNK_SIZE = 100_000  # so small it would need 64425 parts: the chunk grows instead
    body = create(api, auth, bytesize=six_gib).json()
    assert body["num_parts"] == settings.UPLOAD_MAX_PARTS == 10_000
    assert body["chunk_size"] == -(-six_gib // 10_000) and body["chunk_size"] * 10_000 >= six_gib

    too_big = create(api, auth, bytesize=settings.UPLOAD_MAX_BYTES + 1)
    assert too_big.status_code == 400 and "the limit is 50 GB" in too_big.json()["detail"]


# --- requests of the wrong shape: FastAPI's 422 --------------------------------------------------


def test_an_unsupported_input_data_format_is_a_422_naming_the_supported_ones(api, auth):
    response = create(api, auth, input_data_format="lidar-scan")
    assert response.status_code == 422
    assert response.json() == {"detail": [{
        "loc": ["body", "input_data_format"],
        "msg": '"lidar-scan" is not a supported input_data_format. '
               'Supported formats: video, bulk-images, commonformat-ios.',
        "type": "enum",
    }]}
    assert not Capture.objects.exists()


def test_the_seeds_default_format_commonformat_ios_is_accepted(api, auth):
    response = create(api, auth, input_data_format="commonformat-ios")
    assert response.status_code == 200 and set(response.json()) == {"eid", "chunk_size", "num_parts"}
    assert Capture.objects.get(eid=response.json()["eid"]).input_data_format == "commonformat-ios"


def test_an_omitted_format_is_decided_by_the_bytes_once_the_parts_are_joined(api, auth, video, small_chunks):
    capture = uploaded_capture(api, auth, video)  # no input_data_format, as a client relying on the seed's default
    assert capture.input_data_format == ""  # undecided: the bytes are not there yet

    services.assemble(capture)  # what the worker does first, for the preview or the reconstruction

    capture.refresh_from_db()
    assert capture.input_data_format == "video" and capture.source.name.endswith(".mp4")


def test_an_undeclared_zip_is_a_phone_capture_with_a_transforms_json_and_photos_without(api, auth, small_chunks):
    phone = processed(api, auth, lego_phone_zip(count=3))
    assert phone.input_data_format == "commonformat-ios" and phone.source.name.endswith(".zip")
    assert phone.media_info == {"kind": "images", "image_count": 3}
    assert set(get_capture(api, auth, phone.eid)["preview_urls"]) == {"thumbnail", "gif"}

    photos = processed(api, auth, photo_zip())
    assert photos.input_data_format == "bulk-images" and photos.media_info == {"kind": "images", "image_count": 6}


def test_a_declared_phone_capture_that_is_a_video_is_taken_as_a_video(api, auth, video, small_chunks):
    capture = uploaded_capture(api, auth, video, input_data_format="commonformat-ios")

    services.assemble(capture)

    capture.refresh_from_db()
    assert capture.input_data_format == "video" and capture.source.name.endswith(".mp4")


def test_each_field_error_is_its_own_entry_with_its_location(api, auth):
    response = api.post("/api/v1/captures", {"bytesize": "many", "num_frames": -1}, format="json", **auth)
    assert response.status_code == 422
    entries = {tuple(e["loc"]): e for e in response.json()["detail"]}
    assert set(entries) == {("body", "name"), ("body", "bytesize"), ("body", "num_frames")}
    assert entries[("body", "name")]["type"] == "missing"
    assert entries[("body", "num_frames")]["type"] == "greater_than_equal"
    assert all(set(e) == {"loc", "msg", "type"} and e["msg"] for e in entries.values())

    response = create(api, auth, bytesize=0)
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "bytesize"]
    response = create(api, auth, name=42)
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "name"]
    response = create(api, auth, training_parameters={"focus_area": {"max_lat": "north"}})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "training_parameters", "focus_area", "max_lat"]


def test_malformed_json_and_non_object_bodies_are_422(api, auth):
    response = api.post("/api/v1/captures", "{not json", content_type="application/json", **auth)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body"] and response.json()["detail"][0]["type"] == "json_invalid"
    response = api.post("/api/v1/captures", [1, 2], format="json", **auth)
    assert response.status_code == 422 and response.json()["detail"][0]["type"] == "dict_type"


def test_path_and_body_errors_of_the_part_routes(api, auth, video, small_chunks):
    eid = new_capture(api, auth, video)
    response = api.post(f"/api/v1/captures/{eid}/create-upload-url/first", {"eid": eid, "bytesize": len(video)},
                        format="json", **auth)
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["path", "part_no"]
    response = api.post(f"/api/v1/captures/{eid}/create-upload-url/0", {"eid": eid, "bytesize": len(video)},
                        format="json", **auth)
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["path", "part_no"]
    other = new_capture(api, auth, video)
    response = api.post(f"/api/v1/captures/{eid}/create-upload-url/1", {"eid": other, "bytesize": len(video)},
                        format="json", **auth)
    assert response.status_code == 422
    assert response.json() == {"detail": [{"loc": ["body", "eid"], "msg": "eid must be the eid in the path.",
                                           "type": "value_error"}]}
    response = api.post(f"/api/v1/captures/{eid}/create-upload-url/1", {"eid": eid.upper(), "bytesize": len(video)},
                        format="json", **auth)
    assert response.status_code == 200  # the same UUID, spelt in capitals

    response = api.post(f"/api/v1/captures/{eid}/uploaded",
                        {"eid": eid, "parts": [{"number": 1, "etag": "abc"}, {"number": 2}]}, format="json", **auth)
    assert response.status_code == 422
    assert response.json()["detail"] == [{"loc": ["body", "parts", 1, "etag"], "msg": "This field is required.",
                                          "type": "missing"}]
    response = api.post(f"/api/v1/captures/{eid}/uploaded", {"parts": []}, format="json", **auth)
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "eid"]


# --- list, get, rename, delete ----------------------------------------------------------------------


def test_the_list_holds_the_accounts_own_captures_newest_first_with_limit_and_offset(api, auth, other_user):
    eids = [create(api, auth, name=f"capture {n}").json()["eid"] for n in range(3)]
    create(api, bearer(other_user), name="not mine")
    response = api.get("/api/v1/captures", **auth)
    assert response.status_code == 200
    assert [c["eid"] for c in response.json()] == eids[::-1]
    assert all(set(c) == CAPTURE_KEYS for c in response.json())
    first = response.json()[0]
    assert first["state"] == "CREATED" and first["uploaded"] is None and first["preview_urls"] == {}
    assert first["created"].endswith("Z") and first["is_public"] is False

    page = api.get("/api/v1/captures?limit=2&offset=1", **auth).json()
    assert [c["eid"] for c in page] == [eids[1], eids[0]]
    assert api.get("/api/v1/captures?limit=2&offset=3", **auth).json() == []
    with_zone = api.get("/api/v1/captures?limit=1&time_zone=true", **auth).json()[0]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d", with_zone["created"])


@pytest.mark.parametrize("query, loc", [
    ("limit=0", ["query", "limit"]),
    ("limit=abc", ["query", "limit"]),
    ("limit=101", ["query", "limit"]),
    ("offset=-1", ["query", "offset"]),
    ("time_zone=maybe", ["query", "time_zone"]),
])
def test_list_parameters_out_of_range_are_422(api, auth, query, loc):
    response = api.get(f"/api/v1/captures?{query}", **auth)
    assert response.status_code == 422
    assert [entry["loc"] for entry in response.json()["detail"]] == [loc]


def test_a_rename_renames_the_capture_and_its_items(api, auth, video, small_chunks):
    capture = uploaded_capture(api, auth, video)
    response = api.put(f"/api/v1/captures/{capture.eid}", {"name": "Dancer, take 2"}, format="json", **auth)
    assert response.status_code == 200
    assert set(response.json()) == CAPTURE_KEYS and response.json()["name"] == "Dancer, take 2"
    assert {item.name for item in capture.items.all()} == {"Dancer, take 2"}
    response = api.put(f"/api/v1/captures/{capture.eid}", {}, format="json", **auth)
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "name"]


def test_delete_removes_the_capture_and_its_files_from_storage(api, auth, video, small_chunks):
    capture = processed(api, auth, video)
    names = [capture.source.name, *ItemFile.objects.filter(item__capture__pk=capture.pk).values_list("file", flat=True)]
    assert len(names) == 3 and all(name and default_storage.exists(name) for name in names)
    response = api.delete(f"/api/v1/captures/{capture.eid}", **auth)
    assert response.status_code == 204 and response.content == b""
    assert not Capture.objects.exists() and not Item.objects.exists()
    assert not any(default_storage.exists(name) for name in names)
    assert api.get(f"/api/v1/captures/{capture.eid}", **auth).status_code == 404


def test_parts_of_an_unfinished_upload_go_with_its_deletion(api, auth, video, small_chunks):
    eid = new_capture(api, auth, video)
    upload(api, auth, eid, video, numbers=[1, 2])
    names = list(UploadPart.objects.values_list("file", flat=True))
    assert len(names) == 2 and all(default_storage.exists(name) for name in names)
    assert api.delete(f"/api/v1/captures/{eid}", **auth).status_code == 204
    assert not any(default_storage.exists(name) for name in names)


def test_an_unknown_capture_is_404(api, auth):
    for eid in ("8a4f2f1e-0000-4000-8000-000000000000", "not-an-id"):
        response = api.get(f"/api/v1/captures/{eid}", **auth)
        assert response.status_code == 404 and response.json() == {"detail": "There is no capture with this id."}


# --- sharing -----------------------------------------------------------------------------------------


def add_reconstruction(capture):
    """What a reconstruction run leaves (cameras and a model), stored as its item's files."""
    item = Item.objects.create(owner=capture.owner, name=capture.name, pipeline="preview", source=capture,
                               status=Item.Status.DONE)
    # One record as the reconstruction writes them (camera_records), one plain 4x4 matrix.
    cameras = [{"name": "frame_0001.jpg", "matrix": [1, 0, 0, 0.5, 0, 1, 0, 0, 0, 0, 1, 2, 0, 0, 0, 1],
                "width": 136, "height": 240, "fx": 200.0, "fy": 200.0, "cx": 68.0, "cy": 120.0},
               [[0, 0, 1, 1], [0, 1, 0, 0], [-1, 0, 0, 2], [0, 0, 0, 1]]]
    ply = b"ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\nproperty float z\n" \
          b"end_header\n0 0 0\n"
    for kind, name, content, content_type in (("cameras", "cameras.json", json.dumps(cameras).encode(),
                                               "application/json"),
                                              ("ply", "splat.ply", ply, "application/octet-stream")):
        item_file = ItemFile(item=item, kind=kind, content_type=content_type, size=len(content))
        item_file.file.save(name, ContentFile(content), save=True)
    return ply


def test_a_public_capture_shares_its_metadata_and_files_signed_out(api, auth, video, small_chunks):
    capture = processed(api, auth, video)
    response = api.put(f"/api/v1/captures/{capture.eid}", {"is_public": True}, format="json", **auth)
    assert response.status_code == 200
    body = response.json()
    assert body["is_public"] is True and body["name"] == "Lab human"
    assert body["share_url"] == body["share_link"] == f"http://testserver/s/{capture.sid}"
    assert body["viewer_url"] == f"http://testserver/s/{capture.sid}"  # the share page draws the model
    # The preview is made of the video itself: public only when the owner shows it (on the dashboard), so until
    # then its URLs are signed, as a private capture's are, and the bare share route refuses it.
    assert body["preview_url"].startswith(f"http://testserver/share/{capture.sid}/files/thumbnail?signature=")
    assert body["gif_url"].startswith(f"http://testserver/share/{capture.sid}/files/gif?signature=")
    assert api.get(f"/share/{capture.sid}/files/gif").status_code == 404
    assert api.get(f"/share/{capture.sid}/files/thumbnail").status_code == 404

    response = api.get(f"/share/{capture.sid}/metadata?profiles=ply&quality=&lod=&use_cdn=true")
    assert response.status_code == 200
    metadata = response.json()
    assert set(metadata) == METADATA_KEYS
    assert metadata["eid"] == str(capture.eid) and metadata["sid"] == capture.sid
    assert metadata["profile_name"] == "ply" and metadata["lod"] is False
    assert metadata["models"] == [] and metadata["model_urls"] == [] and metadata["cameras"] == []
    assert metadata["segmented_capture_eid"] is None and metadata["video_trajectory"] is None

    response, jpeg = download(api, body["preview_url"])  # no token
    assert response.status_code == 200 and Image.open(io.BytesIO(jpeg)).format == "JPEG"
    Capture.objects.filter(pk=capture.pk).update(show_preview_publicly=True)
    body = api.get(f"/api/v1/captures/{capture.eid}", **auth).json()
    assert body["preview_url"] == f"http://testserver/share/{capture.sid}/files/thumbnail"
    response, jpeg = download(api, body["preview_url"])  # no token, no signature
    assert response.status_code == 200 and Image.open(io.BytesIO(jpeg)).format == "JPEG"

    ply = add_reconstruction(capture)
    metadata = api.get(f"/share/{capture.sid}/metadata?profiles=ply&profiles=sogs-sh0").json()
    assert metadata["cameras"] == [{"matrix": [1, 0, 0, 0.5, 0, 1, 0, 0, 0, 0, 1, 2, 0, 0, 0, 1]},
                                   {"matrix": [0, 0, 1, 1, 0, 1, 0, 0, -1, 0, 0, 2, 0, 0, 0, 1]}]
    model_url = f"http://testserver/share/{capture.sid}/files/ply"
    assert metadata["models"] == [{"url": model_url, "size": len(ply), "id": None, "aabb": None,
                                   "resolution_range": None, "parent": None}]  # no compressed model yet
    assert metadata["model_urls"] == [model_url]
    assert download(api, model_url)[1] == ply
    assert api.get(f"/share/{capture.sid}/metadata?profiles=sogs-sh0").json()["profile_name"] == "sogs-sh0"

    stored = ItemFile.objects.get(item__capture__pk=capture.pk, kind="ply").file
    stored.storage.delete(stored.name)  # the row outlived its file
    response = api.get(model_url)
    assert response.status_code == 404 and "no longer in storage" in str(response.json()["detail"])
    response = api.get(f"/share/{capture.sid}/metadata?profiles=obj")
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["query", "profiles", 0]


def test_the_metadata_has_one_model_per_profile_in_the_order_asked(api, auth, tmp_path):
    eid = create(api, auth).json()["eid"]
    capture = Capture.objects.get(eid=eid)
    api.put(f"/api/v1/captures/{eid}", {"is_public": True}, format="json", **auth)
    # The model files as the reconstruction writes them, of a small real-looking model.
    rng = np.random.default_rng(0)
    model = GaussianArrays(means=rng.normal(size=(64, 3)), sh_dc=rng.normal(size=(64, 3)),
                           sh_rest=rng.normal(0, 0.1, (64, 15, 3)), opacities=rng.normal(size=64),
                           scales=rng.normal(-3, 0.5, (64, 3)), rotations=rng.normal(size=(64, 4)))
    write_ply(tmp_path / "splats.ply", model)
    write_sog(tmp_path / "splats-sogs.zip", model)
    for level in (0, 1, 2):
        write_ksplat(tmp_path / f"splats-{level}.ksplat", model, compression_level=level)
    item = Item.objects.create(owner=capture.owner, name=capture.name, pipeline="gaussian-splatting",
                               source=capture, status=Item.Status.DONE)
    files = {"ply": "splats.ply", "sog": "splats-sogs.zip", "ksplat-0": "splats-0.ksplat",
             "ksplat-1": "splats-1.ksplat", "ksplat-2": "splats-2.ksplat"}
    for kind, name in files.items():
        content = (tmp_path / name).read_bytes()
        item_file = ItemFile(item=item, kind=kind, content_type="application/octet-stream", size=len(content))
        item_file.file.save(name, ContentFile(content), save=True)

    profiles = ["ksplat-v2-compress1", "sogs-sh0", "ply", "ksplat-v2-compress0", "ksplat-v2-compress2"]
    response = api.get(f"/share/{capture.sid}/metadata?" + "&".join(f"profiles={p}" for p in profiles))
    assert response.status_code == 200
    metadata = response.json()
    assert metadata["profile_name"] == "ksplat-v2-compress1"
    kinds = ["ksplat-1", "sog", "ply", "ksplat-0", "ksplat-2"]
    urls = [f"http://testserver/share/{capture.sid}/files/{kind}" for kind in kinds]
    assert metadata["models"] == [{"url": url, "size": (tmp_path / files[kind]).stat().st_size, "id": None,
                                   "aabb": None, "resolution_range": None, "parent": None}
                                  for kind, url in zip(kinds, urls, strict=True)]
    assert metadata["model_urls"] == urls

    response, sogs = download(api, urls[1])  # no token: the capture is public
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="Lab human-splats-sogs.zip"')
    with zipfile.ZipFile(io.BytesIO(sogs)) as bundle:
        assert sorted(bundle.namelist()) == ["means_l.webp", "means_u.webp", "meta.json", "quats.webp",
                                             "scales.webp", "sh0.webp"]
    assert download(api, urls[0])[1] == (tmp_path / "splats-1.ksplat").read_bytes()
    one = api.get(f"/share/{capture.sid}/metadata?profiles=sogs-sh0,ksplat-v2-compress2").json()
    assert one["model_urls"] == [urls[1], urls[4]]


def test_a_private_capture_is_404_signed_out_and_for_others_but_readable_by_its_owner(api, auth, other_user):
    eid = create(api, auth).json()["eid"]
    capture = Capture.objects.get(eid=eid)
    api.put(f"/api/v1/captures/{eid}", {"is_public": True}, format="json", **auth)
    assert api.get(f"/share/{capture.sid}/metadata").status_code == 200
    response = api.put(f"/api/v1/captures/{eid}", {"is_public": False}, format="json", **auth)
    assert response.status_code == 200 and response.json()["share_url"] is None
    assert response.json()["viewer_url"] is None

    for headers in ({}, bearer(other_user)):
        response = api.get(f"/share/{capture.sid}/metadata", **headers)
        assert response.status_code == 404
        assert response.json() == {"detail": "There is no public capture with this share id."}
        assert api.get(f"/share/{capture.sid}/files/thumbnail", **headers).status_code == 404
    response = api.get(f"/share/{capture.sid}/metadata", **auth)
    assert response.status_code == 200 and response.json()["eid"] == eid
    assert api.get("/share/no-such-share/metadata").status_code == 404


# --- who may do what ---------------------------------------------------------------------------------


def capture_routes(eid):
    body = {"eid": eid, "bytesize": 1000}
    return [
        ("get", "/api/v1/captures", None),
        ("post", "/api/v1/captures", {"name": "x", "bytesize": 10}),
        ("get", f"/api/v1/captures/{eid}", None),
        ("put", f"/api/v1/captures/{eid}", {"name": "taken", "is_public": True}),
        ("post", f"/api/v1/captures/{eid}/create-upload-url/1", body),
        ("post", f"/api/v1/captures/{eid}/uploaded", {"eid": eid, "parts": [{"number": 1, "etag": "x"}]}),
        ("get", f"/api/v1/captures/{eid}/files/thumbnail", None),
        ("delete", f"/api/v1/captures/{eid}", None),
    ]


def test_every_authenticated_route_is_401_without_a_token(api, auth):
    eid = create(api, auth).json()["eid"]
    for method, path, body in capture_routes(eid):
        response = getattr(api, method)(path, body, format="json")
        assert response.status_code == 401, (method, path)
        assert response.json() == {"detail": "Not authenticated"}
        assert response["WWW-Authenticate"].startswith("Bearer")
    response = api.get("/api/v1/captures", HTTP_AUTHORIZATION="Bearer not-a-token")
    assert response.status_code == 401 and isinstance(response.json()["detail"], str)


def test_another_accounts_capture_is_404_on_every_route_as_an_unknown_one(api, auth, other_user, video,
                                                                         small_chunks):
    capture = processed(api, auth, video, name="Private dance")
    eid = str(capture.eid)
    intruder = bearer(other_user)
    seen = set()
    for method, path, body in capture_routes(eid)[2:]:
        response = getattr(api, method)(path, body, format="json", **intruder)
        seen.add(response.status_code)
        assert response.status_code == 404, (method, path, response.status_code)
        assert response.json() == {"detail": "There is no capture with this id."}
    for path in (f"/share/{capture.sid}/metadata", f"/share/{capture.sid}/files/thumbnail",
                 f"/share/{capture.sid}/files/gif"):
        assert api.get(path, **intruder).status_code == 404
    capture.refresh_from_db()
    assert capture.name == "Private dance" and not capture.is_public
    assert capture.items.count() == 2
    assert api.get("/api/v1/captures", **intruder).json() == []


def test_any_doors_token_works(api, user):
    for door in ("atlas", "scenes", "studio", "faceid"):
        response = create(api, bearer(user, door=door), name=door)
        assert response.status_code == 200, door
    assert Capture.objects.filter(owner=user).count() == 4


# --- limits a client cannot talk its way past ------------------------------------------------------------


def replan_to(api, auth, eid, bytesize):
    return api.post(f"/api/v1/captures/{eid}/create-upload-url/1", {"eid": eid, "bytesize": bytesize},
                    format="json", **auth)


@pytest.mark.parametrize("bytesize", [50 * 1024**3 + 1, 2**60, 2**63, 2**64, 10**30])
def test_a_new_bytesize_is_held_to_the_same_limit_as_a_new_capture(api, auth, bytesize):
    eid = create(api, auth, name="x", bytesize=10).json()["eid"]
    response = replan_to(api, auth, eid, bytesize)
    assert response.status_code == 400
    assert response.json() == {"detail": f"The file is {bytesize / 1024**3:,.1f} GB; the limit is 50 GB."}
    capture = Capture.objects.get(eid=eid)
    assert (capture.bytesize, capture.chunk_size, capture.num_parts) == (10, 64 * 1024**2, 1)
    assert create(api, auth, bytesize=bytesize).json() == response.json()  # what creation answers
    assert Capture.objects.count() == 1


def test_the_largest_allowed_file_can_still_be_replanned(api, auth):
    eid = create(api, auth, name="x", bytesize=10).json()["eid"]
    response = replan_to(api, auth, eid, 50 * 1024**3)
    assert response.status_code == 200
    capture = Capture.objects.get(eid=eid)
    assert capture.bytesize == 50 * 1024**3 and capture.chunk_size * capture.num_parts >= capture.bytesize


@pytest.mark.parametrize("query, loc, kind", [
    (f"offset={2**63}", ["query", "offset"], "less_than_equal"),
    (f"offset={2**31}", ["query", "offset"], "less_than_equal"),
    (f"limit={2**63}", ["query", "limit"], "less_than_equal"),
    ("offset=" + "9" * 5000, ["query", "offset"], "value_error"),
])
def test_list_offsets_past_what_the_database_holds_are_422(api, auth, query, loc, kind):
    response = api.get(f"/api/v1/captures?{query}", **auth)
    assert response.status_code == 422
    assert [(entry["loc"], entry["type"]) for entry in response.json()["detail"]] == [(loc, kind)]
    assert api.get(f"/api/v1/captures?offset={2**31 - 1}", **auth).json() == []


# --- types as the seed gives them: no strings for numbers or booleans ------------------------------------


@pytest.mark.parametrize("field, value, kind, message", [
    ("bytesize", "10", "int_type", "Input should be a valid integer: a JSON number without quotes."),
    ("bytesize", 10.0, "int_type", "Input should be a valid integer: a JSON number without quotes."),
    ("bytesize", True, "int_type", "Input should be a valid integer: a JSON number without quotes."),
    ("num_frames", "240", "int_type", "Input should be a valid integer: a JSON number without quotes."),
    ("guided_mode", "yes", "bool_type", "Input should be a valid boolean: true or false, without quotes."),
    ("guided_mode", 1, "bool_type", "Input should be a valid boolean: true or false, without quotes."),
])
def test_a_number_or_boolean_sent_as_another_type_is_422(api, auth, field, value, kind, message):
    response = create(api, auth, **{"bytesize": 10, field: value})
    assert response.status_code == 422
    assert response.json() == {"detail": [{"loc": ["body", field], "msg": message, "type": kind}]}
    assert not Capture.objects.exists()


def test_focus_area_coordinates_must_be_numbers(api, auth):
    response = create(api, auth, training_parameters={"focus_area": {"max_lat": "51.5", "min_lat": 51}})
    assert response.status_code == 422
    assert response.json() == {"detail": [{
        "loc": ["body", "training_parameters", "focus_area", "max_lat"],
        "msg": "Input should be a valid number: a JSON number without quotes.", "type": "float_type"}]}


def test_a_client_may_choose_the_quality_preset_as_an_addition(api, auth):
    eid = create(api, auth, training_parameters={"quality": "draft"}).json()["eid"]
    assert Capture.objects.get(eid=eid).reconstruction_parameters == {"preset": "draft"}
    response = create(api, auth, training_parameters={"quality": "ultra"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "training_parameters", "quality"]
    assert response.json()["detail"][0]["msg"] == '"ultra" is not a quality preset. Choose from draft, standard, high.'


def test_is_public_must_be_true_or_false(api, auth):
    eid = create(api, auth).json()["eid"]
    for value in ("yes", "true", 1, None):
        response = api.put(f"/api/v1/captures/{eid}", {"is_public": value}, format="json", **auth)
        assert response.status_code == 422, value
        assert response.json()["detail"][0]["loc"] == ["body", "is_public"]
    assert Capture.objects.get(eid=eid).is_public is False
    response = api.put(f"/api/v1/captures/{eid}", {"is_public": True}, format="json", **auth)
    assert response.status_code == 200 and response.json()["is_public"] is True


def test_upload_url_bytesize_and_part_numbers_must_be_integers(api, auth):
    eid = create(api, auth, bytesize=10).json()["eid"]
    response = replan_to(api, auth, eid, "10")
    assert response.status_code == 422 and response.json()["detail"][0]["type"] == "int_type"
    response = api.post(f"/api/v1/captures/{eid}/uploaded", {"eid": eid, "parts": [{"number": "1", "etag": "x"}]},
                        format="json", **auth)
    assert response.status_code == 422
    assert response.json()["detail"] == [{"loc": ["body", "parts", 0, "number"], "type": "int_type",
                                          "msg": "Input should be a valid integer: a JSON number without quotes."}]


def test_a_part_listed_twice_is_422_naming_it(api, auth, video, small_chunks):
    eid = new_capture(api, auth, video)
    etags = upload(api, auth, eid, video)
    parts = [{"number": n, "etag": etag} for n, etag in sorted(etags.items())]
    twice = [*parts, parts[1], {"number": 5, "etag": '"' + "0" * 32 + '"'}, parts[1]]
    response = api.post(f"/api/v1/captures/{eid}/uploaded", {"eid": eid, "parts": twice}, format="json", **auth)
    assert response.status_code == 422
    assert response.json() == {"detail": [{
        "loc": ["body", "parts"], "type": "value_error",
        "msg": "Parts 2, 5 are listed more than once: list each part once, with the ETag its upload answered."}]}
    assert not Item.objects.exists()
    assert complete(api, auth, eid, etags).status_code == 200


# --- names: one line of visible text, and any stored name downloads -------------------------------------


@pytest.mark.parametrize("name, what", [
    ("Dance\ntake 2", "a line break (U+000A) at character 6"),
    ("Dance\r\nSet-Cookie: x=1", "a carriage return (U+000D) at character 6"),
    ("Tab\there", "a tab (U+0009) at character 4"),
    ("photo\u202egpj.mp4", "an invisible control character (U+202E) at character 6"),
])
def test_a_name_with_control_characters_is_422_at_creation_and_rename(api, auth, name, what):
    message = f"The name contains {what}. Names must be one line of visible text: remove it and try again."
    response = create(api, auth, name=name)
    assert response.status_code == 422
    assert response.json() == {"detail": [{"loc": ["body", "name"], "msg": message, "type": "value_error"}]}
    eid = create(api, auth, name="Dance").json()["eid"]
    response = api.put(f"/api/v1/captures/{eid}", {"name": name}, format="json", **auth)
    assert response.status_code == 422 and response.json()["detail"][0]["msg"] == message
    assert Capture.objects.get().name == "Dance"


def test_a_stored_name_with_line_breaks_or_quotes_still_downloads(api, auth, video, small_chunks):
    capture = uploaded_capture(api, auth, video)
    ply = add_reconstruction(capture)
    for name, fallback, encoded in [
        ('Dance\r\ntake "2"', "Dance__take _2_", "Dance%0D%0Atake%20%222%22"),
        ('Say "cheese"', "Say _cheese_", "Say%20%22cheese%22"),
    ]:
        Capture.objects.filter(pk=capture.pk).update(name=name)  # as written before names were checked
        response, body = download(api, f"/api/v1/captures/{capture.eid}/files/ply", **auth)
        assert response.status_code == 200 and body == ply
        assert response["Content-Disposition"] == (
            f"attachment; filename=\"{fallback}-splat.ply\"; filename*=UTF-8''{encoded}-splat.ply")


# --- Range, byte for byte ---------------------------------------------------------------------------------


def test_capture_and_share_files_answer_every_range_form_exactly(api, auth, user):
    capture = Capture.objects.create(owner=user, name="Ranges", bytesize=SIZE, is_public=True)
    item = Item.objects.create(owner=user, name="Ranges", pipeline="preview", source=capture,
                               status=Item.Status.DONE)
    item_file = ItemFile(item=item, kind="ply", content_type="application/octet-stream", size=SIZE)
    item_file.file.save("splat.ply", ContentFile(DATA), save=True)
    assert_range_downloads(lambda header: api.get(f"/api/v1/captures/{capture.eid}/files/ply",
                                                  HTTP_RANGE=header, **auth))
    assert_range_downloads(lambda header: api.get(f"/share/{capture.sid}/files/ply", HTTP_RANGE=header))


def test_a_private_captures_model_urls_are_signed_and_work_without_a_token(api, auth, other_user, settings):
    """Teleport's scripts download metadata.models[...].url with no Authorization header."""
    capture = Capture.objects.get(eid=create(api, auth).json()["eid"])
    item = Item.objects.create(owner=capture.owner, name=capture.name, pipeline="gaussian-splatting",
                               source=capture, status=Item.Status.DONE)
    item_file = ItemFile(item=item, kind="ply", content_type="application/octet-stream", size=9)
    item_file.file.save("splats.ply", ContentFile(b"ply bytes"), save=True)

    metadata = api.get(f"/share/{capture.sid}/metadata?profiles=ply", **auth).json()
    [url] = metadata["model_urls"]
    assert url.startswith(f"http://testserver/share/{capture.sid}/files/ply?signature=")
    response, content = download(api, url)  # no token at all
    assert response.status_code == 200 and content == b"ply bytes"

    signature = url.partition("signature=")[2]
    refused = {
        "forged": f"/share/{capture.sid}/files/ply?signature={signature[:-2]}xx",
        "another file": f"/share/{capture.sid}/files/thumbnail?signature={signature}",
        "unsigned": f"/share/{capture.sid}/files/ply",
    }
    for why, path in refused.items():
        response = api.get(path)
        assert response.status_code == 404, why
        assert response.json() == {"detail": "There is no public capture with this share id."}, why
    settings.FILE_URL_LIFETIME = timedelta(seconds=-1)
    response = api.get(url.removeprefix("http://testserver"))
    assert response.status_code == 404
    assert response.json() == {
        "detail": "This download link has expired. Ask for the capture's metadata again for a new one."}
