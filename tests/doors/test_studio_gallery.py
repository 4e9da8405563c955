"""Seed 003 "Generate" (status and queue position) and "Gallery": what a client polls and downloads.

Results here are stored by hand (a real JPEG, mp4 and .glb) so the routes are tested apart from the renderer;
tests/doors/test_studio.py walks the seed's call example with the real pipeline.
"""

import io
import itertools
from pathlib import Path

import numpy as np
import pytest
import trimesh
from django.core.files.base import ContentFile
from PIL import Image

from gallery.models import Item, ItemFile
from generation.models import Generation
from tests.conftest import bearer

pytestmark = pytest.mark.django_db

ROUTES = [("get", "/get_gallery"), ("get", "/get_gallery_image/{url}"), ("get", "/get_gallery_video/{url}"),
          ("get", "/get_thumbnail/{url}"), ("get", "/get_gallery_model/{url}"),
          ("delete", "/remove_gallery_image/{url}"),
          ("get", "/generate/{task}"), ("post", "/generate"), ("post", "/generate_video")]


TASK_IDS = itertools.count(1764633600000)


def jpeg(colour=(200, 40, 40), size=(32, 48)):
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    return buffer.getvalue()


def mp4(tmp_path, frames=3):
    from media.video import write_video

    path = tmp_path / "clip.mp4"
    write_video([np.full((32, 48, 3), 80 * i, np.uint8) for i in range(frames)], path, fps=24)
    return path.read_bytes()


def glb():
    return trimesh.creation.box().export(file_type="glb")


def stored(item, kind, content, content_type, name):
    ItemFile.objects.create(item=item, kind=kind, file=ContentFile(content, name=name), content_type=content_type,
                            size=len(content))


def generation(owner, kind="image", status=Item.Status.DONE, task_id=None, tmp_path=None, **item_fields):
    made = Generation.objects.create(owner=owner, kind=kind, task_id=task_id or str(next(TASK_IDS)),
                                     request={}, spec={})
    item = Item.objects.create(owner=owner, name=f"Avatar {kind}", pipeline=f"avatar-{kind}", source=made,
                               status=status, **item_fields)
    if status == Item.Status.DONE:
        if kind == "image":
            stored(item, "image", jpeg(), "image/jpeg", "image.jpg")
        else:
            stored(item, "video", mp4(tmp_path), "video/mp4", "video.mp4")
        stored(item, "thumbnail", jpeg((10, 200, 10), (16, 24)), "image/jpeg", "thumbnail.jpg")
        stored(item, "glb", glb(), "model/gltf-binary", "avatar.glb")
    return made


def call(api, method, path, headers):
    return getattr(api, method)(path, format="json", **headers) if method != "post" else api.post(
        path, {}, format="json", **headers)


def error(response, status):
    assert response.status_code == status, response.content
    body = response.json()
    assert list(body) == ["message"] and body["message"]
    return body["message"]


@pytest.fixture
def headers(user):
    return bearer(user, door="studio")


@pytest.mark.parametrize("method, path", ROUTES)
def test_every_generate_and_gallery_route_needs_a_token(api, db, method, path):
    response = call(api, method, path.format(url="1736386913456-1", task="1736386913456"), {})
    error(response, 401)


def test_the_status_follows_the_item_as_the_seed_numbers_it(api, user, headers):
    made = generation(user, status=Item.Status.QUEUED)
    expected = {Item.Status.QUEUED: 0, Item.Status.PROCESSING: 1, Item.Status.DONE: 2, Item.Status.FAILED: 3,
                Item.Status.CANCELLED: 3}
    for status, number in expected.items():
        made.items.all().update(status=status)
        response = api.get(f"/generate/{made.task_id}", **headers)
        assert response.status_code == 200
        assert response.json()["status"] == number


def test_the_position_counts_the_tasks_ahead_in_the_queue(api, user, other_user, headers):
    """Seed: -1 not in the queue, 0 in process, n: n tasks ahead (anyone's: they share the workers)."""
    working = generation(other_user, status=Item.Status.PROCESSING)
    first = generation(other_user, status=Item.Status.QUEUED, task_id="1000")
    mine = generation(user, status=Item.Status.QUEUED, task_id="1001")
    done = generation(user, task_id="1002", tmp_path=None)

    def polled(made):
        body = api.get(f"/generate/{made.task_id}", **headers).json()
        assert list(body) == ["status", "position"]
        return body

    assert polled(mine) == {"status": 0, "position": 2}  # the one being made and the one queued before mine
    assert polled(done) == {"status": 2, "position": -1}
    working.items.all().update(status=Item.Status.DONE)
    first.items.all().update(status=Item.Status.PROCESSING)
    assert polled(mine) == {"status": 0, "position": 1}
    mine.items.all().update(status=Item.Status.PROCESSING)
    assert polled(mine) == {"status": 1, "position": 0}


