"""The dashboard end to end in a real browser, as a new person uses it: sign up, confirm the address from the
mail, sign in, upload a real video in parts through a dropped connection and a page reload, watch the real
worker cluster reconstruct it (the page shows a browser notification and the worker e-mails the "ready" link), see
the splats drawn, download the .ply, and open the share link signed out.

Screenshots of the main pages land in test-artifacts/screenshots/."""

import base64
import io
import re
import time
from collections import Counter
from email import message_from_bytes
from urllib.parse import unquote, urlsplit

import numpy as np
import pytest
from django.core import signing
from PIL import Image
from playwright.sync_api import Error as PlaywrightError
from plyfile import PlyData

from captures.models import Capture, UploadPart
from captures.services import PART_URL_SALT
from dashboard.forms.captures import MIN_ITERATIONS
from gallery.models import Item
from tests.cluster import cluster_can_share_database, cluster_log, running_cluster
from tests.data import SHARED_DATA, needs

VIDEO = SHARED_DATA / "videos" / "chair_orbit_136x240.mp4"
EMAIL = "robin@example.com"
PASSWORD = "Quiet-Meadow-83!"
CAPTURE_NAME = "Armchair"
# The chair video is 1.9 MB: 512 KiB parts make four of them, more than the uploader sends at once.
PART_SIZE = 512 * 1024
# Structure-from-motion on 100 frames plus a short training on a loaded 2-core machine.
RECONSTRUCTION_TIMEOUT_S = 300

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    needs(VIDEO),
]


@pytest.fixture
def cluster(tmp_path, live_server, settings):
    """The real worker cluster on the test database, reconstructing small: training images 96 px on the
    long side (the chair video is 240 px), so a short training and the export take seconds. Its e-mails
    link to the live server and land in the test's mail folder."""
    if not cluster_can_share_database():
        pytest.skip("the worker cluster needs a database file it can share")
    log = tmp_path / "cluster.log"
    with running_cluster(log, ATLAS_TRAIN_SIZE="96", ATLAS_RECONSTRUCTION_ITERATIONS=str(MIN_ITERATIONS),
                         SITE_URL=live_server.url, ATLAS_MAIL_DIR=str(settings.MAIL_DIR)):
        yield log


@pytest.fixture
def app(live_server, settings):
    """The live server, with mail written to files (as `make run` does) and small upload parts."""
    settings.EMAIL_BACKEND = "accounts.mail.FolderEmailBackend"
    settings.UPLOAD_CHUNK_SIZE = PART_SIZE
    settings.RECONSTRUCTION_DEFAULT_ITERATIONS = MIN_ITERATIONS
    return live_server


class Stopwatch:
    """How long each part of the flow took, printed at the end (shown with pytest -s or on failure)."""

    def __init__(self):
        self.laps, self.last = [], time.monotonic()

    def lap(self, name):
        now = time.monotonic()
        self.laps.append((name, now - self.last))
        self.last = now

    def __str__(self):
        return ", ".join(f"{name} {seconds:.0f} s" for name, seconds in self.laps)


def watch_errors(page):
    """Uncaught JavaScript errors of the page, collected for the assertions at the end."""
    errors = []
    page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
    return errors


def mailed_link(mail_dir, subject, pattern, timeout=10):
    """The first link matching `pattern` in the plain text of the mail to EMAIL whose subject has `subject`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in sorted(mail_dir.glob("*.eml")):
            message = message_from_bytes(path.read_bytes())
            if message["To"] != EMAIL or subject not in message["Subject"]:
                continue
            body = next(p for p in message.walk() if p.get_content_type() == "text/plain")
            text = body.get_payload(decode=True).decode()
            return next(url for url in re.findall(r"https?://\S+", text) if re.search(pattern, url))
        time.sleep(0.1)
    raise AssertionError(f"no mail {subject!r} to {EMAIL} in {mail_dir}: "
                         f"{[message_from_bytes(p.read_bytes())['Subject'] for p in mail_dir.glob('*.eml')]}")


def confirmation_link(mail_dir, timeout=10):
    return mailed_link(mail_dir, "", "confirm-email", timeout)


def part_number(url):
    """The part a signed upload URL (/api/v1/uploads/<token>) is for, read from its token."""
    token = unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])
    value = signing.TimestampSigner(salt=PART_URL_SALT).unsign(token)
    return int(value.rsplit(":", 1)[1])


def wait_until(page, condition, timeout, message):
    """Polls condition() while the page lives on: Playwright's sync API only runs the page's event handlers
    (routes included) inside its own calls, so the pause is page.wait_for_timeout, not time.sleep."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        page.wait_for_timeout(200)
    raise AssertionError(message())


