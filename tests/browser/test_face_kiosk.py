"""The Face ID pages in a real browser: the check-in kiosk recognises a face shown to chromium's fake camera
(a .y4m video made here from a real photo), the log then lists the check-in, and a refused or absent camera
is said in words. Screenshots of the projects page, a project, a person and the kiosk, at desktop and phone
width, land in test-artifacts/screenshots/face-*.png."""

import numpy as np
import pytest
from django.contrib.auth.models import Permission
from PIL import Image, ImageOps

from faces import services
from faces.models import Recognition
from tests.data import needs, shared
from tests.factories import UserFactory

from .pages import DESKTOP, PHONE, loaded, sign_in

ENROLLED = "faces/train_obama_obama.jpg"
SHOWN = "faces/unittest_obama3.jpg"
OTHER = "faces/train_biden_biden.jpg"
WIDTH, HEIGHT = 640, 480

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    needs(ENROLLED, SHOWN, OTHER),
]


def write_y4m(photo, path, frames=5):
    """`photo` letterboxed into WIDTH×HEIGHT, as a few frames of YUV4MPEG2 4:2:0 (JPEG's full-range YCbCr)."""
    with Image.open(photo) as image:
        picture = ImageOps.pad(ImageOps.exif_transpose(image).convert("RGB"), (WIDTH, HEIGHT), color=(40, 40, 40))
    y, cb, cr = (np.asarray(plane) for plane in picture.convert("YCbCr").split())

    def half(plane):  # 2×2 averages: the 4:2:0 chroma planes
        return plane.reshape(HEIGHT // 2, 2, WIDTH // 2, 2).mean(axis=(1, 3)).round().astype(np.uint8)

    frame = b"FRAME\n" + y.astype(np.uint8).tobytes() + half(cb).tobytes() + half(cr).tobytes()
    path.write_bytes(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420jpeg\n".encode() + frame * frames)
    return path


@pytest.fixture
def browser_args(tmp_path):
    camera = write_y4m(shared(SHOWN), tmp_path / "camera.y4m")
    return ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={camera}"]


@pytest.fixture
def front_desk(db):
    """An account with a project of two enrolled people, their photos kept (the pages show them)."""
    owner = UserFactory(nickname="Robin")
    project = services.create_project(owner, name="Front desk", save_recognition_images=True)
    obama = services.add_subject(project, status="APPROVED", group_id=1, properties={"name": "Barack Obama"},
                                 registrant="Robin")
    services.enrol_face(obama, shared(ENROLLED).read_bytes(), save_image=True)
    biden = services.add_subject(project, status="VISITOR", properties={"name": "Joe Biden"}, registrant="Robin")
    services.enrol_face(biden, shared(OTHER).read_bytes(), save_image=True)
    services.add_subject(project, status="UNAPPROVED", properties={"name": "Ada Lovelace"}, registrant="Robin")
    return owner, project, obama


def wait_for_banner(page, state, timeout=30_000):
    page.wait_for_selector(f"#kiosk-banner[data-state='{state}']", timeout=timeout)
    return page.text_content("#kiosk-banner")


def test_kiosk_recognises_the_face_on_the_camera(live_server, browser, front_desk, screenshot):
    owner, project, obama = front_desk
    url = live_server.url.rstrip("/")

    for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page, errors = sign_in(browser, url, owner, viewport)
        page.goto(f"{url}/faces/")
        assert page.locator("#face-projects").get_by_text("Front desk").count() == 1
        screenshot(loaded(page), f"face-projects-{size}")

        page.goto(f"{url}/faces/{project.pk}/kiosk/")
        banner = wait_for_banner(page, "matched")
        assert "Barack Obama" in banner and "APPROVED" in banner, banner
        screenshot(page, f"face-kiosk-{size}")

        page.goto(f"{url}/faces/{project.pk}/")
        assert page.locator("#log-list").get_by_text("Barack Obama").count() >= 1, "the log lists the check-in"
        assert page.locator("#log-list img.log-photo").count() >= 1, "with its stored photo"
        screenshot(loaded(page), f"face-project-{size}")

        page.goto(f"{url}/faces/{project.pk}/people/{obama.pk}/")
        assert page.locator("#face-list img").count() == 1
        screenshot(loaded(page), f"face-person-{size}")
        assert not errors, errors
        page.context.close()

    matched = Recognition.objects.filter(project=project, outcome=Recognition.Outcome.MATCHED)
    assert matched.count() >= 2 and set(matched.values_list("subject_id", flat=True)) == {obama.pk}
    assert matched.first().requested_by == owner


def test_webcam_enrols_a_face(live_server, browser, front_desk, screenshot):
    owner, project, obama = front_desk
    url = live_server.url.rstrip("/")
    page, errors = sign_in(browser, url, owner, DESKTOP)
    page.goto(f"{url}/faces/{project.pk}/people/{obama.pk}/")
    page.click("#webcam-start")
    page.wait_for_selector("#webcam-snap:visible")
    page.wait_for_function("() => document.getElementById('webcam-video').videoWidth > 0")
    page.click("#webcam-snap")
    page.wait_for_selector("#enrol-results")
    assert "Enrolled" in page.text_content("#enrol-results"), page.text_content("#enrol-results")
    assert page.locator("#face-list > li").count() == 2
    assert obama.faces.count() == 2
    screenshot(loaded(page), "face-person-webcam-enrolled")
    assert not errors, errors


def test_new_project_shows_its_key_once(live_server, browser, screenshot, db):
    owner = UserFactory()
    # A transactional test starts from flushed tables, without the default roles: the permission is given here.
    owner.user_permissions.add(Permission.objects.get(content_type__app_label="accounts", codename="issue_api_key"))
    url = live_server.url.rstrip("/")
    page, errors = sign_in(browser, url, owner, DESKTOP)
    page.goto(f"{url}/faces/")
    screenshot(page, "face-projects-empty")
    page.fill("#id_name", "Lobby")
    page.click("#new-project button[type=submit]")
    page.wait_for_selector("#new-key")
    secret = page.input_value("#new-key-secret")
    assert len(secret) == 32 and secret in page.text_content("#howto-curl")
    screenshot(page, "face-project-created")
    page.click("#open-project")
    page.wait_for_selector("#project-name")
    assert secret not in page.content()
    assert not errors, errors


def test_kiosk_says_when_the_camera_is_refused_or_absent(live_server, browser, front_desk):
    owner, project, _ = front_desk
    url = live_server.url.rstrip("/")
    page, _ = sign_in(browser, url, owner, DESKTOP)
    page.add_init_script("navigator.mediaDevices.getUserMedia = () => "
                         "Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));")
    page.goto(f"{url}/faces/{project.pk}/kiosk/")
    assert "Camera access was refused" in wait_for_banner(page, "error")
    assert page.is_disabled("#kiosk-check")

    page, _ = sign_in(browser, url, owner, DESKTOP)
    page.add_init_script("Object.defineProperty(navigator, 'mediaDevices', {value: undefined});")
    page.goto(f"{url}/faces/{project.pk}/kiosk/")
    assert "No camera here" in wait_for_banner(page, "error")
