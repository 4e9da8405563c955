"""Cancel, Run again and Retry on the capture page: the upload is kept and reused, runs sit beside each other as
versions of the model, and a failed capture offers neither sharing nor a preview placeholder."""

import re

import pytest
from django.core.files.base import ContentFile

from captures.models import Capture, UploadPart
from gallery.models import Item
from tests.dashboard.test_capture_pages import add_file, failed, finished, page, processing, uploaded

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(client, user):
    client.force_login(user)
    return client


def with_source(capture):
    """The capture's stored upload, as the worker leaves it once the parts are joined."""
    capture.source.save("source.mp4", ContentFile(b"\x00\x00\x00\x18ftypmp42" + b"v" * 1000), save=True)
    return capture


def runs(capture):
    return list(capture.runs())


def test_cancel_stops_the_run_and_keeps_the_capture_and_its_upload(browser, user):
    capture = with_source(processing(user))
    source = capture.source.name
    response = browser.post(f"/captures/{capture.eid}/cancel/")
    assert response.status_code == 302
    run = runs(capture)[0]
    assert run.status == Item.Status.CANCELLED
    capture = Capture.objects.get(pk=capture.pk)
    assert capture.source.name == source and capture.source.storage.exists(source)
    assert capture.state == Capture.State.FAILED
    html = page(browser.get(f"/captures/{capture.eid}/"))
    assert re.search(r'id="capture-state" class="badge badge-cancelled">Cancelled<', html)
    assert "Reconstruction failed:" not in re.sub(r'<div id="capture-failure".*?hidden>.*?</div>', "", html,
                                                  flags=re.S)
    assert 'id="run-again-form"' in html and 'id="capture-retry"' in html and 'id="capture-cancel"' not in html


def test_a_running_capture_offers_cancel_and_not_run_again(browser, user):
    capture = processing(user)
    html = page(browser.get(f"/captures/{capture.eid}/"))
    assert 'id="capture-cancel"' in html and 'id="run-again-form"' not in html and 'id="capture-retry"' not in html


def test_run_again_with_another_preset_reuses_the_stored_upload(browser, user):
    capture = with_source(processing(user))
    source = capture.source.name
    browser.post(f"/captures/{capture.eid}/cancel/")
    response = browser.post(f"/captures/{capture.eid}/run-again/", {"preset": "draft"})
    assert response.status_code == 302, page(response)
    newest, old = runs(capture)
    assert newest.pipeline == "gaussian-splatting" and newest.status == Item.Status.QUEUED
    assert newest.parameters["preset"] == "draft" and "iterations" not in {
        key for key, value in newest.parameters.items() if value is not None}
    assert old.status == Item.Status.CANCELLED and old.parameters == {"iterations": 3000}
    capture = Capture.objects.get(pk=capture.pk)
    assert capture.source.name == source  # the same stored file: nothing uploaded again
    assert not UploadPart.objects.filter(capture=capture).exists()
    assert capture.state == Capture.State.UPLOADED  # the cancelled run is an earlier version now
    html = page(browser.get(f"/captures/{capture.eid}/"))
    assert len(re.findall(r"<tr data-run=", html)) == 2 and "Draft" in html


def test_run_again_custom_needs_iterations_within_the_forms_limits(browser, user):
    capture = failed(user)
    response = browser.post(f"/captures/{capture.eid}/run-again/", {"preset": "custom"})
    assert response.status_code == 400 and "Custom needs a number of training iterations." in page(response)
    response = browser.post(f"/captures/{capture.eid}/run-again/", {"preset": "custom", "iterations": "50"})
    assert response.status_code == 400 and len(runs(capture)) == 1
    response = browser.post(f"/captures/{capture.eid}/run-again/", {"preset": "custom", "iterations": "5000"})
    assert response.status_code == 302
    assert runs(capture)[0].parameters["preset"] == "custom" and runs(capture)[0].parameters["iterations"] == 5000


