"""Photos from a phone's library or a folder, in a real browser: several photos picked at once go up as one
upload in parts (the parts cut across photos), the capture is reconstructed from them, and its model is drawn.
Too few photos are refused with the same words the form shows; a folder's other files are left out, named; photos
picked again after a reload send only the parts that had not arrived.

The worker's jobs run here, inline, as the studio's browser test runs its own. Screenshots of the new-capture
page with photos chosen and of the finished capture, at desktop and phone width, land in
test-artifacts/screenshots/photos-*.png."""

import re
import shutil

import pytest

from captures.models import Capture
from gallery.models import Item
from gallery.tasks import run_item
from tests.data import SHARED_DATA, needs
from tests.factories import UserFactory

from .pages import DESKTOP, PHONE, sign_in
from .test_dashboard_flow import assert_viewer_draws, part_number

PHOTOS = sorted((SHARED_DATA / "multiview_milk" / "images").glob("*.jpg"), key=lambda path: int(path.stem))[:12]
PART_SIZE = 256 * 1024  # the twelve photos (about 1.1 MB) go up in five parts, each ending inside a photo

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    needs(SHARED_DATA / "multiview_milk" / "images"),
]


@pytest.fixture
def small_runs(settings):
    settings.UPLOAD_CHUNK_SIZE = PART_SIZE
    settings.RECONSTRUCTION_FRAME_SIZE = 760
    settings.RECONSTRUCTION_TRAIN_SIZE = 96


def test_several_photos_picked_at_once_upload_and_reconstruct(live_server, browser, small_runs, screenshot):
    owner = UserFactory()
    url = live_server.url.rstrip("/")
    page, errors = sign_in(browser, url, owner, DESKTOP)
    puts = []
    page.on("request", lambda request: puts.append(part_number(request.url))
            if request.method == "PUT" and "/api/v1/uploads/" in request.url else None)
    page.goto(f"{url}/captures/new/")
    page.wait_for_selector("#capture-form[data-uploader-ready=true]")

    page.set_input_files("#id_file", [str(path) for path in PHOTOS])
    total = sum(path.stat().st_size for path in PHOTOS)
    assert page.text_content("#file-summary").startswith("12 photos · ")
    page.wait_for_selector("#presets[data-estimated=true]")
    assert "Times for these 12 photos" in page.text_content("#preset-basis")
    page.fill("#id_name", "Milk carton")
    page.check("input[name=preset][value=custom]")
    page.fill("#id_iterations", "100")
    screenshot(page, "photos-new-capture-desktop")
    page.click("#upload-button")
    page.wait_for_url(re.compile(r"/captures/[0-9a-f-]{36}/$"), timeout=60_000)

    capture = Capture.objects.get(owner=owner)
    assert [photo["name"] for photo in capture.photo_files] == [path.name for path in PHOTOS]
    assert capture.bytesize == total and capture.num_parts == 5 and sorted(puts) == [1, 2, 3, 4, 5]
    assert capture.reconstruction_parameters == {"method": "gaussian-splatting", "preset": "custom",
                                                 "iterations": 100}
    assert "12 photos" in page.text_content("hgroup")

    # The worker's part, run here: the preview, then the reconstruction.
    for item in capture.items.order_by("created_at"):
        assert run_item(str(item.pk)) == "done", Item.objects.get(pk=item.pk).failure_reason
    capture.refresh_from_db()
    assert capture.state == Capture.State.READY and capture.media_info["image_count"] == 12
    result = capture.runs().get().parameters["result"]
    assert result["frames"] == 12 and result["registered"] >= 10, result

    page.reload()
    assert_viewer_draws(page, "the photo capture's page")
    screenshot(page, "photos-capture-done-desktop")
    phone, phone_errors = sign_in(browser, url, owner, PHONE)
    phone.goto(f"{url}/captures/{capture.eid}/")
    assert_viewer_draws(phone, "the photo capture's page on a phone")
    screenshot(phone, "photos-capture-done-phone")
    assert not errors and not phone_errors


