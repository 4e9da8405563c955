"""Seed 004's captures door, its additions for a capture's runs: POST .../cancel, GET/POST .../runs and
POST .../retry, in the door's error shape; the seed's own routes keep answering the newest finished run."""

import pytest

from captures.models import Capture, UploadPart
from gallery.models import Item
from tests.conftest import bearer
from tests.dashboard.test_capture_pages import add_file, failed, finished, processing, uploaded
from tests.dashboard.test_capture_runs import with_source

pytestmark = pytest.mark.django_db

RUN_KEYS = {"id", "method", "quality", "iterations", "state", "state_description", "created", "finished"}


def runs(capture):
    return list(capture.runs())


def test_cancel_keeps_the_capture_and_its_upload_and_answers_the_capture(api, user, auth):
    capture = with_source(processing(user))
    source = capture.source.name
    response = api.post(f"/api/v1/captures/{capture.eid}/cancel", **auth)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["eid"] == str(capture.eid) and body["state"] == "FAILED" and body["state_description"] == "Cancelled."
    assert runs(capture)[0].status == Item.Status.CANCELLED
    assert Capture.objects.get(pk=capture.pk).source.name == source
    response = api.post(f"/api/v1/captures/{capture.eid}/cancel", **auth)
    assert response.status_code == 409
    assert response.json() == {"detail": "Nothing is running for this capture: there is nothing to cancel."}


def test_run_again_with_another_quality_reuses_the_upload(api, user, auth):
    capture = with_source(processing(user))
    source = capture.source.name
    api.post(f"/api/v1/captures/{capture.eid}/cancel", **auth)
    response = api.post(f"/api/v1/captures/{capture.eid}/runs", {"quality": "draft"}, format="json", **auth)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == RUN_KEYS and body["state"] == "queued" and body["quality"] == "draft"
    assert body["method"] == "gaussian-splatting"
    newest, old = runs(capture)
    assert str(newest.pk) == body["id"] and newest.parameters["preset"] == "draft"
    assert old.status == Item.Status.CANCELLED
    capture = Capture.objects.get(pk=capture.pk)
    assert capture.source.name == source and not UploadPart.objects.filter(capture=capture).exists()
    assert api.get(f"/api/v1/captures/{capture.eid}", **auth).json()["state"] == "UPLOADED"
    listed = api.get(f"/api/v1/captures/{capture.eid}/runs", **auth).json()
    assert [run["id"] for run in listed] == [str(newest.pk), str(old.pk)]
    assert [run["state"] for run in listed] == ["queued", "cancelled"]


def test_run_again_custom_takes_iterations(api, user, auth):
    capture = failed(user)
    response = api.post(f"/api/v1/captures/{capture.eid}/runs", {"quality": "custom", "iterations": 5000},
                        format="json", **auth)
    assert response.status_code == 201 and response.json()["iterations"] == 5000
    assert runs(capture)[0].parameters["iterations"] == 5000


@pytest.mark.parametrize("body, loc", [
    ({"quality": "ultra"}, ["body", "quality"]),
    ({"quality": "custom"}, ["body", "iterations"]),
    ({"iterations": 10}, ["body", "iterations"]),
    ({"iterations": "5000"}, ["body", "iterations"]),
])
def test_a_run_of_the_wrong_shape_is_422(api, user, auth, body, loc):
    capture = failed(user)
    response = api.post(f"/api/v1/captures/{capture.eid}/runs", body, format="json", **auth)
    assert response.status_code == 422, response.json()
    assert response.json()["detail"][0]["loc"] == loc
    assert len(runs(capture)) == 1


def test_an_unknown_method_is_400(api, user, auth):
    capture = failed(user)
    response = api.post(f"/api/v1/captures/{capture.eid}/runs", {"method": "alchemy"}, format="json", **auth)
    assert response.status_code == 400 and "alchemy" in response.json()["detail"]


def test_run_again_while_a_run_is_queued_or_running_is_409(api, user, auth):
    for capture in (processing(user, "Running"), uploaded(user, "Queued")[0]):
        response = api.post(f"/api/v1/captures/{capture.eid}/runs", {"quality": "draft"}, format="json", **auth)
        assert response.status_code == 409
        assert "queued or running" in response.json()["detail"]
        assert len(runs(capture)) == 1


def test_retry_queues_the_failed_run_again(api, user, auth):
    capture = failed(user)
    run = runs(capture)[0]
    response = api.post(f"/api/v1/captures/{capture.eid}/retry", **auth)
    assert response.status_code == 200
    assert [entry["id"] for entry in response.json()] == [str(run.pk)] and response.json()[0]["state"] == "queued"
    run.refresh_from_db()
    assert run.status == Item.Status.QUEUED and run.parameters == {"iterations": 3000}
    assert api.post(f"/api/v1/captures/{capture.eid}/retry", **auth).status_code == 409
    done = finished(user, "Done")
    response = api.post(f"/api/v1/captures/{done.eid}/retry", **auth)
    assert response.status_code == 409 and response.json()["detail"].startswith("Only a failed or cancelled run")


def test_the_seed_routes_answer_the_newest_finished_runs_files(api, user, auth):
    capture = finished(user)
    api.post(f"/api/v1/captures/{capture.eid}/runs", {"quality": "draft"}, format="json", **auth)
    assert b"".join(api.get(f"/api/v1/captures/{capture.eid}/files/ply", **auth).streaming_content) \
        == b"ply\n" + b"x" * 2000  # the new run is queued: the finished one's files
    new = runs(capture)[0]
    Item.objects.filter(pk=new.pk).update(status=Item.Status.DONE)
    add_file(new, "ply", "splats.ply", b"ply\nnew")
    assert b"".join(api.get(f"/api/v1/captures/{capture.eid}/files/ply", **auth).streaming_content) == b"ply\nnew"
    assert api.get(f"/api/v1/captures/{capture.eid}", **auth).json()["state"] == "READY"


def test_another_accounts_capture_is_404_on_the_run_routes(api, user, other_user):
    capture = processing(user)
    stopped = failed(user, "Failed")
    intruder = bearer(other_user)
    for method, path, body in (("post", f"/api/v1/captures/{capture.eid}/cancel", None),
                               ("get", f"/api/v1/captures/{capture.eid}/runs", None),
                               ("post", f"/api/v1/captures/{stopped.eid}/runs", {"quality": "draft"}),
                               ("post", f"/api/v1/captures/{stopped.eid}/retry", None)):
        response = getattr(api, method)(path, body, format="json", **intruder)
        assert response.status_code == 404, (method, path)
        assert response.json() == {"detail": "There is no capture with this id."}
        assert getattr(api, method)(path, body, format="json").status_code == 401
    assert runs(capture)[0].status == Item.Status.PROCESSING
    assert len(runs(stopped)) == 1 and runs(stopped)[0].status == Item.Status.FAILED


def test_the_additions_are_in_the_api_schema_with_the_doors_tag(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path, method in (("/api/v1/captures/{eid}/cancel", "post"), ("/api/v1/captures/{eid}/runs", "post"),
                         ("/api/v1/captures/{eid}/runs", "get"), ("/api/v1/captures/{eid}/retry", "post")):
        assert paths[path][method]["tags"] == ["captures"], path
