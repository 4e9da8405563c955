"""The captures pages: list, new capture (its JSON plan and the seed-004 upload it drives), detail with live
status, outputs, rename, visibility and delete; nobody reaches another account's capture."""

import hashlib
import json
import re
from urllib.parse import urlparse

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone

from captures import estimates, selectors, services
from captures.models import Capture
from captures.reconstruction import presets
from dashboard.forms.captures import CHOOSE
from gallery.models import Item, ItemFile
from tests.data import shared
from tests.downloads import DATA, assert_range_downloads
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MB = 1024 * 1024
VIDEO = "videos/chair_orbit_136x240.mp4"


@pytest.fixture
def video():
    return shared(VIDEO).read_bytes()


@pytest.fixture
def browser(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def one_mb_chunks(settings):
    settings.UPLOAD_CHUNK_SIZE = 1 * MB  # as ATLAS_UPLOAD_CHUNK_MB=1 sets it for the browser test


# --- captures in each state, made as the services make them -------------------------------------------

def started(owner, name="Chair", bytesize=1_942_642, iterations=3000):
    return services.start_multipart(owner=owner, name=name, bytesize=bytesize, input_data_format="video",
                                    original_filename="chair.mp4",
                                    reconstruction_parameters={"iterations": iterations})


def uploaded(owner, name="Chair", **item_fields):
    """An uploaded capture with its preview and reconstruction items; `item_fields` go to the reconstruction."""
    capture = started(owner, name)
    capture.uploaded_at = timezone.now()
    capture.save()
    preview = Item.objects.create(owner=owner, name=name, pipeline="preview", source=capture, overall_size=3)
    reconstruction = Item.objects.create(owner=owner, name=name, pipeline="gaussian-splatting", source=capture,
                                         overall_size=5, parameters={"iterations": 3000})
    if item_fields:
        Item.objects.filter(pk=reconstruction.pk).update(**item_fields)
    return capture, preview, reconstruction


def add_file(item, kind, filename, content, content_type="application/octet-stream"):
    item_file = ItemFile(item=item, kind=kind, content_type=content_type, size=len(content))
    item_file.file.save(filename, ContentFile(content), save=False)
    item_file.save()
    return item_file


def processing(owner, name="Chair"):
    capture, preview, reconstruction = uploaded(
        owner, name, status=Item.Status.PROCESSING, stage="training", overall_position=4, current_position=750,
        current_size=1000)
    Item.objects.filter(pk=preview.pk).update(status=Item.Status.DONE)
    add_file(preview, "gif", "preview.gif", b"GIF89a-preview", "image/gif")
    return capture


def finished(owner, name="Chair"):
    capture, preview, reconstruction = uploaded(owner, name, status=Item.Status.DONE, overall_position=5)
    Item.objects.filter(pk=preview.pk).update(status=Item.Status.DONE)
    add_file(preview, "thumbnail", "thumbnail.jpg", b"\xff\xd8preview-thumbnail", "image/jpeg")
    add_file(preview, "gif", "preview.gif", b"GIF89a-preview", "image/gif")
    add_file(reconstruction, "ply", "splats.ply", b"ply\n" + b"x" * 2000)
    add_file(reconstruction, "splat", "splats.splat", b"s" * 3200)
    add_file(reconstruction, "thumbnail", "thumbnail.jpg", b"\xff\xd8model-thumbnail", "image/jpeg")
    add_file(reconstruction, "video", "orbit.mp4", b"v" * 5000, "video/mp4")
    add_file(reconstruction, "cameras", "cameras.json", b"[]", "application/json")
    return capture


def failed(owner, name="Chair"):
    capture, preview, _ = uploaded(owner, name, status=Item.Status.FAILED,
                                   failure_reason="Fewer than 20 frames could be registered: film more slowly.")
    Item.objects.filter(pk=preview.pk).update(status=Item.Status.DONE)
    return capture


def queued(owner, name="Chair"):
    return uploaded(owner, name)[0]


MAKERS = {"CREATED": started, "UPLOADED": queued, "PROCESSING": processing, "READY": finished, "FAILED": failed}


def page(response):
    return response.content.decode()


# --- the list ---------------------------------------------------------------------------------------------

def test_signed_in_people_land_on_their_captures_and_visitors_sign_in_first(client, user):
    assert client.get("/captures/")["Location"].startswith("/accounts/login/")
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/captures/"


def test_the_list_shows_only_the_persons_own_captures_with_badges_sizes_and_thumbnails(browser, user, other_user):
    mine = {state: make(user, name=f"My {state.lower()}") for state, make in MAKERS.items()}
    make_other = finished(other_user, name="Someone else's sofa")
    response = browser.get("/captures/")
    assert response.status_code == 200
    html = page(response)
    assert "Someone else&#x27;s sofa" not in html and str(make_other.eid) not in html
    for state, (label, badge) in {"CREATED": ("Waiting for the upload", "uploading"), "UPLOADED": ("Queued", "queued"),
                                  "PROCESSING": ("Processing", "processing"), "READY": ("Ready", "done"),
                                  "FAILED": ("Failed", "failed")}.items():
        card = re.search(rf'href="/captures/{mine[state].eid}/".*?</article>', html, re.S).group(0)
        assert f'<span class="badge badge-{badge}">{label}</span>' in card
        assert "1.9\xa0MB" in card  # the file's size, 1,942,642 bytes
    # Thumbnails where the preview made one; the others get a placeholder.
    assert f'src="/captures/{mine["READY"].eid}/picture/"' in html
    assert f'src="/captures/{mine["CREATED"].eid}/picture/"' not in html
    assert html.count('class="capture-thumb capture-thumb-empty"') == 4


def test_the_list_picture_is_the_sharp_preview_frame_rather_than_the_model_render(browser, user, other_user):
    capture = finished(user)
    response = browser.get(f"/captures/{capture.eid}/picture/")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content) == b"\xff\xd8preview-thumbnail"
    # Without the preview's frame, the model's render.
    ItemFile.objects.filter(item__in=capture.items.filter(pipeline="preview"), kind="thumbnail").delete()
    assert b"".join(browser.get(f"/captures/{capture.eid}/picture/").streaming_content) == b"\xff\xd8model-thumbnail"
    assert browser.get(f"/captures/{queued(user).eid}/picture/").status_code == 404
    assert browser.get(f"/captures/{finished(other_user).eid}/picture/").status_code == 404