def test_run_again_while_a_run_is_queued_or_running_is_refused(browser, user):
    for capture in (processing(user, "Running"), uploaded(user, "Queued")[0]):
        response = browser.post(f"/captures/{capture.eid}/run-again/", {"preset": "draft"}, follow=True)
        assert "queued or running" in page(response)
        assert len(runs(capture)) == 1


def test_retry_queues_the_failed_run_again_with_the_same_parameters(browser, user):
    capture = failed(user)
    run = runs(capture)[0]
    html = page(browser.get(f"/captures/{capture.eid}/"))
    assert 'id="capture-retry"' in html
    assert browser.post(f"/captures/{capture.eid}/retry/").status_code == 302
    run.refresh_from_db()
    assert run.status == Item.Status.QUEUED and run.failure_reason == "" and run.parameters == {"iterations": 3000}
    assert len(runs(capture)) == 1
    response = browser.post(f"/captures/{capture.eid}/retry/", follow=True)
    assert "queued or running" in page(response)


def test_a_failed_capture_offers_neither_make_public_nor_the_preview_placeholder(browser, user):
    capture = failed(user)
    html = page(browser.get(f"/captures/{capture.eid}/"))
    assert 'id="make-public"' not in html and "There is no model to share" in html
    assert "The preview animation appears here" not in html
    done = finished(user, "Done")
    html = page(browser.get(f"/captures/{done.eid}/"))
    assert 'id="make-public"' in html


def test_earlier_runs_stay_as_versions_and_the_newest_finished_one_is_shown(browser, user):
    capture = finished(user)
    old = runs(capture)[0]
    response = browser.post(f"/captures/{capture.eid}/run-again/", {"preset": "draft"})
    assert response.status_code == 302
    new = runs(capture)[0]
    html = page(browser.get(f"/captures/{capture.eid}/"))
    status = browser.get(f"/captures/{capture.eid}/status.json").json()
    assert status["state"] == "UPLOADED" and not status["finished"] and status["pipeline"] == "gaussian-splatting"
    # The new run is queued: the finished one is still what the page shows.
    assert f'<tr data-run="{old.pk}" data-status="done" aria-current="true">' in html
    Item.objects.filter(pk=new.pk).update(status=Item.Status.DONE)
    add_file(new, "ply", "splats.ply", b"ply\nnew")
    add_file(new, "splat", "splats.splat", b"n" * 32)
    html = page(browser.get(f"/captures/{capture.eid}/"))
    assert f'<tr data-run="{new.pk}" data-status="done" aria-current="true">' in html
    assert f'href="?run={old.pk}#capture-outputs"' in html
    newest = browser.get(f"/captures/{capture.eid}/files/ply/splats.ply?download=1")
    assert b"".join(newest.streaming_content) == b"ply\nnew"
    html = page(browser.get(f"/captures/{capture.eid}/?run={old.pk}"))
    url = f"/captures/{capture.eid}/runs/{old.pk}/files/ply/"
    assert url in html and "Back to the newest finished run" in html
    earlier = browser.get(re.search(rf'href="({re.escape(url)}[^"?]+)', html).group(1) + "?download=1")
    assert earlier.status_code == 200 and b"".join(earlier.streaming_content) == b"ply\n" + b"x" * 2000
    assert browser.get(f"/captures/{capture.eid}/?run={capture.items.get(pipeline='preview').pk}").status_code == 404


def test_another_account_cannot_cancel_run_again_or_retry(client, user, other_user):
    capture = processing(user)
    stopped = failed(user, "Failed")
    run = runs(capture)[0]
    client.force_login(other_user)
    assert client.post(f"/captures/{capture.eid}/cancel/").status_code == 404
    assert client.post(f"/captures/{stopped.eid}/run-again/", {"preset": "draft"}).status_code == 404
    assert client.post(f"/captures/{stopped.eid}/retry/").status_code == 404
    assert client.get(f"/captures/{capture.eid}/runs/{run.pk}/files/ply/x.ply").status_code == 404
    run.refresh_from_db()
    assert run.status == Item.Status.PROCESSING and len(runs(stopped)) == 1
    assert runs(stopped)[0].status == Item.Status.FAILED