def canvas_pixels(page, selector):
    """The viewer's canvas as the browser holds it, read back as a PNG and decoded here."""
    data_url = page.eval_on_selector(selector, "canvas => canvas.toDataURL('image/png')")
    return Image.open(io.BytesIO(base64.b64decode(data_url.split(",", 1)[1]))).convert("RGB")


def assert_viewer_draws(page, where):
    page.wait_for_selector('[data-atlas-viewer][data-viewer-state="ready"], [data-atlas-viewer]'
                           '[data-viewer-state="error"]', timeout=60_000)
    state = page.get_attribute("[data-atlas-viewer]", "data-viewer-state")
    message = page.text_content("[data-viewer-message]")
    assert state == "ready", f"the viewer on {where} failed: {message!r}"
    snapshot = page.evaluate("window.atlasViewer.snapshot()")
    assert snapshot["drawn"] and snapshot["drawnFraction"] > 0.002, (where, snapshot)
    # The same picture read back independently of the viewer's own check: the splats cover part of the
    # canvas in many colours, not one flat fill.
    image = canvas_pixels(page, "[data-atlas-viewer] canvas")
    pixels = np.asarray(image, dtype=np.int16)
    differing = int((np.abs(pixels - pixels[0, 0]).sum(axis=2) > 24).sum())
    assert differing > 0.002 * image.width * image.height, (where, differing, image.size)
    assert len(image.getcolors(maxcolors=1 << 24)) > 50, f"the picture on {where} is more than a flat fill"
    return snapshot