def test_the_database_state_agrees_with_the_capture_state(user):
    captures = [make(user) for make in MAKERS.values()]
    # Also: a failed preview fails the capture even while the reconstruction waits.
    capture, preview, _ = uploaded(user)
    Item.objects.filter(pk=preview.pk).update(status=Item.Status.FAILED, failure_reason="Not a video.")
    captures.append(capture)
    annotated = {c.pk: c.db_state for c in selectors.captures_in_state(user)}
    assert {c.pk: str(c.state) for c in captures} == annotated
    assert annotated[capture.pk] == "FAILED"


def test_the_list_filters_by_state_with_a_plain_get_form(browser, user):
    made = {state: make(user, name=f"Capture {state.lower()}") for state, make in MAKERS.items()}
    html = page(browser.get("/captures/"))
    assert '<form method="get" action="/captures/"' in html
    assert '<option value="READY">Ready</option>' in html
    # The selects apply on change (capture-list.js); the button is only for pages without JavaScript.
    assert "js/capture-list.js" in html and '<button type="submit" class="secondary" data-without-js>' in html
    for state, capture in made.items():
        html = page(browser.get("/captures/", {"state": state}))
        shown = set(re.findall(r'href="/captures/([0-9a-f-]{36})/"', html))
        assert shown == {str(capture.eid)}, state
        assert f'<option value="{state}" selected>' in html
    response = browser.get("/captures/", {"state": "EXPLODED"})
    assert response.status_code == 200
    assert "Select a valid choice" in page(response)
    assert len(set(re.findall(r'href="/captures/([0-9a-f-]{36})/"', page(response)))) == 5


def test_the_list_has_twelve_captures_a_page_and_keeps_the_filter_across_pages(browser, user):
    for number in range(14):
        queued(user, name=f"Chair {number:02d}")
    started(user, name="Unfinished")
    first = page(browser.get("/captures/", {"state": "UPLOADED"}))
    assert len(re.findall(r'class="capture-card"', first)) == 12
    assert "Chair 13" in first and "Chair 02" in first and "Chair 01" not in first  # newest first
    assert "Unfinished" not in first
    assert 'href="?state=UPLOADED&amp;page=2"' in first and "Page 1 of 2" in first
    second = page(browser.get("/captures/", {"state": "UPLOADED", "page": 2}))
    assert len(re.findall(r'class="capture-card"', second)) == 2
    assert "Chair 01" in second and "Chair 00" in second
    assert 'href="?state=UPLOADED&amp;page=1"' in second
    # A page past the end shows the last one rather than an error.
    assert "Chair 00" in page(browser.get("/captures/", {"state": "UPLOADED", "page": 99}))


def test_the_list_searches_names_in_any_case_and_sorts_keeping_both_across_pages(browser, user, other_user):
    for number in range(13):
        queued(user, name=f"Chair {number:02d}")
    queued(user, name="armCHAIR blue")
    queued(user, name="Sofa")
    queued(other_user, name="Chair of someone else")

    def names(params):
        return re.findall(r'<strong class="capture-name">([^<]+)</strong>', page(browser.get("/captures/", params)))

    html = page(browser.get("/captures/", {"q": "chair"}))
    assert 'type="search" name="q" value="chair"' in html
    assert "14 captures" in html and "Sofa" not in html and "someone else" not in html
    assert 'href="?q=chair&amp;page=2"' in html
    assert names({"q": "  ARMchair "}) == ["armCHAIR blue"]
    assert names({"q": "chair", "sort": "name"})[:2] == ["armCHAIR blue", "Chair 00"]  # a–z, any case
    assert names({"q": "chair", "sort": "name", "page": 2}) == ["Chair 11", "Chair 12"]
    html = page(browser.get("/captures/", {"q": "chair", "sort": "oldest"}))
    assert names({"q": "chair", "sort": "oldest"})[:2] == ["Chair 00", "Chair 01"]
    assert 'href="?q=chair&amp;sort=oldest&amp;page=2"' in html and '<option value="oldest" selected>' in html
    assert names({"sort": "newest"})[:2] == ["Sofa", "armCHAIR blue"]
    assert names({"sort": "sideways"})[:2] == ["Sofa", "armCHAIR blue"]  # an unknown order: the newest first
    html = page(browser.get("/captures/", {"q": "table"}))
    assert "No captures match “table”" in html and 'name="q"' in html  # the form stays to search again


