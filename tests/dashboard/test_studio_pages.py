"""The avatar studio's pages: the studio (its controls, the body it sends, the live preview's .glb), a result's page
with its progress and files, and the gallery with removal; nobody reaches another account's results.

Until the avatar package (generation.avatar.spec, .studio, .export) is merged, the reading of a body and the
preview's mesh are replaced here where a test needs them to succeed; refusals that happen before the package is
asked are real, and the preview test at the end runs the real package once it is there."""

import itertools
import json
import os
import re

import pytest
from django.core.files.base import ContentFile
from django.test import Client

from core.errors import Invalid
from dashboard.forms.studio import BODY_DIMENSIONS, DEFAULTS, StudioForm, field_name, initial_from
from gallery.models import Item, ItemFile
from generation import services
from generation.avatar import spec
from generation.avatar.examples import SEED_IMAGE, SEED_VIDEO
from generation.models import Generation

pytestmark = pytest.mark.django_db

SEED_VIDEO_OPTIONS = SEED_VIDEO["video_options"]
SEED_KEYS = [entry["key"] for entry in SEED_IMAGE["user_details"]["body_dimensions"]]

# What the studio sends for its defaults: the seed's shape exactly, every slider at average.
DEFAULT_IMAGE_BODY = {
    "user_details": {
        "face_shape": "oval",
        "skin_tone": 2,
        "pose": "I-Pose",
        "body_dimensions": [{"key": key, "value": 0.0} for key in SEED_KEYS],
        "body_dimension_lengths": [],
        "hairstyle": "10",
        "hair_color": "6B4F30FF",
        "camera_view": "Front",
        "view_mode": 0,
        "expression": "Neutral",
        "background_color_hex": "FFE4DBFF",
        "gender": "Female",
    },
    "apparel_details": {"brand": "", "item_id": "LongSleeve", "color": "Black", "size": "M", "size2": "L"},
    "image_options": {"quality": 100, "thumbnail_width": 128},
}


def page(response):
    return response.content.decode()


def post_data(initial):
    """The studio form's fields as the browser posts them, from form values (`initial`)."""
    return {name: "" if value is None else str(value) for name, value in initial.items()}


def default_post(**changes):
    form = StudioForm()
    data = post_data(form.initial)
    data.update({name: str(value) for name, value in changes.items()})
    return data


