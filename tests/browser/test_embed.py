"""A public capture's embeddable viewer in a real browser: another site frames /s/<sid>/embed and the model is
drawn in it, while the share page (/s/<sid>) and every other page refuse to be framed. The share page, the embed
page and the owner's sharing box are saved at desktop and phone width in test-artifacts/screenshots/."""

import io
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from PIL import Image

from captures.models import Capture
from gallery.models import Item
from tests.data import SHARED_DATA, needs
from tests.factories import UserFactory

from .pages import gradient_jpeg, store_file

DONUT = SHARED_DATA / "models" / "donut_3dgs_fused.ply"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), needs(DONUT)]


@pytest.fixture
def capture():
    """A public capture reconstructed as the real donut splats, with the preview of its upload (kept private)."""
    owner = UserFactory()
    capture = Capture.objects.create(owner=owner, name="Glazed donut on the kitchen table, second try",
                                     bytesize=1000, is_public=True, uploaded_at=timezone.now())
    preview = Item.objects.create(owner=owner, name=capture.name, pipeline="preview", source=capture,
                                  status=Item.Status.DONE)
    store_file(preview, "thumbnail", "thumbnail.jpg", gradient_jpeg(512, 288), "image/jpeg")
    gif = io.BytesIO()
    Image.open(io.BytesIO(gradient_jpeg(160, 90))).save(gif, "GIF")
    store_file(preview, "gif", "preview.gif", gif.getvalue(), "image/gif")
    model = Item.objects.create(owner=owner, name=capture.name, pipeline="gaussian-splatting", source=capture,
                                status=Item.Status.DONE)
    store_file(model, "ply", "splats.ply", DONUT.read_bytes(), "application/octet-stream")
    store_file(model, "thumbnail", "render.jpg", gradient_jpeg(320, 240), "image/jpeg")
    return capture


@contextmanager
def other_site(html):
    """Another origin (another port) serving `html` at every path, as a blog pasting the embed code would. A real
    server on the loopback address: Chromium keeps pages it takes for public ones (a routed fake host) from
    framing local addresses at all (Local Network Access), which would hide what the headers do."""
    body = html.encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def viewer_state(frame, timeout=60_000):
    frame.wait_for_selector('[data-atlas-viewer][data-viewer-state="ready"], '
                            '[data-atlas-viewer][data-viewer-state="error"]', timeout=timeout)
    return frame.get_attribute("[data-atlas-viewer]", "data-viewer-state")


def test_the_embed_page_renders_inside_another_sites_iframe_while_the_share_page_refuses(
        live_server, browser, screenshot, capture):
    share_url = f"{live_server.url}/s/{capture.sid}"
    embed_url = f"{share_url}/embed"
    context = browser.new_context(**DESKTOP)
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors, console = [], []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: console.append(message.text))

    # Another origin (another port) pasting the embed code beside a frame of the share page.
    page.goto(share_url)
    embed_code = page.input_value("#embed-code")
    assert embed_code.startswith(f'<iframe src="{embed_url}"'), embed_code
    host = (f"<!doctype html><title>A blog</title><h1>My blog</h1>{embed_code}"
            f'<iframe id="share" src="{share_url}" width="640" height="300"></iframe>')
    with other_site(host) as other:
        assert urlsplit(other).netloc != urlsplit(live_server.url).netloc
        page.goto(f"{other}/post")

    embed = page.frame_locator(f'iframe[src="{embed_url}"]')
    embed_frame = page.query_selector(f'iframe[src="{embed_url}"]').content_frame()
    assert viewer_state(embed_frame) == "ready", embed_frame.text_content("[data-viewer-message]")
    snapshot = embed_frame.evaluate("window.atlasViewer.snapshot()")
    assert snapshot["drawn"], snapshot
    assert embed.locator(".embed-name").get_attribute("target") == "_blank"
    assert embed.locator("[data-viewer-fullscreen]").is_visible()  # the iframe allows fullscreen
    assert embed_frame.get_attribute("[data-atlas-viewer]", "data-viewer-hints") == "mouse"
    assert "right-drag" in embed.locator("[data-viewer-hint]").text_content()

    # The share page's frame holds an error page, not the share page.
    share_frame = page.query_selector("iframe#share").content_frame()
    page.wait_for_timeout(500)
    assert share_frame.url.startswith("chrome-error://"), share_frame.url  # Chromium's "refused to connect"
    assert share_frame.query_selector(".share-heading, [data-atlas-viewer]") is None
    assert any("X-Frame-Options" in text for text in console), console
    screenshot(page, "embed-in-another-site")

    # The pages themselves at desktop width.
    for url, name in ((share_url, "share-desktop"), (embed_url, "embed-desktop")):
        page.goto(url)
        assert viewer_state(page) == "ready"
        screenshot(page, name)
    page.goto(share_url)
    assert page.get_attribute('meta[property="og:image"]', "content") == f"{share_url}/picture.jpg"
    assert page.query_selector("img.share-preview") is None  # the upload's preview stays private
    link = page.input_value("#share-link")
    assert link == share_url
    context.close()

    # On a phone: touch wording, nothing wider than the screen.
    phone = browser.new_context(**PHONE)
    page = phone.new_page()
    page.set_default_timeout(30_000)
    page.on("pageerror", lambda error: errors.append(str(error)))
    for url, name in ((share_url, "share-phone"), (embed_url, "embed-phone")):
        page.goto(url)
        assert viewer_state(page) == "ready"
        assert page.get_attribute("[data-atlas-viewer]", "data-viewer-hints") == "touch"
        assert page.text_content("[data-viewer-hint]") == "Drag to turn · pinch to zoom · two-finger drag to move"
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), url
        screenshot(page, name)
    phone.close()

    # The owner's sharing box, with the preview switch (off).
    client = Client()
    client.force_login(capture.owner)
    session = {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
               "url": live_server.url}
    for options, name in ((DESKTOP, "capture-sharing-desktop"), (PHONE, "capture-sharing-phone")):
        owner = browser.new_context(**options)
        owner.add_cookies([session])
        page = owner.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{live_server.url}/captures/{capture.eid}/")
        assert page.input_value("#share-link") == share_url
        assert not page.is_checked("#show-preview-publicly")
        page.locator("#capture-sharing").scroll_into_view_if_needed()
        screenshot(page, name)
        owner.close()
    assert not errors, errors