def test_an_empty_list_invites_a_first_capture_once(browser, user, other_user):
    finished(other_user)
    html = page(browser.get("/captures/"))
    assert "No captures yet" in html
    # The navigation's link and the empty state's one call to action, not a third in the heading.
    assert html.count(">New capture<") == 2
    assert html.count('href="/captures/new/" role="button"') == 1
    assert 'name="state"' not in html  # nothing to filter


# --- a new capture -------------------------------------------------------------------------------------

def test_the_new_capture_page_shows_the_form_limits_and_explains_that_uploads_need_javascript(browser, settings,
                                                                                              monkeypatch):
    from dashboard.forms import captures as capture_forms

    # One method, as this server has (other test modules register stand-in pipelines for the whole session).
    monkeypatch.setattr(capture_forms, "reconstruction_methods", lambda: [("gaussian-splatting", "Gaussian splatting")])
    settings.RECONSTRUCTION_DEFAULT_ITERATIONS = 4200
    response = browser.get("/captures/new/")
    assert response.status_code == 200
    html = page(response)
    assert 'id="capture-form"' in html and 'id="upload-progress"' in html and 'id="upload-status"' in html
    assert '<label for="id_file">Video or photos</label>' in html
    # Videos, a .zip, or several photos at once (a phone's photo library offers photos for image/jpeg).
    assert 'accept=".mov,.mp4,.zip,.jpeg,.jpg,.png,video/mp4,video/quicktime,application/zip,image/jpeg,image/png"' \
        ' multiple required' in html
    assert 'id="drop-zone"' in html and '<input type="file" id="id_folder" webkitdirectory hidden' in html
    assert "or 8 or more JPEG or PNG\n        photos, picked together, as a folder, or in a .zip." in html
    assert re.search(r'<input type="hidden" name="photo_files" (value="null" )?id="id_photo_files">', html)
    assert '<label for="id_name">' in html and '<label for="id_iterations">Training iterations</label>' in html
    # One method on this server: no select to choose from, its value goes with the form.
    assert '<input type="hidden" name="method" value="gaussian-splatting" id="id_method">' in html
    assert '<select name="method"' not in html and "<legend>Reconstruction</legend>" not in html
    assert 'value="4200"' in html and 'min="100"' in html and 'max="30000"' in html
    # Quality presets, Standard chosen, each with its expected time; the iterations only for Custom.
    assert re.findall(r'name="preset" value="(\w+)"', html) == ["draft", "standard", "high", "custom"]
    assert re.search(r'value="standard" checked>\s*<span class="preset-name">Standard</span>\s*'
                     r'<span class="preset-time" data-preset-time="standard">about \d+ min</span>', html)
    assert re.search(r'<div id="custom-iterations" hidden>\s*<label for="id_iterations">', html)
    assert "the reference\n          machine (2 CPU cores)" in html and "js/presets.js" in html
    assert "MOV or MP4, up to 50 GB, 30 minutes and 7680×4320 pixels" in html
    assert ("Or photos: 8 to 5,000 JPEG or PNG images, picked or dropped together (a folder is fine) or in a "
            ".zip, up to 20 GB in all, each at most 50 megapixels.") in html
    assert "<noscript>" in html and "Uploading needs JavaScript" in html
    assert "js/uploader.js" in html
    assert 'href="/captures/new/">New capture</a>' in html  # in the navigation


def test_the_method_select_appears_once_there_is_more_than_one_method(browser, monkeypatch):
    from dashboard.forms import captures as capture_forms

    monkeypatch.setattr(capture_forms, "reconstruction_methods",
                        lambda: [("gaussian-splatting", "Gaussian splatting"), ("tensorf", "TensoRF")])
    html = page(browser.get("/captures/new/"))
    assert "<legend>Reconstruction</legend>" in html
    assert '<option value="gaussian-splatting" selected>Gaussian splatting</option>' in html
    assert '<option value="tensorf">TensoRF</option>' in html


def test_without_javascript_the_form_answers_with_messages_next_to_the_fields(browser, user):
    response = browser.post("/captures/new/", {"name": "", "method": "nerf", "iterations": "50"})
    assert response.status_code == 400
    html = page(response)
    assert re.search(r'id="id_file".*?Choose a video \(.mp4 or .mov\), photos \(JPEG or PNG, several at once\), '
                     r'or a .zip of photos.', html, re.S)
    assert re.search(r'id="id_name".*?This field is required', html, re.S)
    assert "Select a valid choice. nerf is not one of the available choices." in html
    assert "Ensure this value is greater than or equal to 100." in html
    assert not Capture.objects.exists()


