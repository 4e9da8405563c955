"""The avatar studio in a real browser: the live 3D preview is made when the page opens and again after a slider
moves (the camera staying where the person left it), "Generate image" queues the picture, the result page follows
the job as a worker makes it and then shows the picture and the avatar in 3D, and the gallery lists it.

The worker's job is run here, inline, as the other browser tests run theirs. Screenshots of the studio, a result
and the gallery, at desktop and phone width, land in test-artifacts/screenshots/studio-*.png."""

import re

import pytest

from gallery.models import Item
from gallery.tasks import run_item
from generation.models import Generation
from tests.factories import UserFactory

from .pages import DESKTOP, PHONE, loaded, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

# The first preview builds the body model: on a loaded 2-core machine that can take a while.
FIRST_PREVIEW_MS = 180_000
PREVIEW_MS = 60_000

# The preview is up to date (the viewer has drawn at least `loads` meshes and no newer one is on its way), or
# it failed (then the test says why).
PREVIEW_SHOWN = """(loads) => {
  const viewer = document.querySelector('[data-atlas-viewer]');
  const status = document.getElementById('studio-preview-status');
  return status.dataset.state === 'error' || viewer.dataset.viewerState === 'error'
    || (viewer.dataset.viewerState === 'ready' && Number(viewer.dataset.viewerLoads || 0) >= loads
        && status.dataset.state === 'ready');
}"""


def wait_for_preview(page, loads, timeout):
    page.wait_for_function(PREVIEW_SHOWN, arg=loads, timeout=timeout)
    assert page.get_attribute("#studio-preview-status", "data-state") == "ready", (
        page.text_content("#studio-preview-status"), page.text_content("#studio-preview-error"))
    return int(page.get_attribute("[data-atlas-viewer]", "data-viewer-loads"))


def camera(page):
    return page.evaluate("() => window.atlasViewer.camera.position.toArray()")


def test_a_picture_is_made_in_the_studio_and_lands_in_the_gallery(live_server, browser, screenshot):
    owner = UserFactory(nickname="Robin")
    url = live_server.url.rstrip("/")
    page, errors = sign_in(browser, url, owner, DESKTOP)
    page.goto(f"{url}/studio/")
    assert page.get_attribute("[data-atlas-viewer]", "data-viewer-deferred") == "true"
    loads = wait_for_preview(page, 1, FIRST_PREVIEW_MS)
    assert page.evaluate("() => window.atlasViewer.snapshot().drawn"), "the avatar is drawn"

    # The person turns the avatar; a new preview keeps that view.
    page.evaluate("""() => {
      const viewer = window.atlasViewer;
      const offset = viewer.camera.position.clone().sub(viewer.controls.target);
      offset.applyAxisAngle(viewer.camera.up, 0.8);
      viewer.camera.position.copy(viewer.controls.target).add(offset);
      viewer.controls.update();
    }""")
    turned = camera(page)

    slider = page.locator("#id_body_main_muscular")
    slider.focus()
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    assert page.text_content("output[for='id_body_main_muscular']") == "+0.5"
    wait_for_preview(page, loads + 1, PREVIEW_MS)
    assert camera(page) == pytest.approx(turned, abs=1e-3), "the camera stays where the person left it"
    assert page.evaluate("() => window.atlasViewer.snapshot().drawn")
    assert page.is_hidden("#studio-preview-error")
    screenshot(page, "studio-desktop")

    page.click("#generate-image")
    page.wait_for_url(re.compile(r".*/studio/\d+/$"))
    generation = Generation.objects.get(owner=owner)
    assert generation.kind == "image"
    muscular = generation.request["user_details"]["body_dimensions"][0]
    assert muscular == {"key": "b_{main}_muscular", "value": 0.5}
    assert page.text_content("#result-state") == "Waiting"
    screenshot(page, "studio-result-waiting-desktop")

    assert run_item(str(generation.item.pk)) == "done", generation.item.failure_reason
    page.wait_for_selector("#result-picture", timeout=30_000)  # the page reloads once the job is done
    page.wait_for_function("() => document.getElementById('result-picture').naturalWidth > 0")
    assert page.text_content("#result-state") == "Done"
    assert page.evaluate("() => document.getElementById('result-picture').naturalWidth") == 512
    page.wait_for_selector("[data-atlas-viewer][data-viewer-state='ready']", timeout=PREVIEW_MS)
    assert page.evaluate("() => window.atlasViewer.snapshot().drawn"), "the avatar's .glb is drawn"
    assert page.locator("#result-downloads li").count() == 3
    screenshot(page, "studio-result-desktop")
    page.set_viewport_size(PHONE)
    screenshot(page, "studio-result-phone")

    page.goto(f"{url}/studio/gallery/")
    card = page.locator(f"#studio-gallery li[data-task='{generation.task_id}']")
    assert card.count() == 1 and "Picture" in card.text_content()
    screenshot(loaded(page), "studio-gallery-phone")
    page.set_viewport_size(DESKTOP)
    screenshot(loaded(page), "studio-gallery-desktop")

    # The studio opens again on the settings just used.
    page.goto(f"{url}/studio/")
    assert page.input_value("#id_body_main_muscular") == "0.5"
    page.set_viewport_size(PHONE)
    wait_for_preview(page, 1, PREVIEW_MS)
    screenshot(page, "studio-phone")

    page.once("dialog", lambda dialog: dialog.accept())
    page.goto(f"{url}/studio/gallery/")
    card.get_by_role("button", name=re.compile("^Remove")).click()
    page.wait_for_selector("#studio-gallery-empty")
    assert not Generation.objects.exists() and not Item.objects.exists()
    assert not errors, errors
