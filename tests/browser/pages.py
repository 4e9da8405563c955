"""What the browser tests share: signing in in a fresh browser context, waiting for a page's pictures before a
screenshot, and stored item files (a gradient picture, a model) so pages have something to show without running a
pipeline."""

import io

from django.core.files.base import ContentFile
from PIL import Image

from gallery.models import ItemFile
from tests.factories import PASSWORD

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def sign_in(browser, url, user, viewport, **context_options):
    """A new browser context (at `viewport`, with Playwright's other context options) signed in as `user`:
    (page, the page's uncaught JavaScript errors)."""
    context = browser.new_context(viewport=viewport, **context_options)
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors = []
    page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
    page.goto(f"{url}/accounts/login/")
    page.fill("#id_login", user.email)
    page.fill("#id_password", PASSWORD)
    page.click("form[action$='/accounts/login/'] button[type=submit]")
    page.wait_for_url(lambda address: "/accounts/login/" not in address)
    return page, errors


def loaded(page):
    """The page once every picture on it has loaded (or failed to), lazy ones too: ready for a whole-page
    screenshot."""
    page.evaluate("""async () => {
      for (const image of document.images) image.loading = 'eager';
      await Promise.all([...document.images].map((image) => image.complete ? null
        : new Promise((done) => { image.onload = image.onerror = done; })));
    }""")
    return page


def gradient_jpeg(width, height, blue=120):
    """A JPEG of a colour gradient: a picture that shows where it lands, unlike a flat fill."""
    image = Image.new("RGB", (width, height))
    image.putdata([(x * 255 // width, y * 255 // height, blue) for y in range(height) for x in range(width)])
    buffer = io.BytesIO()
    image.save(buffer, "JPEG")
    return buffer.getvalue()


def store_file(item, kind, filename, content, content_type):
    """Saves `content` as the item's file of `kind`, as a pipeline's output is saved."""
    item_file = ItemFile(item=item, kind=kind, content_type=content_type, size=len(content))
    item_file.file.save(filename, ContentFile(content), save=True)
    return item_file