def post_plan(browser, **fields):
    data = {"name": "Armchair", "method": "gaussian-splatting", "iterations": "700",
            "file_name": "chair_orbit_136x240.mp4", "file_size": str(1_942_642), **fields}
    return browser.post("/captures/new/", data, HTTP_ACCEPT="application/json")


@pytest.mark.parametrize(("fields", "errors"), [
    ({"file_name": "", "file_size": ""}, {"file": [CHOOSE]}),
    ({"file_name": "notes.pdf"}, {"file": [f"notes.pdf is not a video, a photo or a zip. {CHOOSE}"]}),
    ({"file_name": "IMG_0001.JPG"}, {"file": ["IMG_0001.JPG is one photo; at least 8 are needed. Pick the photos "
                                              "together (or drop their folder here), or upload a .zip of them."]}),
    ({"file_name": "photos.zip", "file_size": str(21 * 1024**3)},
     {"file": ["photos.zip is 21 GB; the limit is 20 GB."]}),
    ({"photo_files": '[{"name": "a.jpg", "size": 5}, {"name": "clip.mov", "size": 9}]'},
     {"file": ["Only JPEG and PNG photos can go with other photos; not clip.mov. Leave it out, or upload a video "
               "or a .zip on its own."]}),
    ({"photo_files": json.dumps([{"name": f"{n}.jpg", "size": 3 * 1024**3} for n in range(8)])},
     {"file": ["The 8 photos add up to 24 GB; the limit is 20 GB."]}),
    ({"photo_files": "[{"}, {"file": ["Enter a valid JSON."]}),
    ({"file_size": "0"}, {"file": ["chair_orbit_136x240.mp4 is empty. Choose the file again."]}),
    ({"file_size": str(51 * 1024**3)}, {"file": ["chair_orbit_136x240.mp4 is 51 GB; the limit is 50 GB."]}),
    ({"iterations": "30001"}, {"iterations": ["Ensure this value is less than or equal to 30000."]}),
    ({"iterations": "many"}, {"iterations": ["Enter a whole number."]}),
    ({"method": "instant-mesh"}, {"method": ["Select a valid choice. instant-mesh is not one of the available "
                                             "choices."]}),
    ({"name": "  "}, {"name": ["This field is required."]}),
    ({"name": "Arm\nchair"}, {"name": ["The name contains a line break (U+000A) at character 4. Names must be one "
                                        "line of visible text: remove it and try again."]}),
])
def test_the_uploader_gets_the_errors_by_control(browser, fields, errors):
    response = post_plan(browser, **fields)
    assert response.status_code == 400
    assert response.json() == {"errors": errors}
    assert not Capture.objects.exists()


def test_a_valid_form_answers_the_upload_plan_and_keeps_the_parameters(browser, user, one_mb_chunks):
    response = post_plan(browser, file_name="Chair.MOV")
    assert response.status_code == 201
    plan = response.json()
    capture = Capture.objects.get()
    assert plan == {
        "eid": str(capture.eid), "name": "Armchair", "bytesize": 1_942_642, "chunk_size": MB, "num_parts": 2,
        "photo_files": [], "uploaded": False, "parts": [], "api_url": f"/api/v1/captures/{capture.eid}",
        "detail_url": f"/captures/{capture.eid}/",
    }
    assert capture.owner == user and capture.input_data_format == "video"
    assert capture.original_filename == "Chair.MOV"
    # A page from before the presets sends only iterations: a custom run of that length.
    assert capture.reconstruction_parameters == {"method": "gaussian-splatting", "preset": "custom", "iterations": 700}
    zipped = post_plan(browser, file_name="photos.zip", file_size="1000").json()
    assert Capture.objects.get(eid=zipped["eid"]).input_data_format == "bulk-images"


def test_photos_picked_together_are_planned_as_one_upload_of_their_bytes_in_order(browser, user, one_mb_chunks):
    photos = [{"name": f"IMG_{n:04d}.jpg", "size": 400_000} for n in range(1, 10)]
    # What the uploader sends for photos: their list; the single file's name and size stay empty.
    response = post_plan(browser, file_name="", file_size="", photo_files=json.dumps(photos), preset="draft")
    assert response.status_code == 201, response.json()
    plan = response.json()
    capture = Capture.objects.get()
    assert (plan["bytesize"], plan["num_parts"], plan["photo_files"]) == (3_600_000, 4, photos)
    assert capture.photo_files == photos and capture.input_data_format == "bulk-images"
    assert capture.reconstruction_parameters == {"method": "gaussian-splatting", "preset": "draft"}
    # Asked again (to resume), the plan still lists them.
    assert browser.get(f"/captures/{capture.eid}/parts.json").json()["photo_files"] == photos
    html = page(browser.get(f"/captures/{capture.eid}/"))
    assert "9 photos" in html and "photos.zip" not in html


