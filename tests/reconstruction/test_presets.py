"""Quality presets and the time model: what each preset chooses, and how the estimate scales with the input
and the machine."""

import pytest

from captures.reconstruction import presets
from captures.reconstruction.presets import Calibration, Source


def test_each_device_has_draft_standard_and_high_in_rising_cost():
    for kind in ("cpu", "cuda"):
        chosen = presets.PRESETS[kind]
        assert [p.name for p in chosen] == ["draft", "standard", "high"]
        for cheaper, dearer in zip(chosen, chosen[1:], strict=False):
            assert cheaper.iterations < dearer.iterations and cheaper.train_size < dearer.train_size
            assert cheaper.max_gaussians < dearer.max_gaussians
    assert presets.preset("high", "cuda").iterations == 30_000  # the reference's run, where a GPU has time for it


def test_a_preset_is_chosen_by_name_and_iterations_make_it_custom():
    standard = presets.preset("standard", "cpu")
    assert presets.preset(None, "cpu") == standard == presets.preset("custom", "cpu")
    assert presets.preset("standard", "cpu", iterations=standard.iterations) == standard
    custom = presets.preset("draft", "cpu", iterations=250)
    draft = presets.preset("draft", "cpu")
    assert custom.name == "custom" and custom.iterations == 250 and custom.label == "Custom"
    assert custom.summary == "250 iterations at Draft's size"
    assert (custom.train_size, custom.max_gaussians, custom.frame_count) == (
        draft.train_size, draft.max_gaussians, draft.frame_count)
    with pytest.raises(ValueError, match="Unknown quality preset 'ultra'; choose from draft, standard, high, custom"):
        presets.preset("ultra", "cpu")


def test_training_pixels_follow_the_input_never_enlarged():
    assert Source("video", 136, 240).training_pixels(480) == 136 * 240  # smaller than the preset: as it is
    assert Source("video", 1920, 1080).training_pixels(480) == 480 * 270
    assert Source("video").training_pixels(480) == 480 * 270  # unknown: taken as a large 16:9 video
    assert Source("photos", photos=40).frames(presets.preset("standard", "cpu")) == 40
    assert Source("photos").frames(presets.preset("standard", "cpu")) == 100


def test_the_estimate_scales_with_the_machine_the_input_and_the_corrections():
    standard = presets.preset("standard", "cpu")
    video = Source("video", 1920, 1080)
    here = presets.stage_seconds(standard, video)
    assert set(here) == {"frames", "poses", "training", "export"} and all(s > 0 for s in here.values())

    reference = presets.REFERENCE.benchmark_seconds
    slower = presets.stage_seconds(standard, video, Calibration(training_seconds=2 * reference, cpu_seconds=reference))
    assert slower["training"] == pytest.approx(2 * here["training"])  # only training runs on the training device
    assert slower["poses"] == pytest.approx(here["poses"])

    corrected = presets.stage_seconds(standard, video, Calibration(corrections={"poses": 1.5}))
    assert corrected["poses"] == pytest.approx(1.5 * here["poses"]) and corrected["training"] == here["training"]

    small = presets.stage_seconds(standard, Source("video", 136, 240))
    assert small["training"] < here["training"] and small["poses"] == pytest.approx(here["poses"])
    longer = presets.preset("standard", "cpu", iterations=2 * standard.iterations)
    assert presets.stage_seconds(longer, video)["training"] == pytest.approx(2 * here["training"])


def test_the_speed_benchmark_runs_the_real_training_code():
    seconds = presets.measure_speed(repeats=1)
    assert 0 < seconds < 120
