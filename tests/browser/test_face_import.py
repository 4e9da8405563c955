"""Importing people from a .zip in a real browser: the project page's form uploads it, the import's page follows
the job as it runs (status.json through job-poll.js: "12 of 40 photos") and shows each photo's result once it is
done. Screenshots of the project page and the import page, running and done, at desktop and phone width, land in
test-artifacts/screenshots/face-import-*.png."""

import zipfile

import pytest

from faces import services
from gallery.models import Item
from gallery.tasks import run_item
from tests.data import needs, shared
from tests.factories import UserFactory

from .pages import DESKTOP, PHONE, loaded, sign_in

PHOTOS = {
    "Barack Obama/1.jpg": "faces/train_obama_obama.jpg",
    "Joe Biden/1.jpg": "faces/train_biden_biden.jpg",
    "Joe Biden/2.jpg": "faces/train_biden_biden2.jpg",
    "Skyline/city.jpg": "faces/fer_no_face.jpg",
}

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), needs(*PHOTOS.values())]


def test_a_zip_is_imported_through_the_project_page(live_server, browser, screenshot, tmp_path):
    owner = UserFactory(nickname="Robin")
    project = services.create_project(owner, name="Front desk")
    services.add_subject(project, status="APPROVED", properties={"name": "Barack Obama"}, registrant="Robin")
    archive = tmp_path / "staff.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for entry, path in PHOTOS.items():
            handle.write(shared(path), entry)
    url = live_server.url.rstrip("/")

    page, errors = sign_in(browser, url, owner, DESKTOP)
    page.goto(f"{url}/faces/{project.pk}/")
    page.set_input_files("#id_import_archive", str(shared(PHOTOS["Joe Biden/1.jpg"])))  # a photo, not a .zip
    page.click("#import-button")
    assert "is not a .zip file" in page.text_content("#import-people")
    screenshot(page, "face-import-error-desktop")
    page.set_input_files("#id_import_archive", str(archive))
    page.select_option("#id_import_status", "UNAPPROVED")
    page.click("#import-button")
    page.wait_for_url(f"{url}/faces/{project.pk}/imports/*/")
    assert page.text_content("#import-state") == "Waiting"
    item = Item.objects.get(pipeline="faces-import")

    # The page follows the job as a worker moves it on.
    Item.objects.filter(pk=item.pk).update(status=Item.Status.PROCESSING, stage="enrol", overall_position=2,
                                           current_position=12, current_size=40)
    page.wait_for_function("() => document.getElementById('import-position').textContent === '12 of 40 photos'")
    # The job's time: opening the archive (5%) done, 12 of 40 photos of enrolling (95%).
    assert page.text_content("#import-percent") == "33%" and page.text_content("#import-stage") == "Enrolling faces"
    assert page.eval_on_selector("#import-progress", "bar => bar.value") == pytest.approx(0.335)
    screenshot(page, "face-import-running-desktop")

    Item.objects.filter(pk=item.pk).update(status=Item.Status.QUEUED, stage="", overall_position=0,
                                           current_position=0, current_size=0)
    assert run_item(str(item.pk)) == "done"
    page.wait_for_selector("#import-rows", timeout=15_000)  # the page reloads once the job is done
    assert page.locator("#import-rows tr[data-result='enrolled']").count() == 3
    assert page.locator("#import-rows tr[data-result='refused']").count() == 1
    assert page.text_content("#import-state") == "Done"
    screenshot(page, "face-import-done-desktop")
    page.set_viewport_size(PHONE)
    screenshot(page, "face-import-done-phone")

    page.goto(f"{url}/faces/{project.pk}/")
    assert page.locator("#import-list").get_by_text("staff.zip").count() == 1
    screenshot(loaded(page), "face-import-project-phone")
    page.set_viewport_size(DESKTOP)
    screenshot(loaded(page), "face-import-project-desktop")
    assert not errors, errors
