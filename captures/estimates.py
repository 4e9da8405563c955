"""How long a reconstruction will take: the workers' measured speed, the estimate shown before an upload, and
what each finished run teaches.

A worker measures its speed once (`calibrate`: a few seconds of the real training code, presets.measure_speed)
when `manage.py serve` starts it or, failing that, before its first reconstruction; the row is kept per
machine, training device, thread count and rasteriser build, so a new build or another device measures
again. The estimate shown before an upload uses the latest measured worker (the reference machine's figures
until one has measured). After each run, the stages' measured times over their estimates move that worker's
corrections (halfway each run), so estimates converge on what the machine really does.
"""

import socket
import time
from dataclasses import replace

import torch
from django.conf import settings

from captures.reconstruction import presets
from captures.reconstruction.presets import Calibration, Source
from gallery.models import duration_words

from .models import WorkerSpeed

CORRECTION_RANGE = (0.25, 4.0)  # one odd run (a machine busy with something else) moves it at most this far


def rasterizer_name(kind) -> str:
    """The rasteriser training uses on this machine for `kind` ("cpu"/"cuda"): its build changes its speed."""
    if kind == "cuda":
        return f"torch-cuda {torch.version.cuda}"
    from captures.reconstruction.gaussians import native
    from captures.reconstruction.gaussians.rasterize import rasterizer_setting

    if rasterizer_setting() != "torch" and native.available():
        return native.module_name()
    return f"torch {torch.__version__}"


def _key(kind=None):
    kind = kind or presets.device_kind()
    return {"host": socket.gethostname()[:128], "device": kind, "threads": torch.get_num_threads(),
            "rasterizer": rasterizer_name(kind)[:64]}


def calibrate(force=False, say=None) -> WorkerSpeed:
    """This machine's speed, measured now unless it already is (or `force`). `say(text)` hears what happens."""
    key = _key()
    speed = None if force else WorkerSpeed.objects.filter(**key).first()
    if speed is not None:
        return speed
    if say:
        say("Measuring this machine's speed, for the time estimates of reconstructions ...")
    started = time.monotonic()
    cpu = presets.measure_speed("cpu")
    training = presets.measure_speed("cuda") if key["device"] == "cuda" else cpu
    speed, _ = WorkerSpeed.objects.update_or_create(
        **key, defaults={"training_seconds": training, "cpu_seconds": cpu, "corrections": {}, "runs": 0})
    if say:
        say(f"Measured in {time.monotonic() - started:.0f} s: the benchmark takes {cpu:.2f} s here "
            f"(the reference machine: {presets.REFERENCE.benchmark_seconds:.2f} s).")
    return speed


def chosen_preset(parameters, kind=None) -> presets.Preset:
    """The preset a reconstruction's parameters ask for ("preset", "iterations"; items queued before the
    parameters were named alike said "total_iterations"), else the installation's default."""
    iterations = parameters.get("iterations") or parameters.get("total_iterations") or \
        settings.RECONSTRUCTION_DEFAULT_ITERATIONS
    chosen = presets.preset(parameters.get("preset") or settings.RECONSTRUCTION_PRESET, kind or presets.device_kind(),
                            iterations=int(iterations) if iterations else None)
    return with_overrides(chosen)


def with_overrides(preset: presets.Preset) -> presets.Preset:
    """`preset` with what the installation's settings replace for every run (ATLAS_TRAIN_SIZE, ...)."""
    return replace(preset, train_size=settings.RECONSTRUCTION_TRAIN_SIZE or preset.train_size,
                   max_gaussians=settings.RECONSTRUCTION_MAX_GAUSSIANS or preset.max_gaussians,
                   frame_count=settings.RECONSTRUCTION_FRAME_COUNT or preset.frame_count)


def source_of(capture) -> Source:
    """What the estimate knows of a capture's input: a video's size, or how many photos."""
    info = capture.media_info or {}
    if capture.input_data_format == capture.Format.VIDEO:
        return Source("video", info.get("width"), info.get("height"))
    return Source("photos", photos=info.get("image_count"))


def stage_seconds(preset, source, speed: WorkerSpeed | None) -> dict:
    """Expected seconds per stage of a run, on the worker `speed` describes (the reference machine if None)."""
    return presets.stage_seconds(preset, source, speed.calibration() if speed else current_calibration())


def current_calibration() -> Calibration:
    """The speed an estimate assumes: the latest measured worker's, else the reference machine's."""
    speed = WorkerSpeed.objects.first()
    return speed.calibration() if speed else Calibration()


def estimates(source: Source, kind=None) -> list[dict]:
    """Each preset of the workers' device with its expected seconds on `source`: what the upload form shows."""
    kind = kind or workers_kind()
    calibration = current_calibration()
    rows = []
    for preset in map(with_overrides, presets.PRESETS[kind]):
        seconds = round(presets.expected_seconds(preset, source, calibration))
        rows.append({"name": preset.name, "label": preset.label, "summary": preset.summary,
                     "iterations": preset.iterations, "train_size": preset.train_size, "seconds": seconds,
                     "words": duration_words(seconds), "measured": calibration.measured})
    return rows


def workers_kind():
    """The training device of the latest measured worker ("cpu"/"cuda"), else this machine's."""
    speed = WorkerSpeed.objects.first()
    return speed.device if speed else presets.device_kind()


def learn(speed: WorkerSpeed, expected: dict, took: dict) -> WorkerSpeed:
    """Move `speed`'s corrections towards what a finished run measured: for each stage with both an estimate
    (`expected`, seconds, as made with the corrections then in force) and a measured time (`took`)."""
    corrections = dict(speed.corrections)
    low, high = CORRECTION_RANGE
    for stage, seconds in expected.items():
        measured = took.get(stage)
        if not measured or not seconds or seconds <= 0:
            continue
        current = float(corrections.get(stage, 1.0))
        ratio = min(max(float(measured) / float(seconds), low), high)
        corrections[stage] = round(min(max(current * ratio ** 0.5, low), high), 4)
    speed.corrections = corrections
    speed.runs += 1
    speed.save(update_fields=["corrections", "runs", "updated_at"])
    return speed