def test_sign_up_upload_with_interruptions_reconstruct_view_download_and_share(
        app, browser, cluster, settings, screenshot, tmp_path):
    url = app.url.rstrip("/")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context.grant_permissions(["clipboard-read", "clipboard-write", "notifications"], origin=url)
    # The notifications the pages show, recorded (headless chromium has nowhere to show them).
    context.add_init_script("""if (window.Notification) { window.shownNotifications = [];
      window.Notification = class extends window.Notification {
        constructor(title, options) { window.shownNotifications.push(title); super(title, options); } }; }""")
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors = watch_errors(page)
    clock = Stopwatch()

    # --- a stranger arrives and signs up ------------------------------------------------------------------
    page.goto(f"{url}/")
    screenshot(page, "01-home")
    page.goto(f"{url}/accounts/signup/")
    page.fill("#id_email", EMAIL)
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    screenshot(page, "02-sign-up")
    page.click("form[action$='/accounts/signup/'] button[type=submit]")
    page.wait_for_load_state()
    assert "Check your inbox" in page.text_content("h1"), page.text_content("main")

    clock.lap("sign-up")

    # --- the link from the mail confirms the address ----------------------------------------------------
    link = urlsplit(confirmation_link(settings.MAIL_DIR))
    page.goto(f"{url}{link.path}?{link.query}")
    assert page.text_content("h1").strip() == "Done", page.text_content("main")

    clock.lap("confirmation")

    # --- sign in -------------------------------------------------------------------------------------------
    page.goto(f"{url}/accounts/login/")
    page.fill("#id_login", EMAIL)
    page.fill("#id_password", PASSWORD)
    screenshot(page, "03-sign-in")
    page.click("form[action$='/accounts/login/'] button[type=submit]")
    page.wait_for_url(lambda address: "/accounts/login/" not in address)
    assert page.get_by_role("button", name="Sign out").or_(page.get_by_role("link", name="Sign out")).count()
    page.goto(f"{url}/captures/")
    assert page.url == f"{url}/captures/", "signed in, the captures list opens"

    clock.lap("sign-in")

    # --- new capture: the upload drops a part, then the page is reloaded mid-upload -------------------
    puts = []  # (phase, part number, what happened), for every PUT of a part

    def part_route(route):
        try:
            handle_part(route)
        except Exception as exc:  # an exception here would be lost in Playwright's loop: keep it for the test
            puts.append(("error", 0, repr(exc)))
            route.continue_()

    def handle_part(route):
        request = route.request
        if request.method != "PUT":
            route.continue_()
            return
        phase, number = upload_phase[0], part_number(request.url)
        dropped_before = sum(1 for p, n, outcome in puts if n == number and outcome == "dropped")
        # Before the reload: part 2's first try loses its connection (the uploader must send it again),
        # and parts 3 and 4 never get through, so the upload is still unfinished when the page reloads.
        if phase == "before reload" and (number in (3, 4) or (number == 2 and not dropped_before)):
            puts.append((phase, number, "dropped"))
            route.abort("connectionreset")
            return
        puts.append((phase, number, "sent"))
        route.continue_()

    upload_phase = ["before reload"]
    page.route("**/api/v1/uploads/**", part_route)
    page.goto(f"{url}/captures/new/")
    page.wait_for_selector("#capture-form[data-uploader-ready=true]")
    assert page.is_hidden("#id_iterations")  # only for Custom
    typical = page.text_content("[data-preset-time=standard]")
    assert re.fullmatch(r"about \d+ min", typical), typical
    page.set_input_files("#id_file", str(VIDEO))
    # The presets' times are worked out again for the chosen video, whose frame size the browser read.
    page.wait_for_selector("#presets[data-estimated=true]")
    assert "this 136×240 video" in page.text_content("#preset-basis")
    assert re.fullmatch(r"about \d+ min", page.text_content("[data-preset-time=standard]"))
    page.fill("#id_name", CAPTURE_NAME)
    page.check("input[name=preset][value=custom]")
    page.fill("#id_iterations", str(MIN_ITERATIONS))
    screenshot(page, "04-new-capture")
    page.click("#upload-button")

    def capture():
        return Capture.objects.filter(owner__email=EMAIL).first()

    def stored_parts():
        return sorted(UploadPart.objects.filter(capture__owner__email=EMAIL).values_list("number", flat=True))

    wait_until(page, lambda: stored_parts() == [1, 2], 60,
               lambda: f"parts 1 and 2 should arrive, part 2 on its second try: {stored_parts()}, {puts}")
    page.wait_for_selector("#upload-status[data-state=retrying]")
    assert 0 < page.eval_on_selector("#upload-progress", "bar => bar.value") < 100
    screenshot(page, "05-new-capture-interrupted")
    assert capture().num_parts == 4 and capture().chunk_size == PART_SIZE

    page.reload()
    upload_phase[0] = "after reload"
    page.wait_for_selector("#capture-form[data-uploader-ready=true]")
    page.set_input_files("#id_file", str(VIDEO))
    page.wait_for_selector("#upload-resume:not([hidden])")
    assert "2 of 4 parts" in page.text_content("#upload-resume")
    page.check("input[name=preset][value=custom]")
    page.fill("#id_iterations", str(MIN_ITERATIONS))
    page.click("#upload-button")
    page.wait_for_url(re.compile(r".*/captures/[0-9a-f-]{36}/$"), timeout=60_000)

    sent = Counter(number for _, number, outcome in puts if outcome == "sent")
    assert sent == {1: 1, 2: 1, 3: 1, 4: 1}, f"each part is stored by exactly one PUT: {puts}"
    assert {number for phase, number, _ in puts if phase == "after reload"} == {3, 4}, (
        f"after the reload only the missing parts are sent: {puts}")
    assert ("before reload", 2, "dropped") in puts
    assert capture().is_uploaded and capture().bytesize == VIDEO.stat().st_size
    eid = str(capture().eid)
    assert page.url == f"{url}/captures/{eid}/"
    assert capture().reconstruction_parameters.get("iterations") == MIN_ITERATIONS
    page.unroute("**/api/v1/uploads/**")

    clock.lap("upload")

    # --- the detail page follows the reconstruction live, without reloading -----------------------------
    seen = []  # (overall progress, stage text) as the page showed them
    deadline = time.monotonic() + RECONSTRUCTION_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            if page.get_attribute("#capture-status", "data-finished") == "true":
                break
            value = page.eval_on_selector("#capture-progress", "bar => bar.value")
            stage = page.text_content("#capture-stage") or ""
        except PlaywrightError:  # the page reloads itself once the capture is finished
            page.wait_for_timeout(200)
            continue
        if not seen or seen[-1] != (value, stage.strip()):
            seen.append((value, stage.strip()))
            if "training" in stage.lower() and not any("training" in text.lower() for _, text in seen[:-1]):
                screenshot(page, "06-capture-processing")
        page.wait_for_timeout(500)
    page.wait_for_load_state()
    state = page.get_attribute("#capture-status", "data-state")
    assert state == "READY", (
        f"state {state}: {page.text_content('#capture-failure')!r}\nprogress seen: {seen}\n{cluster_log(cluster)}")
    assert float(page.eval_on_selector("#capture-progress", "bar => bar.value")) == 1.0
    assert any(0 < value < 1 for value, _ in seen), f"the bar moved while the page stayed open: {seen}"
    assert len({stage for _, stage in seen if stage}) >= 2, f"the stages were shown as they came: {seen}"
    assert "Ready" in page.text_content("#capture-state")
    assert page.evaluate("window.shownNotifications") == [f"Your 3D model of {CAPTURE_NAME} is ready"]
    # The worker e-mails the link to the capture's page.
    ready_link = mailed_link(settings.MAIL_DIR, f"Your 3D model of {CAPTURE_NAME} is ready", "/captures/",
                             timeout=30)
    assert ready_link == f"{url}/captures/{eid}/", ready_link
    print("\nprogress seen:", seen)
    print("items:", "; ".join(f"{item.pipeline} {(item.finished_at - item.started_at).total_seconds():.0f} s"
                              for item in Item.objects.filter(capture__eid=eid).order_by("created_at")))

    clock.lap("reconstruction")

    # --- the splats are drawn ----------------------------------------------------------------------------
    page.locator("[data-atlas-viewer]").scroll_into_view_if_needed()
    assert_viewer_draws(page, "the capture page")
    screenshot(page, "07-capture-done")

    clock.lap("viewer")

    # --- the .ply downloads and is a 3D Gaussian splat file ----------------------------------------------
    with page.expect_download() as download_info:
        page.click('#capture-outputs tr[data-kind="ply"] a[download]')
    download = download_info.value
    assert download.suggested_filename.endswith(".ply"), download.suggested_filename
    ply_path = tmp_path / download.suggested_filename
    download.save_as(ply_path)
    vertices = PlyData.read(str(ply_path))["vertex"]
    names = {prop.name for prop in vertices.properties}
    assert {"x", "y", "z", "f_dc_0", "f_dc_1", "f_dc_2", "opacity", "scale_0", "rot_0"} <= names, names
    assert vertices.count > 0

    clock.lap("download")

    # --- Cancel, then Run again with another preset: from the stored upload, no part is sent again --------
    later_puts = []
    page.on("request", lambda request: later_puts.append(request.url)
            if request.method == "PUT" and "/api/v1/uploads/" in request.url else None)
    page.click("#run-again summary")
    page.check("#run-again-form input[name=preset][value=draft]")
    page.click("#run-again-submit")
    page.wait_for_selector("#capture-cancel")
    page.click("#capture-cancel")
    page.wait_for_selector("#capture-cancelled")
    assert "Cancelled" in page.text_content("#capture-state")
    screenshot(page, "07b-capture-cancelled")
    page.click("#run-again summary")
    page.check("#run-again-form input[name=preset][value=high]")
    page.click("#run-again-submit")
    page.wait_for_selector("#capture-cancel")
    runs = list(capture().runs())
    assert [run.parameters.get("preset") for run in runs[:2]] == ["high", "draft"], [r.parameters for r in runs]
    assert runs[1].status == Item.Status.CANCELLED and len(runs) == 3
    assert later_puts == [] and sorted(Counter(n for _, n, o in puts if o == "sent")) == [1, 2, 3, 4]
    page.click("#capture-cancel")  # the rest of the walk needs no second model
    page.wait_for_selector("#capture-cancelled")
    assert capture().source.name  # the upload stays

    clock.lap("cancel and run again")

    # --- made public, its link copied and opened by someone who is signed out ----------------------------
    page.click("#make-public")
    page.wait_for_selector("#share-link")
    page.click("[data-copy='#share-link']")
    share_link = page.evaluate("navigator.clipboard.readText()")
    assert share_link == page.input_value("#share-link")
    assert re.fullmatch(rf"{re.escape(url)}/s/\S+", share_link), share_link
    assert capture().is_public

    # Someone opens the link on a phone.
    stranger = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                   device_scale_factor=1)
    shared = stranger.new_page()
    shared.set_default_timeout(30_000)
    errors += watch_errors(shared)
    response = shared.goto(share_link)
    assert response.status == 200
    assert shared.text_content("h1").strip() == CAPTURE_NAME
    assert shared.locator("a[href='/accounts/signup/']").count() >= 1, "a signed-out visitor is invited to sign up"
    assert_viewer_draws(shared, "the share page")
    assert shared.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "no sideways scrolling"
    screenshot(shared, "08-share-phone")
    stranger.close()

    clock.lap("share page")

    # --- the captures list and the profile ---------------------------------------------------------------
    page.goto(f"{url}/captures/")
    row = page.locator(f"text={CAPTURE_NAME}").first
    assert row.is_visible()
    assert page.locator("img[src*='/picture/']").count() >= 1, "the list shows the capture's picture"
    screenshot(page, "09-captures-list")
    page.goto(f"{url}/profile/")
    assert EMAIL in page.text_content("main")
    screenshot(page, "10-profile")

    clock.lap("list and profile")
    print("steps:", clock)
    assert not errors, errors
    context.close()