@pytest.mark.parametrize(("fields", "parameters"), [
    ({"preset": "draft"}, {"method": "gaussian-splatting", "preset": "draft"}),  # the iterations box is ignored
    ({"preset": "high", "iterations": ""}, {"method": "gaussian-splatting", "preset": "high"}),
    ({"preset": "custom", "iterations": "2500"}, {"method": "gaussian-splatting", "preset": "custom",
                                                  "iterations": 2500}),
])
def test_the_chosen_quality_preset_goes_with_the_capture(browser, user, fields, parameters):
    response = post_plan(browser, **fields)
    assert response.status_code == 201
    assert Capture.objects.get(eid=response.json()["eid"]).reconstruction_parameters == parameters


@pytest.mark.parametrize(("fields", "errors"), [
    ({"preset": "custom", "iterations": ""}, {"iterations": ["Custom needs a number of training iterations."]}),
    ({"preset": "ultra"}, {"preset": ["Select a valid choice. ultra is not one of the available choices."]}),
])
def test_a_preset_that_cannot_run_is_refused_by_control(browser, user, fields, errors):
    response = post_plan(browser, **fields)
    assert response.status_code == 400
    assert response.json() == {"errors": errors}
    assert not Capture.objects.exists()


def test_the_presets_expected_times_follow_the_chosen_file(browser, user):
    small = browser.get("/captures/new/estimates.json", {"kind": "video", "width": 136, "height": 240}).json()
    large = browser.get("/captures/new/estimates.json", {"kind": "video", "width": 1920, "height": 1080}).json()
    assert [p["name"] for p in small["presets"]] == ["draft", "standard", "high"]
    for little, big in zip(small["presets"], large["presets"], strict=True):
        assert 0 < little["seconds"] < big["seconds"]  # a 136x240 video trains at its own small size
        assert little["words"].startswith(("about", "less than"))
    seconds = [p["seconds"] for p in large["presets"]]
    assert seconds == sorted(seconds) and seconds[0] < seconds[-1]
    refused = browser.get("/captures/new/estimates.json", {"kind": "hologram", "width": "wide"})
    assert refused.status_code == 400
    assert refused.json() == {"errors": {"kind": ["Select a valid choice. hologram is not one of the available "
                                                  "choices."], "width": ["Enter a whole number."]}}


def test_the_browser_flow_uploads_in_parts_resumes_and_hands_the_parameters_to_the_reconstruction(
        user, video, one_mb_chunks):
    """What static/js/uploader.js does, with CSRF checks on as in a browser."""
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    browser.get("/captures/new/")
    csrf = {"HTTP_X_CSRFTOKEN": browser.cookies["csrftoken"].value}
    response = browser.post("/captures/new/", {
        "name": "Armchair", "method": "gaussian-splatting", "iterations": "1500",
        "file_name": "chair_orbit_136x240.mp4", "file_size": str(len(video)),
    }, HTTP_ACCEPT="application/json", **csrf)
    assert response.status_code == 201
    plan = response.json()
    assert (plan["chunk_size"], plan["num_parts"]) == (MB, 2)
    eid = plan["eid"]

    def send(number):
        response = browser.post(f"{plan['api_url']}/create-upload-url/{number}",
                                {"eid": eid, "bytesize": len(video)}, content_type="application/json", **csrf)
        assert response.status_code == 200, response.content
        part = video[(number - 1) * MB:number * MB]
        response = browser.put(urlparse(response.json()["upload_url"]).path, part,
                               content_type="application/octet-stream")
        assert response.status_code == 200
        assert response["ETag"] == f'"{hashlib.md5(part).hexdigest()}"'
        return response["ETag"]

    # Part 2 arrives, then the page is reloaded: the same file chosen again asks which parts arrived.
    etag_2 = send(2)
    resumed = browser.get(f"/captures/{eid}/parts.json").json()
    assert resumed["parts"] == [{"number": 2, "etag": etag_2.strip('"'), "size": len(video) - MB}]
    assert resumed["uploaded"] is False and resumed["bytesize"] == len(video)
    status = browser.get(f"/captures/{eid}/status.json").json()
    assert status["state"] == "UPLOADING" and status["parts_received"] == 1 and status["num_parts"] == 2

    parts = [{"number": 1, "etag": send(1)}, {"number": 2, "etag": resumed["parts"][0]["etag"]}]
    response = browser.post(f"{plan['api_url']}/uploaded", {"eid": eid, "parts": parts},
                            content_type="application/json", **csrf)
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "UPLOADED"
    capture = Capture.objects.get(eid=eid)
    reconstruction = capture.items.get(pipeline="gaussian-splatting")
    assert reconstruction.parameters["iterations"] == 1500
    assert capture.items.get(pipeline="preview").status == Item.Status.QUEUED
    assert browser.get(f"/captures/{eid}/parts.json").json()["uploaded"] is True


