"""The everyday pages at desktop and phone width in a real browser: the captures list (with captures and empty),
the new-capture page, the profile and, for staff, the admin index and the gallery's item list. At phone width the
top navigation stays one line (its menu folds away behind a "Menu" button and opens without JavaScript) and no
page scrolls sideways. Screenshots land in test-artifacts/screenshots/phone-pages-<page>-<width>.png.

The captures are made directly in the database, as finished (with a thumbnail), processing and failed ones look
in the list: no pipeline runs."""


import pytest
from django.utils import timezone

from captures.models import Capture
from gallery.models import Item
from tests.factories import UserFactory

from .pages import gradient_jpeg, loaded, sign_in, store_file

DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
WIDTHS = {"desktop": DESKTOP, "phone": PHONE}
NAV_MAX_HEIGHT = 80  # px: one line of links (or the brand and the menu button), not two or three

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def make_capture(owner, name, status, bytesize, thumbnail=False, **fields):
    """An uploaded capture with its preview and reconstruction items, the reconstruction in `status`."""
    capture = Capture.objects.create(owner=owner, name=name, bytesize=bytesize, uploaded_at=timezone.now(),
                                     input_data_format="video", original_filename=f"{name}.mp4")
    preview = Item.objects.create(owner=owner, name=name, pipeline="preview", source=capture,
                                  status=Item.Status.DONE)
    if thumbnail:
        store_file(preview, "thumbnail", "thumbnail.jpg", gradient_jpeg(320, 240, blue=140), "image/jpeg")
    Item.objects.create(owner=owner, name=name, pipeline="gaussian-splatting", source=capture, status=status,
                        **fields)
    return capture


@pytest.fixture
def robin(db):
    """Someone with three captures: one finished (with a picture), one being made, one that failed."""
    owner = UserFactory(nickname="Robin")
    make_capture(owner, "Armchair in the living room", Item.Status.DONE, 48_200_000, thumbnail=True)
    make_capture(owner, "Garden gnome", Item.Status.PROCESSING, 12_900_000, stage="training")
    make_capture(owner, "Bicycle, first try with a very long name that has to wrap somewhere", Item.Status.FAILED,
                 230_000_000, failure_reason="Fewer than 20 frames could be registered: film more slowly.")
    return owner


def layout(page):
    """How the page lies out: the site navigation's height (None where the page has none, as the admin) and
    the document's width."""
    return page.evaluate("""() => {
      const nav = document.querySelector('.site-header nav');
      return {nav: nav ? nav.getBoundingClientRect().height : null,
              scrollWidth: document.documentElement.scrollWidth,
              width: document.documentElement.clientWidth};
    }""")


def visit(page, url, name, width, screenshot, problems):
    """Opens `url`, saves its screenshot and notes what is wrong with how it lies out at `width`."""
    response = page.goto(url)
    assert response.status == 200, (url, response.status)
    loaded(page)
    screenshot(page, f"phone-pages-{name}-{width}")
    box = layout(page)
    if box["scrollWidth"] > box["width"]:
        problems.append(f"{name} at {width} width scrolls sideways: {box}")
    if width == "phone" and box["nav"] is not None and box["nav"] >= NAV_MAX_HEIGHT:
        problems.append(f"{name}: the navigation takes {box['nav']:.0f} px at phone width")
    return box


def test_the_everyday_pages_fit_a_phone_and_a_desktop(live_server, browser, screenshot, robin):
    url = live_server.url.rstrip("/")
    newcomer = UserFactory(nickname="Sam")
    problems = []
    for width, options in WIDTHS.items():
        page, errors = sign_in(browser, url, robin, **options)
        visit(page, f"{url}/captures/", "captures", width, screenshot, problems)
        assert page.locator(".capture-card").count() == 3
        visit(page, f"{url}/captures/new/", "capture-new", width, screenshot, problems)
        visit(page, f"{url}/profile/", "profile", width, screenshot, problems)
        # A capture being made offers Cancel; a failed one says why and offers Retry, never sharing.
        making = Capture.objects.get(owner=robin, name="Garden gnome")
        visit(page, f"{url}/captures/{making.eid}/", "capture-processing", width, screenshot, problems)
        assert page.get_by_role("button", name="Cancel").first.is_visible()
        failed = Capture.objects.get(owner=robin, name__startswith="Bicycle")
        visit(page, f"{url}/captures/{failed.eid}/", "capture-failed", width, screenshot, problems)
        assert page.get_by_text("Fewer than 20 frames could be registered").first.is_visible()
        assert page.get_by_role("button", name="Retry").first.is_visible()
        assert page.get_by_text("Make public").count() == 0
        assert not errors, errors
        page.context.close()

        page, errors = sign_in(browser, url, newcomer, **options)
        visit(page, f"{url}/captures/", "captures-empty", width, screenshot, problems)
        assert page.get_by_text("No captures yet").is_visible()
        assert not errors, errors
        page.context.close()
    assert not problems, "\n".join(problems)