def shape(value):
    """The JSON's shape: keys in order at every level, list items' shapes, the scalars' types (ints and floats
    alike: the seed writes 1 and 0.5 in one list)."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(item) for item in value]
    if isinstance(value, bool):
        return "bool"
    return "number" if isinstance(value, int | float) else type(value).__name__


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


TASK_IDS = itertools.count(1764633600000)


def make_generation(owner, kind="image", status=Item.Status.QUEUED, request=None, **item_fields):
    generation = Generation.objects.create(owner=owner, kind=kind, task_id=str(next(TASK_IDS)),
                                           request=request if request is not None else SEED_IMAGE,
                                           renderer=services.LOCAL_RENDERER)
    item = Item.objects.create(owner=owner, name=f"Avatar {kind}", pipeline=services.PIPELINES[kind],
                               source=generation, overall_size=3)
    Item.objects.filter(pk=item.pk).update(status=status, **item_fields)
    return generation


def add_file(generation, kind, content, content_type, filename):
    item = generation.item
    item_file = ItemFile(item=item, kind=kind, content_type=content_type, size=len(content))
    item_file.file.save(filename, ContentFile(content), save=False)
    item_file.save()
    return item_file


def finished(owner, kind="image", request=None):
    generation = make_generation(owner, kind, Item.Status.DONE, request=request, overall_position=3)
    main = ("image", b"\xff\xd8picture", "image/jpeg", "image.jpg") if kind == "image" else \
        ("video", b"\x00\x00\x00\x18ftypmp42" + b"v" * 500, "video/mp4", "video.mp4")
    add_file(generation, *main)
    add_file(generation, "thumbnail", b"\xff\xd8thumb", "image/jpeg", "thumbnail.jpg")
    add_file(generation, "glb", b"glTF\x02\x00\x00\x00mesh", "model/gltf-binary", "avatar.glb")
    return generation


# --- signing in, the nav -----------------------------------------------------------------------------------

def test_every_studio_page_asks_visitors_to_sign_in(client, user):
    generation = finished(user)
    for address in ("/studio/", "/studio/gallery/", f"/studio/{generation.task_id}/",
                    f"/studio/{generation.task_id}/status.json", f"/studio/{generation.task_id}/files/image/"):
        response = client.get(address)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), address
    for address in ("/studio/generate/", f"/studio/{generation.task_id}/remove/"):
        response = client.post(address, default_post(kind="image"))
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), address
    response = client.post("/studio/preview.glb", default_post())
    assert response.status_code == 401 and "Sign in" in response.json()["message"]
    assert Generation.objects.count() == 1


def test_the_nav_leads_signed_in_people_to_the_studio(signed_in):
    assert '<a href="/studio/">Studio</a>' in page(signed_in.get("/faces/"))


# --- the studio ----------------------------------------------------------------------------------------------

def test_the_studio_shows_every_control_grouped_with_the_defaults(signed_in):
    response = signed_in.get("/studio/")
    assert response.status_code == 200
    html = page(response)
    for group in ("Body", "Head", "Torso", "Arms", "Legs", "Face", "Hair", "Clothes", "Pose &amp; camera", "Video"):
        assert f"<summary>{group}</summary>" in html, group
    for key in BODY_DIMENSIONS:
        slider = re.search(rf'<input type="range" name="{field_name(key)}"[^>]*>', html).group(0)
        assert 'min="-2.0"' in slider and 'max="2.0"' in slider and 'step="0.1"' in slider and 'value="0.0"' in slider
        assert f'data-key="{key}"' in slider
        assert f'<output for="id_{field_name(key)}" class="studio-value">' in html
    assert len(re.findall(r'type="range"', html)) == 22
    assert html.count('class="swatch"') == len(spec.SKIN_TONES) + len(spec.COLORS)  # skin tones and garment colours
    assert 'type="radio" name="skin_tone" value="2"' in html and 'value="2" class' not in html
    assert re.search(r'type="radio" name="skin_tone" value="2"[^>]*checked', html)
    assert re.search(r'type="radio" name="gender" value="Female"[^>]*checked', html)
    assert '<input type="color" name="hair_color" value="#6b4f30"' in html
    assert '<option value="Front" selected>Front</option>' in html
    assert '<option value="FrontLeft">Front left</option>' in html
    # The live preview: a deferred viewer, the form's preview address, and the two generate buttons.
    assert 'data-viewer-deferred="true"' in html and 'data-preview-url="/studio/preview.glb"' in html
    assert 'name="kind" value="image"' in html and 'name="kind" value="video"' in html
    assert "Started from the settings" not in html


def test_the_defaults_make_the_seed_body_exactly(signed_in):
    form = StudioForm(default_post())
    assert form.is_valid(), form.errors
    body = form.body("image")
    assert body == DEFAULT_IMAGE_BODY
    assert json.dumps(body) == json.dumps(DEFAULT_IMAGE_BODY)  # the same key order too
    assert shape(body) == {**shape(SEED_IMAGE), "user_details": {
        **shape(SEED_IMAGE["user_details"]), "body_dimension_lengths": []}}
    video = form.body("video")
    assert list(video) == ["user_details", "apparel_details", "video_options"]
    assert shape(video["video_options"]) == shape(SEED_VIDEO_OPTIONS)
    assert video["video_options"] == {"pixverse": False, "duration": 5, "negative_prompt": "", "prompt": "", "seed": 0}
    assert form.preview_body() == {key: DEFAULT_IMAGE_BODY[key] for key in ("user_details", "apparel_details")}


def test_the_seeds_example_read_back_into_the_form_makes_the_same_body():
    form = StudioForm(post_data(initial_from({**SEED_IMAGE, "video_options": SEED_VIDEO_OPTIONS})))
    assert form.is_valid(), form.errors
    expected = json.loads(json.dumps(SEED_IMAGE))
    expected["user_details"]["body_dimension_lengths"] = []  # the page has no bone-length controls
    assert form.body("image") == expected
    assert form.body("video")["video_options"] == {**SEED_VIDEO_OPTIONS, "pixverse": False}


def test_odd_stored_values_fall_back_to_the_defaults():
    initial = initial_from({"user_details": {"gender": "Robot", "skin_tone": 42, "hairstyle": 3,
                                             "hair_color": "not a colour", "view_mode": "2",
                                             "body_dimensions": {"b_{main}_muscular": 7, "b_{main}_skinny": "x"}},
                            "apparel_details": "LongSleeve"})
    assert initial["gender"] == "Female" and initial["skin_tone"] == 2 and initial["hairstyle"] == "3"
    assert initial["hair_color"] == DEFAULTS["hair_color"] and initial["view_mode"] == 0
    assert initial[field_name("b_{main}_muscular")] == 2.0 and initial[field_name("b_{main}_skinny")] == 0.0
    assert initial_from(None) == {**DEFAULTS, **{field_name(key): 0.0 for key in BODY_DIMENSIONS}}


def test_the_studio_starts_from_the_newest_request_or_the_one_asked_for(signed_in, user, other_user):
    older = make_generation(user, request={"user_details": {"expression": "Sad"}})
    make_generation(user, kind="video", request={**SEED_IMAGE, "video_options": {**SEED_VIDEO_OPTIONS,
                                                                                      "prompt": "waves hello"}})
    foreign = make_generation(other_user)
    html = page(signed_in.get("/studio/"))
    assert "Started from the settings of your video" in html
    assert '<option value="Kiss" selected>Kiss</option>' in html
    assert re.search(r'name="body_main_muscular" value="0.5"', html)
    assert re.search(r'name="body_torso_breast_size" value="2.0"', html)
    assert re.search(r">\s*waves hello</textarea>", html)
    html = page(signed_in.get("/studio/", {"from": older.task_id}))
    assert '<option value="Sad" selected>Sad</option>' in html
    assert 'name="body_main_muscular" value="0.0"' in html
    html = page(signed_in.get("/studio/", {"defaults": "1"}))
    assert '<option value="Neutral" selected>Neutral</option>' in html and "Started from" not in html
    assert signed_in.get("/studio/", {"from": foreign.task_id}).status_code == 404


def test_generate_image_queues_the_form_as_the_seed_body_and_opens_its_page(signed_in, user):
    response = signed_in.post("/studio/generate/", default_post(kind="image", expression="Smile",
                                                                body_main_muscular="1.5"))
    generation = Generation.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/studio/{generation.task_id}/"
    assert generation.owner == user and generation.kind == "image"
    expected = json.loads(json.dumps(DEFAULT_IMAGE_BODY))
    expected["user_details"]["expression"] = "Smile"
    expected["user_details"]["body_dimensions"][0]["value"] = 1.5
    assert generation.request == expected
    assert generation.item.pipeline == "avatar-image" and generation.item.status == Item.Status.QUEUED


def test_generate_video_sends_the_video_options(signed_in):
    signed_in.post("/studio/generate/", default_post(kind="video", duration=8, prompt=" dance ", seed=7))
    generation = Generation.objects.get()
    assert generation.kind == "video" and generation.item.pipeline == "avatar-video"
    assert generation.request["video_options"] == {"pixverse": False, "duration": 8, "negative_prompt": "",
                                                   "prompt": "dance", "seed": 7}
    assert "image_options" not in generation.request


def test_a_refused_request_shows_the_studio_again_with_the_reason(signed_in, monkeypatch):
    def refuse(body, kind):
        raise Invalid("apparel_details.item_id: 'Cape' is not a garment.")

    monkeypatch.setattr(services, "spec_of", refuse)
    response = signed_in.post("/studio/generate/", default_post(kind="image"))
    assert response.status_code == 400
    assert "&#x27;Cape&#x27; is not a garment." in page(response)
    response = signed_in.post("/studio/generate/", default_post(kind="image", skin_tone=12, hair_color="red"))
    assert response.status_code == 400
    html = page(response)
    assert "Skin tone: Select a valid choice." in html and "Hair colour: Choose a colour (#rrggbb)." in html
    response = signed_in.post("/studio/generate/", default_post(kind="sculpture"))
    assert response.status_code == 400 and "Choose “Generate image” or “Generate video”." in page(response)
    assert Generation.objects.count() == 0


# --- the live preview ------------------------------------------------------------------------------------------

def test_the_preview_refuses_a_bad_body_with_a_message(signed_in):
    # Refused before the avatar package is asked: real calls.
    response = signed_in.post("/studio/preview.glb", "[1, 2]", content_type="application/json")
    assert response.status_code == 400 and "must be a JSON object" in response.json()["message"]
    response = signed_in.post("/studio/preview.glb", json.dumps({"user_details": "tall"}),
                              content_type="application/json")
    assert response.json() == {"message": "user_details must be a JSON object."}
    response = signed_in.post("/studio/preview.glb", "{not json", content_type="application/json")
    assert response.status_code == 400 and response.json() == {"message": "The body is not JSON."}
    response = signed_in.post("/studio/preview.glb", json.dumps({"user_details": {"x": "y" * 70_000}}),
                              content_type="application/json")
    assert response.status_code == 400 and "too large" in response.json()["message"]
    # The studio's own form, with a value it does not offer.
    response = signed_in.post("/studio/preview.glb", default_post(skin_tone=12))
    assert response.status_code == 400 and response.json()["message"].startswith("Skin tone: Select a valid choice")
    with pytest.raises(Invalid):
        services.preview_glb([1, 2])


def test_the_preview_answers_the_avatar_packages_message(signed_in, monkeypatch):
    def refuse(body, kind):
        assert kind == Generation.Kind.IMAGE
        raise Invalid("user_details.pose: 'Y-Pose' is not a pose (I-Pose, T-Pose, A-Pose).")

    monkeypatch.setattr(services, "spec_of", refuse)
    body = {key: DEFAULT_IMAGE_BODY[key] for key in ("user_details", "apparel_details")}
    response = signed_in.post("/studio/preview.glb", json.dumps(body), content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"message": "user_details.pose: 'Y-Pose' is not a pose (I-Pose, T-Pose, A-Pose)."}


def test_the_preview_answers_the_glb_of_the_form_or_of_a_json_body(signed_in, monkeypatch):
    asked = []

    def fake_preview(body):
        asked.append(body)
        return b"glTF\x02\x00\x00\x00avatar"

    monkeypatch.setattr(services, "preview_glb", fake_preview)
    response = signed_in.post("/studio/preview.glb", default_post(body_main_muscular="-1.2"))
    assert response.status_code == 200 and response["Content-Type"] == "model/gltf-binary"
    assert response.content == b"glTF\x02\x00\x00\x00avatar"
    assert "no-cache" in response["Cache-Control"]
    expected = {key: json.loads(json.dumps(DEFAULT_IMAGE_BODY[key])) for key in ("user_details", "apparel_details")}
    expected["user_details"]["body_dimensions"][0]["value"] = -1.2
    assert asked[0] == expected
    body = {key: SEED_IMAGE[key] for key in ("user_details", "apparel_details")}
    assert signed_in.post("/studio/preview.glb", json.dumps(body), content_type="application/json").status_code == 200
    assert asked[1] == body
    assert signed_in.get("/studio/preview.glb").status_code == 405


def test_the_preview_needs_the_csrf_token(user, monkeypatch):
    monkeypatch.setattr(services, "preview_glb", lambda body: b"glTF")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    response = browser.post("/studio/preview.glb", json.dumps({"user_details": {}}), content_type="application/json")
    assert response.status_code == 403
    token = browser.get("/studio/").cookies["csrftoken"].value
    response = browser.post("/studio/preview.glb", json.dumps({"user_details": {}}), content_type="application/json",
                            HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200


def test_the_preview_of_the_defaults_is_a_real_glb(signed_in):
    response = signed_in.post("/studio/preview.glb", default_post())
    assert response.status_code == 200, response.content[:300]
    assert response.content[:4] == b"glTF" and len(response.content) > 10_000


# --- a result ------------------------------------------------------------------------------------------------

def test_a_queued_result_shows_its_place_in_the_queue(signed_in, user, other_user):
    make_generation(other_user)
    generation = make_generation(user)
    html = page(signed_in.get(f"/studio/{generation.task_id}/"))
    assert '<span id="result-state" class="badge badge-queued">Waiting</span>' in html
    assert "1 job ahead in the queue." in html
    assert f'data-status-url="/studio/{generation.task_id}/status.json"' in html and 'data-finished="false"' in html
    assert "The files appear here once it is done." in html
    status = signed_in.get(f"/studio/{generation.task_id}/status.json").json()
    assert status["state"] == "queued" and status["queue_position"] == 1 and not status["finished"]


def test_a_result_being_made_shows_its_stage_percent_and_settings(signed_in, user):
    generation = make_generation(user, status=Item.Status.PROCESSING, stage="render", overall_position=2,
                                 current_position=1, current_size=2)
    status = signed_in.get(f"/studio/{generation.task_id}/status.json").json()
    # Shaping (30%) done, half of rendering (50%): 55%.
    assert status == {**status, "state": "processing", "state_label": "Being made", "stage_label": "Rendering",
                      "percent": 55, "finished": False, "failure_reason": "", "queue_position": -1}
    html = page(signed_in.get(f"/studio/{generation.task_id}/"))
    assert '<strong id="result-percent">55%</strong>' in html and ">Rendering</span>" in html
    settings = html[html.index('id="result-settings"'):]
    for text in ("Kiss", "Long-sleeved top", "M / L", "Body: muscular", "+0.5", "Torso: breast size", "+2",
                 "spine", "x 1.1, y 1.2, z 1.1", "#ffe4db"):
        assert text in settings, text
    assert "Body: skinny" not in settings  # average measures are not listed
    assert f'href="/studio/?from={generation.task_id}"' in html


def test_a_finished_picture_shows_it_in_2d_and_3d_with_downloads(signed_in, user):
    generation = finished(user)
    html = page(signed_in.get(f"/studio/{generation.task_id}/"))
    base = f"/studio/{generation.task_id}/files"
    assert f'<img id="result-picture" src="{base}/image/"' in html
    assert f'data-mesh-url="{base}/glb/"' in html and 'data-finished="true"' in html
    for kind, label in (("image", "picture (jpg)"), ("glb", "3D avatar (glb)"), ("thumbnail", "thumbnail (jpg)")):
        assert f'href="{base}/{kind}/?download=1"' in html and f"Download {label}" in html
    assert 'id="result-progress"' not in html and "Made by: Atlas studio" in html

    response = signed_in.get(f"{base}/image/")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content) == b"\xff\xd8picture"
    assert response["Content-Disposition"].startswith("inline")
    response = signed_in.get(f"{base}/image/", {"download": "1"})
    assert response["Content-Disposition"].startswith(f'attachment; filename="avatar-{generation.task_id}-1.jpg"')
    response = signed_in.get(f"{base}/glb/")
    assert response["Content-Type"] == "model/gltf-binary" and response["Content-Disposition"].startswith("attachment")
    assert signed_in.get(f"{base}/video/").status_code == 404
    assert signed_in.get(f"{base}/secrets/").status_code == 404


def test_a_finished_video_plays_on_its_page(signed_in, user):
    generation = finished(user, kind="video", request={**SEED_IMAGE, "video_options": SEED_VIDEO_OPTIONS})
    html = page(signed_in.get(f"/studio/{generation.task_id}/"))
    base = f"/studio/{generation.task_id}/files"
    assert '<video id="result-video" controls' in html and f'poster="{base}/thumbnail/"' in html
    assert f'<source src="{base}/video/" type="video/mp4">' in html and "Download video (mp4)" in html
    assert "5 seconds" in html
    response = signed_in.get(f"{base}/video/", HTTP_RANGE="bytes=0-3")
    assert response.status_code == 206 and b"".join(response.streaming_content) == b"\x00\x00\x00\x18"


def test_a_failed_result_says_why(signed_in, user):
    generation = make_generation(user, status=Item.Status.FAILED,
                                 failure_reason="The avatar could not be rendered: no OpenGL on this worker.")
    html = page(signed_in.get(f"/studio/{generation.task_id}/"))
    assert '<span id="result-state" class="badge badge-failed">Failed</span>' in html
    assert "no OpenGL on this worker." in html and "Nothing was made." in html
    status = signed_in.get(f"/studio/{generation.task_id}/status.json").json()
    assert status["finished"] and status["failure_reason"].startswith("The avatar could not be rendered")
    generation.items.all().delete()
    assert "The job that made this is gone" in page(signed_in.get(f"/studio/{generation.task_id}/"))


def test_nobody_reaches_another_accounts_result(signed_in, other_user):
    generation = finished(other_user)
    for address in (f"/studio/{generation.task_id}/", f"/studio/{generation.task_id}/status.json",
                    f"/studio/{generation.task_id}/files/image/", f"/studio/{generation.task_id}/files/glb/",
                    "/studio/1234/", "/studio/1234/files/image/"):
        assert signed_in.get(address).status_code == 404, address
    assert signed_in.post(f"/studio/{generation.task_id}/remove/").status_code == 404
    assert Generation.objects.filter(pk=generation.pk).exists()
    assert generation.task_id not in page(signed_in.get("/studio/gallery/"))


# --- the gallery, removing -----------------------------------------------------------------------------------

def test_the_gallery_lists_finished_results_with_thumbnails_and_the_rest_apart(signed_in, user, other_user):
    picture = finished(user)
    video = finished(user, kind="video")
    waiting = make_generation(user)
    failed = make_generation(user, status=Item.Status.FAILED, failure_reason="Out of memory.")
    finished(other_user)
    html = page(signed_in.get("/studio/gallery/"))
    grid = html[html.index('id="studio-gallery"'):]
    cards = re.findall(r'<li data-task="(\d+)">', grid)
    assert cards == [video.task_id, picture.task_id]  # newest first
    assert f'src="/studio/{picture.task_id}/files/thumbnail/"' in grid
    assert 'class="badge badge-image studio-kind">Picture</span>' in grid
    assert 'class="badge badge-video studio-kind">▶ Video</span>' in grid
    assert f'action="/studio/{picture.task_id}/remove/"' in grid and "data-confirm=" in grid
    unfinished = html[html.index('id="studio-unfinished"'):html.index('id="studio-gallery"')]
    assert waiting.task_id in unfinished and failed.task_id in unfinished and "Out of memory." in unfinished
    assert "2 results" in html


def test_an_empty_gallery_leads_to_the_studio(signed_in, other_user):
    finished(other_user)
    html = page(signed_in.get("/studio/gallery/"))
    assert "No pictures or videos yet" in html and 'id="studio-gallery"' not in html
    assert html.count('href="/studio/" role="button"') == 2


def test_removing_a_result_deletes_it_with_its_files(signed_in, user, django_capture_on_commit_callbacks):
    generation = finished(user)
    stored = [item_file.file.path for item_file in ItemFile.objects.filter(item__in=generation.items.all())]
    assert len(stored) == 3
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(f"/studio/{generation.task_id}/remove/", follow=True)
    assert response.redirect_chain == [("/studio/gallery/", 302)]
    assert "The picture was removed from your gallery, with its files." in page(response)
    assert not Generation.objects.exists() and not Item.objects.exists()
    assert not any(os.path.exists(path) for path in stored)
    assert signed_in.get(f"/studio/{generation.task_id}/remove/").status_code == 405
