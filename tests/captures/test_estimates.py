"""A worker's measured speed and what its runs teach: the time shown before an upload."""

import pytest

from captures import estimates
from captures.models import WorkerSpeed
from captures.reconstruction import presets
from captures.reconstruction.presets import Source

pytestmark = pytest.mark.django_db


@pytest.fixture
def measured(monkeypatch):
    """measure_speed as a machine twice as slow as the reference would answer it (the real benchmark is
    tested in tests/reconstruction/test_presets.py)."""
    calls = []

    def measure(device=None, repeats=2):
        calls.append(device)
        return 2 * presets.REFERENCE.benchmark_seconds

    monkeypatch.setattr(presets, "measure_speed", measure)
    return calls


def test_a_machine_measures_its_speed_once_per_setup(measured):
    said = []
    speed = estimates.calibrate(say=said.append)
    assert measured == ["cpu"]
    assert speed.training_seconds == speed.cpu_seconds == 2 * presets.REFERENCE.benchmark_seconds
    assert said[0] == "Measuring this machine's speed, for the time estimates of reconstructions ..."
    assert estimates.calibrate() == speed and measured == ["cpu"]  # kept: not measured again
    assert estimates.calibrate(force=True).pk == speed.pk and measured == ["cpu", "cpu"]
    WorkerSpeed.objects.update(rasterizer="an older build")  # a new rasteriser build measures again
    assert estimates.calibrate().rasterizer == estimates.rasterizer_name("cpu") and WorkerSpeed.objects.count() == 2


def test_estimates_use_the_measured_speed_else_the_reference_machine(measured):
    video = Source("video", 1920, 1080)
    before = estimates.estimates(video, "cpu")
    assert [row["name"] for row in before] == ["draft", "standard", "high"] and not before[0]["measured"]
    assert before[1]["seconds"] == round(presets.expected_seconds(presets.preset("standard", "cpu"), video))
    estimates.calibrate()
    after = estimates.estimates(video, "cpu")
    assert after[0]["measured"]
    for slow, fast in zip(after, before, strict=True):
        assert slow["seconds"] == pytest.approx(2 * fast["seconds"], abs=1)
        assert slow["words"].startswith("about ")


def test_a_finished_run_moves_the_corrections_halfway_and_one_odd_run_only_so_far(measured):
    speed = estimates.calibrate()
    estimates.learn(speed, {"poses": 100.0, "training": 200.0, "export": 0.0}, {"poses": 400.0, "training": 50.0})
    speed.refresh_from_db()
    assert speed.corrections == {"poses": 2.0, "training": 0.5} and speed.runs == 1  # sqrt of 4 and of 1/4
    estimates.learn(speed, {"poses": 200.0}, {"poses": 200.0 * 100})  # a machine busy with something else
    speed.refresh_from_db()
    assert speed.corrections["poses"] == 4.0  # clamped to CORRECTION_RANGE
    chosen = presets.preset("standard", "cpu")
    plain = presets.stage_seconds(chosen, Source(), speed.calibration().__class__(
        training_seconds=speed.training_seconds, cpu_seconds=speed.cpu_seconds))
    assert estimates.stage_seconds(chosen, Source(), speed)["poses"] == pytest.approx(4 * plain["poses"])
