"""Quality presets (Draft, Standard, High) and how long a reconstruction will take on this machine.

A preset chooses what costs time: the training resolution (long side; images are never enlarged), the
training iterations, the splat budget and how many frames are taken from a video. There is one set for the
CPU and one for CUDA; "custom" (an explicit iteration count, as the seed APIs send) keeps the device's
Standard for everything else.

How long a run takes is estimated per stage from a time profile measured on the reference machine (2 CPU
cores, the native rasteriser; the chair video of ../shared/data and the lego subset), scaled by the speed of
the machine that will run it: `measure_speed` times a short training run on a scene made here, and the
ratio of its time to the reference's scales the training stage (on the training device) and the CPU
stages. The worker's own finished runs then correct it (`Calibration.corrections`).
"""

import time
from dataclasses import dataclass, field, replace

import numpy as np
import torch

DEFAULT = "standard"
CUSTOM = "custom"


@dataclass(frozen=True)
class Preset:
    name: str
    label: str
    summary: str  # one line for people: what it is for
    iterations: int
    train_size: int  # longest side of the training images, in pixels
    max_gaussians: int
    frame_count: int  # frames taken from a video

    def custom(self, iterations):
        """This preset with another iteration count: "custom"."""
        return replace(self, name=CUSTOM, label="Custom",
                       summary=f"{iterations:,} iterations at {self.label}'s size", iterations=iterations)


PRESETS = {
    "cpu": (
        # Fewer frames than 100 cost structure-from-motion more than they save: 60 of the chair video's placed
        # 44 (two disconnected models) where 100 place 98.
        Preset("draft", "Draft", "A quick look: is the capture good enough?", iterations=1000, train_size=320,
               max_gaussians=50_000, frame_count=100),
        Preset("standard", "Standard", "A sharp model for sharing.", iterations=2000, train_size=480,
               max_gaussians=60_000, frame_count=100),
        Preset("high", "High", "The most detail this machine gives in reasonable time.", iterations=5000,
               train_size=640, max_gaussians=150_000, frame_count=150),
    ),
    "cuda": (
        Preset("draft", "Draft", "A quick look: is the capture good enough?", iterations=3000, train_size=800,
               max_gaussians=300_000, frame_count=100),
        Preset("standard", "Standard", "A sharp model for sharing.", iterations=7000, train_size=1280,
               max_gaussians=1_000_000, frame_count=150),
        Preset("high", "High", "Full detail, the reference's 30,000 iterations.", iterations=30_000,
               train_size=1600, max_gaussians=3_000_000, frame_count=200),
    ),
}
NAMES = tuple(preset.name for preset in PRESETS["cpu"])


def device_kind(device=None) -> str:
    """"cuda" when training will run on CUDA (the given device, or the one `train` would pick), else "cpu"."""
    if device is not None:
        return "cuda" if torch.device(device).type == "cuda" else "cpu"
    return "cuda" if torch.cuda.is_available() else "cpu"


def preset(name=DEFAULT, kind="cpu", iterations=None) -> Preset:
    """The named preset for a device kind ("custom" or None: Standard); with `iterations`, that preset with
    this iteration count instead of its own ("custom")."""
    by_name = {p.name: p for p in PRESETS[kind]}
    if name not in (None, CUSTOM, *by_name):
        raise ValueError(f"Unknown quality preset {name!r}; choose from {', '.join([*NAMES, CUSTOM])}.")
    chosen = by_name[DEFAULT if name in (None, CUSTOM) else name]
    return chosen.custom(int(iterations)) if iterations and int(iterations) != chosen.iterations else chosen


# --- time ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Source:
    """What is known of an input before its run: a video's frame size, or a photo set's size and count.
    Unknown sizes are taken as large (the preset's training size); an unknown photo count as the preset's
    frame count."""

    kind: str = "video"  # "video" or "photos"
    width: int | None = None
    height: int | None = None
    photos: int | None = None

    def training_pixels(self, train_size):
        """Pixels of one training image at `train_size` (long side, never enlarged)."""
        if not self.width or not self.height:
            return train_size * train_size * 9 // 16
        scale = min(1.0, train_size / max(self.width, self.height))
        return round(self.width * scale) * round(self.height * scale)

    def frames(self, preset):
        return self.photos if self.kind == "photos" and self.photos else preset.frame_count


@dataclass(frozen=True)
class Profile:
    """Seconds per stage on the reference machine, as functions of the work (see `stage_seconds`)."""

    benchmark_seconds: float  # measure_speed() there
    frames_per_frame: float  # picking the sharpest frames, per frame kept
    poses_per_frame: float  # structure-from-motion, per frame
    iteration_base: float  # training: seconds per iteration = base + per_megapixel * training megapixels
    iteration_per_megapixel: float  # + per_100k_splats * the preset's splat budget / 100,000 (densification
    iteration_per_100k_splats: float  # grows most captures to near it)
    export_base: float  # writing the files and the orbit video: base + per_100k_splats * the splat budget / 100,000
    export_per_100k_splats: float
    export_per_megapixel: float  # + this * training megapixels: the 90-frame orbit video is rendered at that size
    preview: float  # the capture's preview (thumbnail and animation), which runs before the reconstruction