def test_without_chosen_parameters_the_reconstruction_uses_the_default(user, settings):
    capture = services.start_multipart(owner=user, name="Seed client", bytesize=10, input_data_format="video")
    services.receive_part(capture, 1, ContentFile(b"0123456789"), 10)
    services.complete_multipart(capture, [{"number": 1, "etag": hashlib.md5(b"0123456789").hexdigest()}])
    parameters = capture.items.get(pipeline="gaussian-splatting").parameters
    assert (parameters["preset"], parameters["iterations"]) == (None, None)  # chosen when it runs
    assert estimates.chosen_preset(parameters, "cpu") == presets.preset("standard", "cpu")
    settings.RECONSTRUCTION_PRESET = "draft"
    assert estimates.chosen_preset(parameters, "cpu").name == "draft"
    settings.RECONSTRUCTION_DEFAULT_ITERATIONS = 2100  # ATLAS_RECONSTRUCTION_ITERATIONS
    assert estimates.chosen_preset(parameters, "cpu") == presets.preset("draft", "cpu").custom(2100)


# --- the detail page and its live status -------------------------------------------------------------------

STATUS_KEYS = {"eid", "state", "state_label", "badge", "finished", "pipeline", "step", "stage", "stage_label",
               "progress", "queue_position", "failure_reason", "parts_received", "num_parts", "gif_url",
               "cancelled"}
PROGRESS_KEYS = {"overall", "current", "percent", "seconds_left", "time_left", "counter", "overallPosition",
                 "overallSize", "currentPosition", "currentSize"}


def test_status_json_while_queued_behind_other_work(browser, user, other_user):
    queued(other_user, name="Ahead")  # two items ahead in the same queue
    capture = queued(user)
    status = browser.get(f"/captures/{capture.eid}/status.json").json()
    assert set(status) == STATUS_KEYS and set(status["progress"]) == PROGRESS_KEYS
    assert status["state"] == "UPLOADED" and status["state_label"] == "Queued" and status["badge"] == "queued"
    assert status["finished"] is False and status["failure_reason"] == ""
    assert status["pipeline"] == "gaussian-splatting" and status["step"] == "Gaussian splatting"
    assert status["queue_position"] == 3  # the other person's preview and reconstruction, and this preview
    assert status["progress"]["overall"] == 0 and status["gif_url"] is None
    html = page(browser.get(f"/captures/{capture.eid}/"))
    assert "3 jobs ahead in the queue." in html and 'data-finished="false"' in html


def test_status_json_while_processing(browser, user):
    capture = processing(user)
    status = browser.get(f"/captures/{capture.eid}/status.json").json()
    assert status["state"] == "PROCESSING" and status["state_label"] == "Processing"
    assert status["stage"] == "training" and status["stage_label"] == "Training the Gaussian splats"
    assert status["queue_position"] == 0
    # The bar spans both jobs, each counting for its expected time (preview 15 s, reconstruction 300 s): the
    # preview is done, the reconstruction three quarters through training, its fourth stage; by the stages' weights
    # (0.01 + 0.04 + 0.15 done, 0.65 training) that is 0.2 + 0.65 * 0.75 = 0.6875 of it. Nothing is measured
    # yet, so no time left. The positions are the reconstruction's, overall as its percentage out of 100.
    overall = (15 * 1.0 + 300 * 0.6875) / 315
    assert status["progress"] == {"overall": round(overall, 4), "current": 0.75, "percent": int(overall * 100),
                                  "seconds_left": None, "time_left": "", "counter": "iteration 750 of 1,000",
                                  "overallPosition": 68, "overallSize": 100, "currentPosition": 750,
                                  "currentSize": 1000}
    assert status["gif_url"] == f"/captures/{capture.eid}/files/gif/preview.gif"
    html = page(browser.get(f"/captures/{capture.eid}/"))
    assert f'<progress id="capture-progress" max="1" value="{overall:.4f}">' in html
    assert '<strong id="capture-percent">70%</strong>' in html and "iteration 750 of 1,000" in html
    assert '<span id="capture-time-left" class="muted" hidden></span>' in html
    assert '<progress id="capture-current-progress" max="1" value="0.7500">' in html
    assert '<span id="capture-state" class="badge badge-processing">Processing</span>' in html
    assert "Training the Gaussian splats" in html and f'src="{status["gif_url"]}"' in html
    assert "js/capture-status.js" in html and "data-atlas-viewer" not in html
    assert '<div id="capture-overall">' in html and 'class="capture-layout"' in html


def test_status_json_when_done_and_the_page_offers_viewer_and_downloads(browser, user):
    capture = finished(user)
    status = browser.get(f"/captures/{capture.eid}/status.json").json()
    assert status["state"] == "READY" and status["state_label"] == "Ready" and status["badge"] == "done"
    assert status["finished"] is True and status["progress"]["overall"] == 1 and status["queue_position"] == -1
    html = page(browser.get(f"/captures/{capture.eid}/"))
    assert 'data-finished="true"' in html
    # Done: no progress bar (capture-status.js hides it too when the page finishes while open), and on a phone the
    # viewer comes first (atlas.css orders .capture-ready's viewer ahead of the state).
    assert re.search(r'<div id="capture-overall" hidden>\s*<label for="capture-progress">Overall progress', html)
    assert 'class="capture-layout capture-ready"' in html
    # The viewer shows the compressed splats, at an address ending in the file's name.
    assert f'data-splat-url="/captures/{capture.eid}/files/splat/splats.splat"' in html
    assert f'data-cameras-url="/captures/{capture.eid}/files/cameras/cameras.json"' in html
    rows = dict(re.findall(r'<tr data-kind="(\w+)">.*?<td>[^<]+</td>\s*<td>([^<]+)</td>', html, re.S))
    assert rows == {"splat": "3.1\xa0KB", "ply": "2.0\xa0KB", "video": "4.9\xa0KB", "cameras": "2\xa0bytes",
                    "gif": "14\xa0bytes", "thumbnail": "17\xa0bytes"}
    assert f'href="/captures/{capture.eid}/files/ply/splats.ply?download=1" download' in html
    # The thumbnail is the reconstruction's, the newest item's.
    response = browser.get(f"/captures/{capture.eid}/files/thumbnail/")
    assert b"".join(response.streaming_content) == b"\xff\xd8model-thumbnail"
    assert response["Content-Type"] == "image/jpeg" and response["Content-Disposition"].startswith("inline")


