"""The queue in Django admin: items with their progress, queue position and workers; retry and cancel."""

import re
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from gallery.models import Item

from ..factories import UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/gallery/item/"


@pytest.fixture
def admin(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def item(owner, name, status, *, pipeline="gaussian-splatting", minutes_ago=0, **fields):
    return Item.objects.create(owner=owner, name=name, pipeline=pipeline, status=status,
                               queued_at=timezone.now() - timedelta(minutes=minutes_ago), **fields)


@pytest.fixture
def now(monkeypatch):
    """The clock stands still: the percentages and times below are read at the moment the items were made,
    however long a loaded machine takes between making them and asking for the page."""
    moment = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: moment)
    return moment


@pytest.fixture
def queue(user, now):
    """Items named "<key> item": two running (one whose worker went silent), two queued, three finished."""
    S = Item.Status
    return {
        "running": item(user, "running item", S.PROCESSING, minutes_ago=30, stage="training",
                        overall_position=4, overall_size=5, current_position=50, current_size=100,
                        worker="gpu-1:4242", started_at=now, heartbeat_at=now - timedelta(seconds=12), attempts=1,
                        stage_started_at=now - timedelta(seconds=100),
                        timings={"assemble": {"took": 1}, "frames": {"took": 5}, "poses": {"took": 54},
                                 "training": {"expected": 200}}),
        "silent": item(user, "silent item", S.PROCESSING, pipeline="preview", minutes_ago=25, stage="probe",
                       overall_position=1, overall_size=3, worker="cpu-7:99", heartbeat_at=now - timedelta(minutes=9)),
        "first": item(user, "first item", S.QUEUED, minutes_ago=20, overall_size=5),
        "second": item(user, "second item", S.QUEUED, minutes_ago=10, overall_size=5),
        "failed": item(user, "failed item", S.FAILED, minutes_ago=40, overall_size=5,
                       failure_reason="Fewer than 3 views could be placed in 3D; film more slowly."),
        "done": item(user, "done item", S.DONE, minutes_ago=50, overall_size=5, overall_position=5),
        "cancelled": item(user, "cancelled item", S.CANCELLED, pipeline="preview", minutes_ago=60,
                          failure_reason="Cancelled."),
    }


def row(page, name):
    """The changelist row of the item called `name`."""
    start = page.index(f">{name}</a>")
    return page[page.rindex("<tr", 0, start):page.index("</tr>", start)]


def test_the_queue_shows_status_progress_position_workers_and_failures(admin, queue, user):
    response = admin.get(CHANGELIST)
    assert response.status_code == 200
    page = response.content.decode()
    assert "css/admin-queue.css" in page

    running = row(page, "running item")
    assert 'class="queue-status queue-status-processing"' in running
    # Half way through training, the fourth of five stages: 60 s of stages done, 100 s of training's 200 s, and
    # export expected to take 0.15 / 0.85 of those 260 s (46 s): 160 s of 306 s, 52%, about 2 min left.
    assert '<progress max="100" value="52"></progress> 52%' in running
    assert '<small class="queue-progress-detail">iteration 50 of 100, about 2 min left</small>' in running
    assert "stage 4 of 5, 50/100" in running and "Training the Gaussian splats" in running
    assert "running" in running and "gpu-1:4242" in running
    assert re.search(r"<small class=\"queue-muted\">1\d s ago</small>", running)  # beat 12 s before the request
    assert user.email in running

    silent = row(page, "silent item")
    assert "silent for 9" in silent and "will be recovered" in silent

    assert '<td class="field-queue_place">next</td>' in row(page, "first item")  # queued before the second
    assert '<td class="field-queue_place">1 ahead</td>' in row(page, "second item")
    assert Item.objects.get(pk=queue["second"].pk).queue_position == 1

    failed = row(page, "failed item")
    assert "queue-status-failed" in failed and "Fewer than 3 views could be placed in 3D" in failed
    assert '<progress max="100" value="100"></progress> 100%' in row(page, "done item")


def test_the_queue_filters_by_status_and_pipeline(admin, queue):
    page = admin.get(CHANGELIST, {"status__exact": "queued"}).content.decode()
    assert page.count('class="queue-status queue-status-queued"') == 2 and "queue-status-failed" not in page

    page = admin.get(CHANGELIST, {"pipeline": "preview"}).content.decode()
    assert ">silent item</a>" in page and ">cancelled item</a>" in page
    assert ">running item</a>" not in page and ">failed item</a>" not in page


def test_queue_positions_sort_without_a_query_per_row(admin, queue, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):  # the same 7 or 8 queries however many items are queued
        response = admin.get(CHANGELIST, {"o": "7"})  # column 7: queue position, ascending
    page = response.content.decode()
    order = sorted(queue, key=lambda name: page.index(f">{name} item</a>"))
    assert set(order[:3]) == {"done", "failed", "cancelled"}  # -1: not queued
    assert set(order[3:6]) == {"running", "silent", "first"} and order[6] == "second"  # 0, 0, 0, then 1


def post_action(admin, action, items):
    response = admin.post(CHANGELIST, {"action": action, "_selected_action": [str(i.pk) for i in items]})
    assert response.status_code == 302
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_retry_queues_failed_and_cancelled_items_again_and_says_why_others_were_skipped(admin, queue):
    chosen = [queue["failed"], queue["cancelled"], queue["done"], queue["running"]]
    messages = post_action(admin, "retry", chosen)
    assert messages == ["2 item(s) queued again.",
                        "2 skipped (1 done, 1 processing): only failed or cancelled items can be retried."]
    failed, cancelled = (Item.objects.get(pk=queue[name].pk) for name in ("failed", "cancelled"))
    assert failed.status == cancelled.status == Item.Status.QUEUED
    assert failed.failure_reason == "" and failed.queue_position >= 0
    assert Item.objects.get(pk=queue["done"].pk).status == Item.Status.DONE
    assert Item.objects.get(pk=queue["running"].pk).status == Item.Status.PROCESSING


def test_cancel_stops_queued_and_processing_items_only(admin, queue):
    messages = post_action(admin, "cancel", [queue["first"], queue["running"], queue["done"], queue["failed"]])
    assert messages == ["2 item(s) cancelled.",
                        "2 skipped (1 done, 1 failed): only queued or processing items can be cancelled."]
    for name in ("first", "running"):
        cancelled = Item.objects.get(pk=queue[name].pk)
        assert cancelled.status == Item.Status.CANCELLED and cancelled.finished_at is not None
    assert Item.objects.get(pk=queue["failed"].pk).status == Item.Status.FAILED
    # The item that waited behind the cancelled one is next now.
    assert Item.objects.get(pk=queue["second"].pk).queue_position == 0


def test_an_action_where_nothing_applies_only_warns(admin, queue):
    messages = post_action(admin, "cancel", [queue["done"]])
    assert messages == ["1 skipped (1 done): only queued or processing items can be cancelled."]


def test_people_who_are_not_staff_cannot_open_the_queue(client, user, queue):
    client.force_login(user)
    response = client.get(CHANGELIST)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