def test_the_phone_menu_opens_without_javascript_and_the_desktop_shows_every_link(live_server, browser,
                                                                                  screenshot, robin):
    url = live_server.url.rstrip("/")
    links = ["Captures", "New capture", "Face ID", "Studio", "Profile", "Sign out"]

    page, _ = sign_in(browser, url, robin, **DESKTOP)
    nav = page.locator(".site-header nav")
    for name in links:
        assert nav.get_by_role("link", name=name, exact=True).is_visible(), name
    assert not nav.locator("summary").is_visible(), "no menu button on a desktop"
    page.context.close()

    # A phone without JavaScript: the links wait behind the menu button, which opens them in place.
    page, _ = sign_in(browser, url, robin, **PHONE, java_script_enabled=False)
    page.goto(f"{url}/captures/")
    nav = page.locator(".site-header nav")
    menu = nav.get_by_text("Menu", exact=True)
    assert menu.is_visible()
    assert not nav.get_by_role("link", name="Sign out").is_visible()
    assert nav.bounding_box()["height"] < NAV_MAX_HEIGHT
    menu.click()
    for name in links:
        assert nav.get_by_role("link", name=name, exact=True).is_visible(), name
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # The open button reads white on the accent colour (Pico's own open-summary grey would not).
    text, fill = page.eval_on_selector(".nav-menu > summary",
                                       "s => [getComputedStyle(s).color, getComputedStyle(s).backgroundColor]")
    assert text == "rgb(255, 255, 255)" and fill != "rgba(0, 0, 0, 0)", (text, fill)
    screenshot(page, "phone-pages-menu-open-phone")
    nav.get_by_role("link", name="Profile", exact=True).click()
    page.wait_for_url(f"{url}/profile/")
    page.context.close()


def test_signed_out_the_phone_nav_keeps_sign_in_and_sign_up_in_sight(live_server, browser, screenshot):
    url = live_server.url.rstrip("/")
    for width, options in WIDTHS.items():
        page = browser.new_context(**options).new_page()
        problems = []
        visit(page, f"{url}/accounts/login/", "sign-in", width, screenshot, problems)
        assert not problems, problems
        nav = page.locator(".site-header nav")
        assert nav.get_by_role("link", name="Sign in").is_visible()
        assert nav.get_by_role("button", name="Sign up").is_visible()
        assert nav.locator("summary").count() == 0, "two links need no menu"
        page.context.close()


def test_the_admin_index_and_the_gallery_item_list(live_server, browser, screenshot, robin):
    url = live_server.url.rstrip("/")
    staff = UserFactory(nickname="Admin", is_staff=True, is_superuser=True)
    for width, options in WIDTHS.items():
        page, errors = sign_in(browser, url, staff, **options)
        problems = []
        visit(page, f"{url}/admin/", "admin-index", width, screenshot, problems)
        assert page.get_by_role("link", name="Items", exact=True).first.is_visible()
        visit(page, f"{url}/admin/gallery/item/", "admin-items", width, screenshot, problems)
        assert page.locator("#result_list tbody tr").count() == 6  # each capture's preview and reconstruction
        if width == "desktop":  # the admin's own tables may scroll sideways on a phone; on a desktop they fit
            assert not problems, problems
        assert not errors, errors
        page.context.close()


def test_from_a_small_laptop_up_every_link_shows_in_one_row_even_with_admin(live_server, browser, screenshot):
    url = live_server.url.rstrip("/")
    staff = UserFactory(nickname="Admin", is_staff=True, is_superuser=True)
    for width in (1024, 1280):
        page, errors = sign_in(browser, url, staff, viewport={"width": width, "height": 900})
        page.goto(f"{url}/captures/")
        screenshot(page, f"phone-pages-captures-empty-staff-{width}")
        nav = page.locator(".site-header nav")
        boxes = {}
        for name in ["Captures", "New capture", "Face ID", "Studio", "Admin", "Profile", "Sign out"]:
            link = nav.get_by_role("link", name=name, exact=True)
            assert link.is_visible(), (width, name)
            boxes[name] = link.bounding_box()
        # One row: every link at the brand's height, none broken over two lines.
        brand = nav.locator(".brand").bounding_box()
        assert all(abs(box["y"] - boxes["Captures"]["y"]) < 2 and box["height"] < 2 * brand["height"]
                   for box in boxes.values()), (width, boxes)
        assert not nav.locator("summary").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.context.close()