def test_status_json_when_failed_gives_the_reason(browser, user):
    capture = failed(user)
    status = browser.get(f"/captures/{capture.eid}/status.json").json()
    assert status["state"] == "FAILED" and status["badge"] == "failed" and status["finished"] is True
    assert status["failure_reason"] == "Fewer than 20 frames could be registered: film more slowly."
    html = page(browser.get(f"/captures/{capture.eid}/"))
    assert "Fewer than 20 frames could be registered: film more slowly." in html
    assert "No files were made." in html
    assert '<div id="capture-overall" hidden>' in html and "capture-ready" not in html


def test_the_detail_page_names_the_quality_chosen(browser, user):
    capture = services.start_multipart(owner=user, name="Chair", bytesize=10, input_data_format="video",
                                       reconstruction_parameters={"method": "gaussian-splatting", "preset": "draft"})
    html = page(browser.get(f"/captures/{capture.eid}/"))
    draft = presets.preset("draft", estimates.workers_kind())
    assert (f'<span id="capture-quality">Draft: {draft.iterations:,} iterations,\n    pictures up to '
            f'{draft.train_size} px</span>') in html
    capture, _, _ = uploaded(user, "Seed client", parameters={"iterations": 1234})  # e.g. seed 001's total_iterations
    assert "Custom: 1,234 iterations" in page(browser.get(f"/captures/{capture.eid}/"))


def test_an_unfinished_upload_says_how_to_resume_it(browser, user):
    capture = started(user)
    html = page(browser.get(f"/captures/{capture.eid}/"))
    assert "The upload has not finished: 0 of 1 part" in html
    assert '<span id="capture-state" class="badge badge-uploading">Waiting for the upload</span>' in html


def test_downloads_are_attachments_with_the_capture_name_and_honour_range(browser, user):
    capture = finished(user, name="Armchair")
    response = browser.get(f"/captures/{capture.eid}/files/ply/splats.ply?download=1")
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="Armchair-splats.ply"; filename*=UTF-8\'\'Armchair-splats.ply')
    assert b"".join(response.streaming_content).startswith(b"ply\n")
    response = browser.get(f"/captures/{capture.eid}/files/video/orbit.mp4?download=1", HTTP_RANGE="bytes=0-9")
    assert response.status_code == 206 and response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content) == b"v" * 10
    assert browser.get(f"/captures/{capture.eid}/files/glb/").status_code == 404


def test_downloads_answer_every_range_form_byte_for_byte(browser, user):
    capture, _, reconstruction = uploaded(user, name="Ranges", status=Item.Status.DONE)
    add_file(reconstruction, "ply", "splats.ply", DATA)
    url = f"/captures/{capture.eid}/files/ply/splats.ply?download=1"
    assert_range_downloads(lambda header: browser.get(url, HTTP_RANGE=header))


def test_a_stored_name_with_a_line_break_still_downloads(browser, user):
    capture = finished(user)
    Capture.objects.filter(pk=capture.pk).update(name="Arm\r\nchair")  # as written before names were checked
    response = browser.get(f"/captures/{capture.eid}/files/ply/splats.ply?download=1")
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"ply\n")
    assert response["Content-Disposition"] == (
        "attachment; filename=\"Arm__chair-splats.ply\"; filename*=UTF-8''Arm%0D%0Achair-splats.ply")


# --- rename, visibility, delete -----------------------------------------------------------------------------

def test_rename(browser, user):
    capture = finished(user, name="Chair")
    response = browser.post(f"/captures/{capture.eid}/rename/", {"name": "Garden armchair"})
    assert response.status_code == 302 and response["Location"] == f"/captures/{capture.eid}/"
    capture.refresh_from_db()
    assert capture.name == "Garden armchair"
    assert set(capture.items.values_list("name", flat=True)) == {"Garden armchair"}
    assert "Renamed to “Garden armchair”." in page(browser.get(response["Location"]))
    response = browser.post(f"/captures/{capture.eid}/rename/", {"name": ""})
    assert response.status_code == 400
    assert re.search(r'action="/captures/[^"]+/rename/".*?This field is required', page(response), re.S)
    capture.refresh_from_db()
    assert capture.name == "Garden armchair"


