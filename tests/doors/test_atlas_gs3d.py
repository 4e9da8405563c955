"""Seed 000 §3.5: POST /atlas/item/gs3d asks for a Gaussian splatting model of a phone video."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from gallery.models import Item
from tests.data import SHARED_DATA, needs

pytestmark = pytest.mark.django_db

VIDEO = SHARED_DATA / "videos" / "lab4d_human-cap-3.mp4"
needs_video = needs(VIDEO)


def payload(data=None, name="walk.mp4"):
    return SimpleUploadedFile(name, VIDEO.read_bytes() if data is None else data, content_type="video/mp4")


def gs3d(api, auth, **fields):
    body = {"itemName": "my walk", "Epoch": 10, "Payload": payload(), **fields}
    return api.post("/atlas/item/gs3d", {k: v for k, v in body.items() if v is not None}, format="multipart", **auth)


@needs_video
def test_a_video_becomes_a_queued_splatting_item_with_its_preview(api, auth, user):
    response = gs3d(api, auth)
    assert response.status_code == 201
    item = Item.objects.get(pk=response.json()["requestId"])
    assert (item.owner, item.name, item.pipeline, item.status) == (user, "my walk", "gaussian-splatting", "queued")
    assert item.parameters["iterations"] == 3000  # Epoch 10 at 300 iterations an epoch
    assert item.source.items.filter(pipeline="preview").exists()
    detail = api.get(f"/atlas/item/detail/{item.pk}", **auth).json()
    assert detail["Status"] == "PROGRESS" and detail["modelId"] == "2"


@needs_video
@pytest.mark.parametrize("fields, words", [
    ({"Epoch": 0}, "Epoch"), ({"Epoch": 101}, "Epoch"), ({"Epoch": "ten"}, "Epoch"),
    ({"itemName": None}, "itemName"), ({"Payload": None}, "Payload"),
])
def test_malformed_requests_are_400(api, auth, fields, words):
    response = gs3d(api, auth, **fields)
    assert response.status_code == 400
    assert words in response.json()["message"]
    assert not Item.objects.exists()


@needs_video
def test_a_file_that_is_not_an_mp4_is_400_naming_the_problem(api, auth, tmp_path):
    image = tmp_path / "photo.jpg"
    Image.new("RGB", (64, 64), "red").save(image)
    response = gs3d(api, auth, Payload=payload(image.read_bytes(), name="photo.mp4"))
    assert response.status_code == 400
    assert response.json() == {
        "message": "This file is named .mp4 but it is a JPEG image. Upload a real .mp4 video file."}
    assert not Item.objects.exists()


@needs_video
def test_a_video_over_the_seeds_limits_is_400_naming_the_limit(api, auth, settings, monkeypatch):
    from captures import limits

    monkeypatch.setitem(limits.GS3D_VIDEO, "max_duration", 5)
    response = gs3d(api, auth)
    assert response.status_code == 400
    assert "limit is 5 s" in response.json()["message"]


@needs_video
def test_the_same_item_name_twice_is_400(api, auth):
    assert gs3d(api, auth).status_code == 201
    response = gs3d(api, auth)
    assert response.status_code == 400 and "my walk" in response.json()["message"]


def test_a_token_is_needed(api):
    assert api.post("/atlas/item/gs3d", {}, format="multipart").status_code == 401


def test_an_item_name_with_a_line_break_is_400_saying_what_to_do(api, auth):
    response = gs3d(api, auth, itemName="my walk\r\nX-Evil: 1", Payload=payload(b"not read: the name is checked first"))
    assert response.status_code == 400
    assert response.json() == {"message": "itemName: The name contains a carriage return (U+000D) at character 8. "
                                          "Names must be one line of visible text: remove it and try again."}
    assert not Item.objects.exists()