def test_too_few_photos_are_refused_in_the_forms_words_and_a_folder_leaves_other_files_out(
        live_server, browser, small_runs, screenshot, tmp_path):
    owner = UserFactory()
    url = live_server.url.rstrip("/")
    page, errors = sign_in(browser, url, owner, PHONE)
    page.goto(f"{url}/captures/new/")
    page.wait_for_selector("#capture-form[data-uploader-ready=true]")
    assert "8 or more JPEG or PNG" in page.text_content("#id_file_helptext")
    assert page.is_hidden(".drop-hint") is False or page.evaluate("matchMedia('(pointer: coarse)').matches")

    page.set_input_files("#id_file", [str(path) for path in PHOTOS[:3]])
    page.fill("#id_name", "Too few")
    page.click("#upload-button")
    page.wait_for_selector("#id_file_error")
    assert page.text_content("#id_file_error") == ("3 photos chosen; at least 8 are needed to reconstruct an object. "
                                                   "Pick photos taken from all around it.")
    assert page.get_attribute("#id_file", "aria-invalid") == "true"
    screenshot(page, "photos-too-few-phone")
    assert not Capture.objects.exists()

    # A folder (the folder picker on a computer): its photos in name order, notes and hidden files left out.
    folder = tmp_path / "Milk carton"
    folder.mkdir()
    for path in PHOTOS[:9]:
        shutil.copy(path, folder / f"IMG_{int(path.stem):04d}.jpg")
    (folder / "notes.txt").write_text("turntable, two passes\n")
    (folder / ".DS_Store").write_bytes(b"\0" * 64)
    page.fill("#id_name", "")
    page.set_input_files("#id_folder", str(folder))
    page.wait_for_function("() => !document.getElementById('file-summary').hidden")
    summary = page.text_content("#file-summary")
    assert summary.startswith("9 photos from Milk carton · ") and summary.endswith(
        "Left out, not JPEG or PNG photos: notes.txt."), summary
    assert page.input_value("#id_name") == "Milk carton"
    assert not page.is_visible("#id_file_error")
    page.set_viewport_size(DESKTOP)
    screenshot(page, "photos-folder-chosen-desktop")

    # Photos dropped on the file area replace the folder: nine small JPEGs drawn in the page.
    page.evaluate("""async () => {
      const transfer = new DataTransfer();
      for (let n = 1; n <= 9; n += 1) {
        const canvas = Object.assign(document.createElement("canvas"), { width: 64, height: 48 });
        canvas.getContext("2d").fillRect(n, n, 20, 20);
        const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg"));
        transfer.items.add(new File([blob], `drop-${n}.jpg`, { type: "image/jpeg" }));
      }
      const zone = document.getElementById("drop-zone");
      zone.dispatchEvent(new DragEvent("dragover", { dataTransfer: transfer, bubbles: true, cancelable: true }));
      zone.dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }""")
    page.wait_for_function("() => document.getElementById('file-summary').textContent.startsWith('9 photos · ')")
    assert page.evaluate("JSON.parse(document.getElementById('id_photo_files').value).map((p) => p.name)") == [
        f"drop-{n}.jpg" for n in range(1, 10)]
    assert not errors


def test_photos_picked_again_after_a_reload_send_only_the_parts_that_are_missing(live_server, browser, small_runs):
    owner = UserFactory()
    url = live_server.url.rstrip("/")
    page, errors = sign_in(browser, url, owner, DESKTOP)
    sent = []

    def parts(route):
        number = part_number(route.request.url)
        if route.request.method == "PUT" and number > 2 and blocked:
            route.abort("connectionreset")  # the connection drops for every part after the second
            return
        if route.request.method == "PUT":
            sent.append(number)
        route.continue_()

    blocked = True
    page.route("**/api/v1/uploads/**", parts)
    page.goto(f"{url}/captures/new/")
    page.wait_for_selector("#capture-form[data-uploader-ready=true]")
    page.set_input_files("#id_file", [str(path) for path in PHOTOS])
    page.fill("#id_name", "Milk carton")
    page.click("#upload-button")
    page.wait_for_selector("#upload-status[data-state=retrying]")
    capture = Capture.objects.get(owner=owner)
    for _ in range(100):
        if capture.parts.count() == 2:
            break
        page.wait_for_timeout(200)
    assert sorted(capture.parts.values_list("number", flat=True)) == [1, 2]

    page.reload()  # the retries of the parts still blocked stop with the page
    page.wait_for_selector("#capture-form[data-uploader-ready=true]")
    blocked = False
    sent.clear()
    page.set_input_files("#id_file", [str(path) for path in PHOTOS])
    page.wait_for_selector("#upload-resume:not([hidden])")
    assert page.text_content("#upload-resume").startswith(
        "These photos were partly uploaded before as “Milk carton”: 2 of 5 parts arrived.")
    page.click("#upload-button")
    page.wait_for_url(re.compile(r"/captures/[0-9a-f-]{36}/$"), timeout=60_000)
    assert sorted(sent) == [3, 4, 5]
    capture.refresh_from_db()
    assert capture.is_uploaded and Capture.objects.count() == 1
    assert not errors