def test_a_rename_with_a_line_break_is_refused_next_to_the_field(browser, user):
    capture = finished(user, name="Chair")
    response = browser.post(f"/captures/{capture.eid}/rename/", {"name": "Garden\r\narmchair"})
    assert response.status_code == 400
    assert re.search(r'action="/captures/[^"]+/rename/".*?The name contains a carriage return \(U\+000D\) at '
                     r"character 7\. Names must be one line of visible text: remove it and try again\.",
                     page(response), re.S)
    capture.refresh_from_db()
    assert capture.name == "Chair"


def test_make_public_shows_the_share_link_and_private_hides_it(browser, user):
    capture = finished(user)
    html = page(browser.get(f"/captures/{capture.eid}/"))
    assert "Private: only you can see this capture." in html and 'id="share-link"' not in html
    browser.post(f"/captures/{capture.eid}/visibility/", {"is_public": "on"})
    capture.refresh_from_db()
    assert capture.is_public
    html = page(browser.get(f"/captures/{capture.eid}/"))
    assert re.search(rf'id="share-link"[^>]*readonly[^>]*>http://testserver/s/{capture.sid}</textarea>', html)
    assert "data-copy=\"#share-link\"" in html and "Anyone with the share link can now see this capture." in html
    assert Client().get(f"/s/{capture.sid}").status_code == 200  # signed out
    browser.post(f"/captures/{capture.eid}/visibility/", {"is_public": ""})
    capture.refresh_from_db()
    assert not capture.is_public
    assert Client().get(f"/s/{capture.sid}").status_code == 404


def test_delete_asks_first_then_deletes_the_capture_and_its_files(browser, user):
    capture = finished(user, name="Old chair")
    stored = [f.file.name for f in ItemFile.objects.filter(item__capture__pk=capture.pk)]
    storage = ItemFile._meta.get_field("file").storage
    assert all(storage.exists(name) for name in stored)
    response = browser.get(f"/captures/{capture.eid}/delete/")
    assert response.status_code == 200 and "Delete “Old chair”?" in page(response)
    assert Capture.objects.filter(pk=capture.pk).exists()
    response = browser.post(f"/captures/{capture.eid}/delete/")
    assert response.status_code == 302 and response["Location"] == "/captures/"
    assert not Capture.objects.filter(pk=capture.pk).exists() and not Item.objects.exists()
    assert "“Old chair” was deleted, with its files." in page(browser.get("/captures/"))


# --- other people's captures ----------------------------------------------------------------------------

def test_every_page_answers_404_for_another_persons_capture(browser, other_user):
    capture = finished(other_user)
    capture.is_public = True
    capture.save()
    base = f"/captures/{capture.eid}"
    for path in ("/", "/status.json", "/parts.json", "/files/ply/", "/files/ply/splats.ply", "/delete/"):
        assert browser.get(base + path).status_code == 404, path
    for path, data in (("/rename/", {"name": "Mine now"}), ("/visibility/", {"is_public": ""}), ("/delete/", {})):
        assert browser.post(base + path, data).status_code == 404, path
    capture.refresh_from_db()
    assert capture.name == "Chair" and capture.is_public
    assert browser.get("/captures/00000000-0000-0000-0000-000000000000/").status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client, user):
    capture = finished(user)
    for path in ("/captures/new/", f"/captures/{capture.eid}/", f"/captures/{capture.eid}/status.json",
                 f"/captures/{capture.eid}/files/ply/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), path


# --- a real upload, previewed ---------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_a_real_video_uploaded_from_the_page_gets_its_thumbnail_and_gif(video, one_mb_chunks):
    from gallery.tasks import run_item

    user = UserFactory()
    browser = Client()
    browser.force_login(user)
    plan = post_plan(browser, file_size=str(len(video))).json()
    etags = []
    for number in (1, 2):
        url = browser.post(f"{plan['api_url']}/create-upload-url/{number}", {"eid": plan["eid"],
                           "bytesize": len(video)}, content_type="application/json").json()["upload_url"]
        response = browser.put(urlparse(url).path, video[(number - 1) * MB:number * MB],
                               content_type="application/octet-stream")
        etags.append({"number": number, "etag": response["ETag"]})
    response = browser.post(f"{plan['api_url']}/uploaded", json.dumps({"eid": plan["eid"], "parts": etags}),
                            content_type="application/json")
    assert response.status_code == 200
    capture = Capture.objects.get(eid=plan["eid"])
    assert run_item(str(capture.items.get(pipeline="preview").pk)) == "done"

    status = browser.get(f"/captures/{capture.eid}/status.json").json()
    assert status["state"] == "UPLOADED" and status["step"] == "Gaussian splatting"
    gif = browser.get(status["gif_url"])
    assert gif["Content-Type"] == "image/gif" and b"".join(gif.streaming_content).startswith(b"GIF8")
    html = page(browser.get("/captures/"))
    assert f'src="/captures/{capture.eid}/picture/"' in html
    thumbnail = browser.get(f"/captures/{capture.eid}/picture/")
    assert b"".join(thumbnail.streaming_content)[:2] == b"\xff\xd8"
