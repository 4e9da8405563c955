"""Progress that tracks time: stages weighted by their expected share of the run, then measured durations and
rates giving the time left (Item.progress), as the runner records them (gallery.tasks.Progress)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from gallery import pipelines
from gallery.models import Item, Progress, combined, time_left_words
from gallery.tasks import Progress as Reporter
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

STAND_IN = {"label": "Test stand-in", "method": "A stand-in for tests.", "timeout": 60}
WEIGHTED = "test-progress-weighted"
EQUAL = "test-progress-equal"


@pytest.fixture(autouse=True)
def registered():
    pipelines.register(WEIGHTED, **STAND_IN, stages=[("frames", "Frames", 0.1), ("poses", "Poses", 0.1),
                                                     ("training", "Training", 0.7, "iteration"),
                                                     ("export", "Export", 0.1)])(lambda item, job: [])
    pipelines.register(EQUAL, **STAND_IN, stages=("read", "write", "check"))(lambda item, job: [])
    yield
    pipelines.unregister(WEIGHTED)
    pipelines.unregister(EQUAL)


NOW = timezone.now()


def item(pipeline=WEIGHTED, status=Item.Status.PROCESSING, **fields):
    size = len(pipelines.get(pipeline).stages)
    return Item.objects.create(owner=UserFactory(), name="thing", pipeline=pipeline, status=status,
                               overall_size=size, started_at=NOW - timedelta(minutes=5), **fields)


def training(done, timings=None, in_stage=None, **fields):
    """An item of WEIGHTED at `done` of 1000 training iterations."""
    return item(stage="training", overall_position=3, current_position=done, current_size=1000,
                timings=timings or {}, stage_started_at=None if in_stage is None else NOW - timedelta(seconds=in_stage),
                **fields)


# --- weights ------------------------------------------------------------------------------------------------

def test_halfway_through_the_heavy_stage_reads_its_weighted_share_not_the_stage_count():
    progress = training(500).progress
    # Two 0.1 stages done and half of the 0.7 one: 0.55 (counting stages said (2 + 0.5) / 4 = 0.625).
    assert progress.overall == pytest.approx(0.55)
    assert progress.percent == 55 and progress.seconds_left is None and progress.time_left == ""
    assert (progress.overall_position, progress.overall_size) == (3, 4)  # the raw positions are unchanged
    assert progress.counter == "iteration 500 of 1,000"


def test_the_weights_are_shares_whatever_they_add_up_to():
    spec = pipelines.get(WEIGHTED)
    assert spec.weights == pytest.approx((0.1, 0.1, 0.7, 0.1))
    assert spec.stage("training").unit == "iteration" and spec.stage("frames").weight == 0.1
    pipelines.register("test-progress-sums", **STAND_IN, stages=[("a", "A", 3), ("b", "B", 1)])(lambda i, j: [])
    try:
        assert pipelines.get("test-progress-sums").weights == (0.75, 0.25)
    finally:
        pipelines.unregister("test-progress-sums")


@pytest.mark.parametrize(("position", "done", "total"), [(1, 0, 0), (1, 3, 4), (2, 1, 2), (3, 9, 10)])
def test_a_pipeline_without_weights_reads_as_the_stage_count_did(position, done, total):
    """Up to the last step: a processing item reads at most 0.99 (test_a_processing_item_never_reads_as_finished)."""
    progress = item(EQUAL, stage="x", overall_position=position, current_position=done, current_size=total).progress
    share = done / total if total else 0.0
    assert progress.overall == pytest.approx(round(((position - 1) + share) / 3, 4))
    assert progress.unit == "" and progress.counter == ""


def test_queued_done_failed_and_unknown_pipelines():
    assert item(status=Item.Status.QUEUED).progress.overall == 0
    done = item(status=Item.Status.DONE, overall_position=4, current_position=1, current_size=1).progress
    assert (done.overall, done.current, done.percent, done.seconds_left) == (1.0, 1.0, 100, 0)
    failed = training(500, status=Item.Status.FAILED).progress
    assert failed.overall == pytest.approx(0.55) and failed.seconds_left is None
    # An item whose pipeline is gone (or whose stages changed) falls back to equal shares.
    gone = Item.objects.create(owner=UserFactory(), name="old", pipeline="retired", status=Item.Status.PROCESSING,
                               overall_size=4, overall_position=3, current_position=1, current_size=2)
    assert gone.progress.overall == pytest.approx(0.625)


def test_a_processing_item_never_reads_as_finished():
    progress = item(stage="export", overall_position=4, current_position=5, current_size=5).progress
    assert progress.overall == 0.99 and progress.percent == 99


# --- time ---------------------------------------------------------------------------------------------------

def test_the_time_left_from_finished_stages_and_the_current_stages_expected_time():
    # frames took 4 s, poses 16 s; training is expected to take 200 s in all and began 50 s ago.
    timings = {"frames": {"took": 4}, "poses": {"took": 16}, "training": {"expected": 200}}
    progress = Progress.of(training(250, timings, in_stage=50), now=NOW)
    # 220 s for 0.9 of the weight: export (0.1) is expected to take about 24.4 s.
    export = 220 / 0.9 * 0.1
    assert progress.seconds_left == round(150 + export)
    assert progress.overall == pytest.approx(round((20 + 50) / (220 + export), 4))
    assert progress.time_left == "about 3 min left"
    # The clock runs on between reports: 60 s later there is a minute less to go.
    later = Progress.of(training(250, timings, in_stage=50), now=NOW + timedelta(seconds=60))
    assert later.seconds_left == progress.seconds_left - 60 and later.overall > progress.overall


def test_no_time_left_before_half_of_the_run_has_a_duration():
    timings = {"frames": {"took": 4}, "poses": {"took": 16}}  # 0.2 of the weight known: too little to scale from
    progress = Progress.of(training(30, timings, in_stage=5), now=NOW)
    assert progress.seconds_left is None and progress.overall == pytest.approx(0.2 + 0.7 * 0.03)


def test_a_stage_the_run_skipped_counts_for_no_time():
    # poses never reported (a posed dataset): it is done, and takes no share of the time.
    timings = {"frames": {"took": 10}, "training": {"expected": 80}}
    progress = Progress.of(training(500, timings, in_stage=40), now=NOW)
    export = 90 / 0.8 * 0.1
    assert progress.seconds_left == round(40 + export)
    assert progress.overall == pytest.approx(round(50 / (90 + export), 4))


def test_a_stage_longer_than_expected_has_nothing_left_until_it_is_measured_again():
    timings = {"frames": {"took": 5}, "poses": {"took": 5}, "training": {"expected": 100}}
    progress = Progress.of(training(900, timings, in_stage=150), now=NOW)
    assert progress.seconds_left == round(110 / 0.9 * 0.1)  # only export's expected time
    assert progress.overall < 1


def test_a_stage_expected_ahead_of_time_counts_for_its_seconds():
    timings = {"frames": {"took": 5}, "poses": {"took": 5}, "training": {"expected": 90}, "export": {"expected": 60}}
    progress = Progress.of(training(0, timings, in_stage=0), now=NOW)
    assert progress.seconds_left == 150 and progress.overall == pytest.approx(round(10 / 160, 4))


@pytest.mark.parametrize(("seconds", "words"), [
    (None, ""), (0, "less than a minute left"), (59, "less than a minute left"), (60, "about 1 min left"),
    (170, "about 3 min left"), (3600, "about 1 h left"), (4800, "about 1 h 20 min left")])
def test_the_time_left_in_words(seconds, words):
    assert time_left_words(seconds) == words


def test_several_items_on_one_bar_count_for_their_time():
    pipelines.register("test-progress-quick", **STAND_IN, stages=("look",), expected_seconds=10)(lambda i, j: [])
    try:
        quick = item("test-progress-quick", status=Item.Status.DONE, overall_position=1, finished_at=NOW)
        Item.objects.filter(pk=quick.pk).update(started_at=NOW - timedelta(seconds=10))
        quick.refresh_from_db()
        timings = {"frames": {"took": 4}, "poses": {"took": 16}, "training": {"expected": 200}}
        long = training(250, timings, in_stage=50)
        Item.objects.filter(pk=long.pk).update(started_at=NOW - timedelta(seconds=70))
        long.refresh_from_db()
        overall, left = combined([quick, long], now=NOW)
        own = Progress.of(long, now=NOW)
        expected_seconds = 70 + own.seconds_left
        assert overall == pytest.approx((1.0 * 10 + own.overall * expected_seconds) / (10 + expected_seconds), abs=1e-4)
        assert left == own.seconds_left
        # While the long one waits in the queue, the bar is the quick one's share and the time left unknown.
        waiting = item(status=Item.Status.QUEUED)
        overall, left = combined([quick, waiting], now=NOW)
        assert overall == pytest.approx(10 / (10 + pipelines.get(WEIGHTED).expected_seconds), abs=1e-4) and left is None
    finally:
        pipelines.unregister("test-progress-quick")


# --- what the runner records --------------------------------------------------------------------------------

class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def reporter(pipeline=WEIGHTED):
    running = item(pipeline, stage="starting")
    clock = Clock()
    return running, Reporter(running, min_interval=0, clock=clock), clock


def test_the_runner_records_what_stages_took_and_what_the_current_one_should_take():
    running, report, clock = reporter()
    report.report("frames", 0, 4)
    clock.now += 4
    report.report("frames", 4, 4)
    clock.now += 1
    report.report("training", 0, 1000)  # frames took 5 s; poses was skipped
    clock.now += 20  # a slow start (data onto the GPU, the first steps) ...
    report.report("training", 10, 1000)
    clock.now += 5  # ... then 0.5 s a step
    report.report("training", 20, 1000)
    running.refresh_from_db()
    assert running.timings == {"frames": {"took": 5.0}, "training": {"expected": 25 + 0.5 * 980}}
    assert running.stage_started_at is not None and (running.current_position, running.overall_position) == (20, 3)
    clock.now += 50
    report.report("training", 120, 1000)
    running.refresh_from_db()
    assert running.timings["training"] == {"expected": 75 + 0.5 * 880}


def test_a_pipelines_expectation_stands_until_the_stage_is_measured():
    running, report, clock = reporter()
    report.report("training", 0, 100)
    report.expect("training", 300)
    report.expect("export", 40)
    running.refresh_from_db()
    assert running.timings == {"training": {"expected": 300.0}, "export": {"expected": 40.0}}
    clock.now += 2
    report.report("training", 1, 100)
    clock.now += 2
    report.report("training", 2, 100)
    running.refresh_from_db()
    assert running.timings["training"] == {"expected": 4 + 2 * 98} and running.timings["export"] == {"expected": 40.0}


def test_a_new_total_starts_the_rate_again():
    running, report, clock = reporter()
    report.report("poses", 5, 10)
    clock.now += 10
    report.report("poses", 6, 20)  # the stage found it had more to do: no rate from one step across totals
    running.refresh_from_db()
    assert "expected" not in running.timings.get("poses", {})
    clock.now += 1
    report.report("poses", 7, 20)
    running.refresh_from_db()
    assert running.timings["poses"] == {"expected": 11 + 13}


@pytest.mark.django_db(transaction=True)
def test_a_run_hands_its_pipeline_expect_and_keeps_the_timings():
    from gallery.tasks import run_item

    def run(item, job):
        job.report("read", 1, 1)
        job.expect("check", 12)
        job.report("write", 1, 1)
        return []

    pipelines.register("test-progress-expects", **STAND_IN, stages=("read", "write", "check"))(run)
    try:
        queued = item("test-progress-expects", status=Item.Status.QUEUED)
        assert run_item(str(queued.pk)) == "done"
        queued.refresh_from_db()
        assert queued.timings["check"] == {"expected": 12.0} and "took" in queued.timings["read"]
        assert queued.progress.overall == 1.0
    finally:
        pipelines.unregister("test-progress-expects")
    # A Job made elsewhere (the reconstruct command, tests) may be told nothing: expect does nothing there.
    pipelines.Job(work_dir=None, report=lambda *a: None).expect("anything", 5)