# Measured on the reference machine (see the README's presets table; bench/presets.py measures it again).
# The chair video (240x136 frames, 100 of them) through the captures door, per preset: frames 2.4-3.7 s, poses
# 33 s, training 0.103 s an iteration at 50,000 splats and 0.138 s at 100,000, export 10.4 s and 13.0 s, preview
# 5 s; lego at 480 px for the per-megapixel terms. measure_speed(): 3.44 s.
REFERENCE = Profile(benchmark_seconds=3.44, frames_per_frame=0.034, poses_per_frame=0.33, iteration_base=0.065,
                    iteration_per_megapixel=0.1, iteration_per_100k_splats=0.07, export_base=7.8,
                    export_per_100k_splats=5.2, export_per_megapixel=20.0, preview=5.0)


@dataclass
class Calibration:
    """A worker's measured speed: `measure_speed` seconds on its training device and on its CPU, and
    per-stage corrections (measured / estimated) learnt from its finished runs."""

    training_seconds: float = REFERENCE.benchmark_seconds
    cpu_seconds: float = REFERENCE.benchmark_seconds
    corrections: dict = field(default_factory=dict)
    measured: bool = False  # False: the reference machine's figures, nothing measured here yet


def stage_seconds(preset: Preset, source: Source, calibration: Calibration | None = None,
                  profile: Profile = REFERENCE) -> dict:
    """Expected seconds of each stage ("frames", "poses", "training", "export") of a run of `preset` on
    `source`, on the machine `calibration` describes."""
    calibration = calibration or Calibration()
    megapixels = source.training_pixels(preset.train_size) / 1e6
    frames = source.frames(preset)
    cpu = calibration.cpu_seconds / profile.benchmark_seconds
    device = calibration.training_seconds / profile.benchmark_seconds
    seconds = {
        "frames": cpu * profile.frames_per_frame * frames,
        "poses": cpu * profile.poses_per_frame * frames,
        "training": device * preset.iterations * (profile.iteration_base + profile.iteration_per_megapixel * megapixels
                                                  + profile.iteration_per_100k_splats * preset.max_gaussians / 1e5),
        "export": cpu * (profile.export_base + profile.export_per_100k_splats * preset.max_gaussians / 1e5
                         + profile.export_per_megapixel * megapixels),
    }
    return {stage: value * float(calibration.corrections.get(stage, 1.0)) for stage, value in seconds.items()}


def expected_seconds(preset, source, calibration=None, profile=REFERENCE) -> float:
    """Seconds from a finished upload to the finished model: the capture's preview, then every stage."""
    cpu = (calibration or Calibration()).cpu_seconds / profile.benchmark_seconds
    return cpu * profile.preview + sum(stage_seconds(preset, source, calibration, profile).values())


# --- measuring a machine ----------------------------------------------------------------------------------------

BENCHMARK_SIZE = (240, 180)
BENCHMARK_SPLATS = 20_000
BENCHMARK_ITERATIONS = 40


def measure_speed(device=None, repeats=2) -> float:
    """Seconds for a short training run (BENCHMARK_ITERATIONS steps of the real training code, 20,000 splats,
    240x180 views of a textured ball made here) on `device` (None: the CPU), the best of `repeats`."""
    from .gaussians import train
    from .scene import Camera, Scene

    width, height = BENCHMARK_SIZE
    generator = np.random.default_rng(0)
    directions = generator.normal(size=(BENCHMARK_SPLATS, 3))
    points = directions / np.linalg.norm(directions, axis=1, keepdims=True) * generator.uniform(0.5, 1.0, (
        BENCHMARK_SPLATS, 1))
    colors = 0.5 + 0.5 * np.sin(4 * points)
    cameras = []
    for i, angle in enumerate(np.linspace(0, 2 * np.pi, 8, endpoint=False)):
        eye = np.array([3 * np.cos(angle), 0.6, 3 * np.sin(angle)])
        forward = -eye / np.linalg.norm(eye)
        right = np.cross(forward, [0.0, -1.0, 0.0])
        right /= np.linalg.norm(right)
        down = np.cross(forward, right)
        camera_to_world = np.eye(4)
        camera_to_world[:3, :3] = np.stack([right, down, forward], axis=1)
        camera_to_world[:3, 3] = eye
        cameras.append(Camera(f"view-{i}", width, height, 200.0, 200.0, width / 2, height / 2,
                              np.linalg.inv(camera_to_world)))
    scene = Scene(cameras, points, colors)
    targets = [np.clip(0.5 + 0.4 * np.sin(np.add.outer(np.arange(height) / 9.0, np.arange(width) / (7.0 + i)))
                       [..., None].repeat(3, 2), 0, 1).astype(np.float32) for i in range(len(cameras))]
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        train(scene, targets, iterations=BENCHMARK_ITERATIONS, device=device or "cpu", max_gaussians=BENCHMARK_SPLATS)
        best = min(best, time.perf_counter() - started)
    return best