def test_an_unknown_task_and_another_accounts_task_are_the_same_404(api, user, other_user, headers):
    theirs = generation(other_user, status=Item.Status.QUEUED)
    assert "no task" in error(api.get(f"/generate/{theirs.task_id}", **headers), 404)
    assert "no task" in error(api.get("/generate/999", **headers), 404)


def test_the_gallery_lists_finished_results_newest_first_in_the_seed_shape(api, user, other_user, headers,
                                                                              tmp_path):
    picture = generation(user, task_id="1736386913456")
    video = generation(user, kind="video", task_id="1738860592428", tmp_path=tmp_path)
    generation(user, status=Item.Status.PROCESSING)
    generation(user, status=Item.Status.FAILED)
    generation(other_user, tmp_path=tmp_path)
    response = api.get("/get_gallery", **headers)
    assert response.status_code == 200
    assert response.json() == {"gallery_urls": [{"type": "video", "url": video.task_id},
                                                 {"type": "image", "url": f"{picture.task_id}-1"}]}


def test_a_picture_its_thumbnail_and_model_download(api, user, headers):
    picture = generation(user, task_id="1736386913456")
    response = api.get("/get_gallery_image/1736386913456-1", **headers)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(b"".join(response.streaming_content))).size == (32, 48)
    response = api.get("/get_thumbnail/1736386913456-1", **headers)
    assert Image.open(io.BytesIO(b"".join(response.streaming_content))).size == (16, 24)
    response = api.get(f"/get_gallery_model/{picture.gallery_url}", **headers)
    assert response["Content-Type"] == "model/gltf-binary"
    loaded = trimesh.load(io.BytesIO(b"".join(response.streaming_content)), file_type="glb")
    assert len(loaded.geometry) == 1


def test_a_video_streams_with_ranges(api, user, headers, tmp_path):
    video = generation(user, kind="video", task_id="1738860592428", tmp_path=tmp_path)
    response = api.get("/get_gallery_video/1738860592428", **headers)
    assert response.status_code == 200 and response["Content-Type"] == "video/mp4"
    whole = b"".join(response.streaming_content)
    assert whole[4:8] == b"ftyp"
    response = api.get(f"/get_gallery_video/{video.task_id}", HTTP_RANGE="bytes=0-99", **headers)
    assert response.status_code == 206 and b"".join(response.streaming_content) == whole[:100]


def test_the_wrong_route_for_a_kind_says_which_one_serves_it(api, user, headers, tmp_path):
    generation(user, task_id="1736386913456")
    generation(user, kind="video", task_id="1738860592428", tmp_path=tmp_path)
    assert "/get_gallery_image/1736386913456-1" in error(api.get("/get_gallery_video/1736386913456-1", **headers), 404)
    assert "/get_gallery_video/1738860592428" in error(api.get("/get_gallery_image/1738860592428", **headers), 404)


@pytest.mark.parametrize("method, path", [r for r in ROUTES if "{url}" in r[1]])
def test_another_accounts_token_gets_nothing_on_every_gallery_route(api, user, other_user, headers, method, path,
                                                                     tmp_path):
    theirs = generation(other_user, task_id="1736386913456")
    their_video = generation(other_user, kind="video", task_id="1738860592428", tmp_path=tmp_path)
    for made in (theirs, their_video):
        message = error(call(api, method, path.format(url=made.gallery_url), headers), 404)
        assert "nothing called" in message
    assert Generation.objects.filter(owner=other_user).count() == 2
    assert api.get("/get_gallery", **headers).json() == {"gallery_urls": []}


def test_a_result_in_the_making_is_not_in_the_gallery_yet(api, user, headers):
    making = generation(user, status=Item.Status.PROCESSING, task_id="1736386913456")
    error(api.get(f"/get_gallery_image/{making.gallery_url}", **headers), 404)


def test_removing_a_picture_removes_it_and_its_files(api, user, headers, django_capture_on_commit_callbacks):
    picture = generation(user, task_id="1736386913456")
    paths = [Path(f.file.path) for f in ItemFile.objects.filter(item__in=picture.items.all())]
    assert len(paths) == 3 and all(path.exists() for path in paths)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.delete("/remove_gallery_image/1736386913456-1", **headers)
    assert response.status_code == 200 and list(response.json()) == ["message"]
    assert not Generation.objects.filter(pk=picture.pk).exists()
    assert not Item.objects.filter(source_id=picture.pk, pipeline="avatar-image").exists()
    assert api.get("/get_gallery", **headers).json() == {"gallery_urls": []}
    error(api.get("/get_gallery_image/1736386913456-1", **headers), 404)
    error(api.delete("/remove_gallery_image/1736386913456-1", **headers), 404)
    assert not any(path.exists() for path in paths)


def test_removing_a_video_works_with_either_spelling(api, user, headers, tmp_path):
    generation(user, kind="video", task_id="1738860592428", tmp_path=tmp_path)
    assert api.delete("/remove_gallery_image/1738860592428-1", **headers).status_code == 200
    assert api.get("/get_gallery", **headers).json() == {"gallery_urls": []}
