"""From a video, a set of photos or a posed dataset to Gaussian splats and everything shown with them.

Stages, reported as report(stage, done, total): "frames" (sharpest frames / prepared photos),
"poses" (structure-from-motion; skipped for datasets that come with poses, and for a phone's capture
whose poses agree with its photos: phone_poses.py), "training" (3D Gaussian splatting, i of N
iterations) and "export" (files: the .ply, .splat, SOGS zip and .ksplat at each compression level, point cloud,
orbit video, thumbnail, cameras). Runs the same on the CPU and on CUDA; CUDA is
only touched once training starts, never at import.
"""

import json
import math
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from media.video import write_video

from . import presets, splat_io
from .datasets import load_image_set, load_llff, load_nerf_synthetic
from .errors import ReconstructionError
from .formats.ksplat import write_ksplat
from .formats.sog import write_sog
from .frames import HD_LONG_SIDE, extract_frames, prepare_images
from .gaussians import orbit_cameras, render, render_image, train
from .phone_poses import PoseSource, load_phone_capture
from .presets import Preset
from .scene import Scene
from .sfm import run_sfm

VIDEO_SUFFIXES = {".mp4", ".mov", ".m4v"}
# Posed datasets have no point cloud: training starts from this many random points.
STARTING_POINTS = 20_000
ORBIT_FRAMES = 90
SNAPSHOT_ORBIT_FRAMES = 36


@dataclass
class Reconstruction:
    """What `reconstruct` made, file paths under its output folder, plus what it measured."""

    ply: Path
    splat: Path
    point_cloud: Path
    video: Path
    thumbnail: Path
    cameras: Path
    sog: Path | None = None  # the SOGS zip (formats/sog.py)
    ksplats: dict = field(default_factory=dict)  # compression level (0, 1, 2) -> .ksplat (formats/ksplat.py)
    snapshots: dict = field(default_factory=dict)  # iteration -> {"splat_cloud": Path, ...}
    frames: int = 0
    registered: int = 0
    num_gaussians: int = 0
    max_gaussians: int = 0
    cap_hit: bool = False
    seconds: dict = field(default_factory=dict)  # stage -> seconds
    device: str = "cpu"
    poses: PoseSource = field(default_factory=lambda: PoseSource("structure-from-motion"))
    preset: str = presets.DEFAULT
    iterations: int = 0
    train_size: int = 0
    held_out: dict = field(default_factory=dict)  # camera name -> PSNR (dB) of the views kept out of training


def _nothing(stage, done, total):
    pass


def load_source(source, work_dir, *, frame_count=100, frame_size=HD_LONG_SIDE, train_size=None, report=_nothing):
    """Cameras and training images for `source`: a video, a folder of photos, a zip of a phone's capture
    (commonformat-ios: photos, with the phone's camera poses when it has a transforms.json), or a posed
    dataset (NeRF-synthetic `transforms_train.json`, LLFF `poses_bounds.npy`). Returns (scene, images,
    frame count, PoseSource: where the poses came from and why)."""
    source, work_dir = Path(source), Path(work_dir)
    if source.is_dir() and (source / "transforms_train.json").exists():
        scene, images = load_nerf_synthetic(source, size=train_size, num_points=STARTING_POINTS)
        return scene, images, len(images), PoseSource("dataset")
    if source.is_dir() and (source / "poses_bounds.npy").exists():
        scene, images, _ = load_llff(source, size=train_size, num_points=STARTING_POINTS)
        return scene, images, len(images), PoseSource("dataset")
    frames_dir = work_dir / "frames"
    poses = PoseSource("structure-from-motion")
    if source.is_file() and source.suffix.lower() in VIDEO_SUFFIXES:
        frames = extract_frames(source, frames_dir, target_count=frame_count, max_size=frame_size, report=report)
        kind = "video"
    else:
        if source.is_file() and source.suffix.lower() == ".zip":
            phone = load_phone_capture(source, work_dir / "phone", frame_size=frame_size, train_size=train_size,
                                       report=report)
            if phone.scene is not None:
                return phone.scene, phone.images, len(phone.images), phone.poses
            source, poses = phone.photos, phone.poses
        frames = prepare_images(source, frames_dir, max_size=frame_size, report=report)
        kind = "photos"
    try:
        scene = run_sfm(frames_dir, work_dir / "sfm", kind=kind, report=report)
    except ReconstructionError as exc:
        if not poses.note:
            raise
        raise ReconstructionError(f"{poses.note} {exc.message}") from exc
    images = load_image_set([camera.image_path for camera in scene.cameras], size=train_size)
    scene.cameras = [camera.scaled(image.shape[1], image.shape[0]) for camera, image in zip(scene.cameras, images,
                                                                                              strict=True)]
    return scene, images, len(frames), poses


def reconstruct(source, out_dir, *, preset: Preset | None = None, iterations=None, save_iterations=(),
                snapshot_outputs=("splat_cloud",), max_gaussians=None, frame_count=None, frame_size=HD_LONG_SIDE,
                train_size=None, device=None, hold_out_every=None, report=None, seed=0) -> Reconstruction:
    """Runs every stage on `source` and writes the results into `out_dir`.

    preset: the quality preset (presets.py; default the device's Standard), whose iterations, splat budget,
    training size and frame count apply unless given here. save_iterations: iterations at which snapshots
    are written, each with the outputs named in snapshot_outputs ("splat_cloud": the splats as .ply,
    "point_cloud": their centres as a coloured point cloud, "video": a short orbit). hold_out_every: keep
    every n-th view out of training and measure the model on those (`Reconstruction.held_out`).
    """
    clock = _StageClock(report or _nothing)
    report = clock.report
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    work_dir = out_dir / "work"
    device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    preset = preset or presets.preset(presets.DEFAULT, presets.device_kind(device))
    iterations = iterations or preset.iterations
    max_gaussians = max_gaussians or preset.max_gaussians
    frame_count = frame_count or preset.frame_count
    train_size = train_size or preset.train_size
    seconds, started = {}, time.monotonic()

    scene, images, frame_total, poses = load_source(source, work_dir, frame_count=frame_count,
                                                    frame_size=frame_size, train_size=train_size, report=report)
    seconds["frames+poses"] = time.monotonic() - started
    seconds.update(clock.finish())
    if len(scene.cameras) < 3:
        raise ReconstructionError("Fewer than 3 views could be placed in 3D; there is nothing to reconstruct. "
                                  "Film more slowly, all around the object.")

    snapshots = {}

    def snapshot(iteration, model):
        snapshots[iteration] = _write_snapshot(model, scene, out_dir / "snapshots" / str(iteration),
                                               snapshot_outputs)

    held = [i for i in range(len(scene.cameras)) if hold_out_every and i % hold_out_every == hold_out_every - 1]
    kept = [i for i in range(len(scene.cameras)) if i not in held]
    training_scene = Scene([scene.cameras[i] for i in kept], scene.points, scene.colors)
    stage_started = time.monotonic()
    result = train(training_scene, [images[i] for i in kept], iterations=iterations,
                   save_iterations=save_iterations, max_gaussians=max_gaussians, report=report, seed=seed,
                   device=device, on_snapshot=snapshot)
    seconds["training"] = time.monotonic() - stage_started
    held_out = {scene.cameras[i].name: held_out_psnr(result.model, scene.cameras[i], images[i]) for i in held}

    stage_started = time.monotonic()
    report("export", 0, 5)
    arrays = result.model.to_arrays()
    ply, splat = out_dir / "splats.ply", out_dir / "splats.splat"
    splat_io.write_ply(ply, arrays)
    splat_io.write_splat(splat, arrays)
    point_cloud = out_dir / "point_cloud.ply"
    if len(scene.points):
        splat_io.write_point_cloud_ply(point_cloud, scene.points, scene.colors)
    else:
        splat_io.write_point_cloud_ply(point_cloud, arrays.means, arrays.colors)
    report("export", 1, 5)
    sog, ksplats = out_dir / "splats-sogs.zip", {level: out_dir / f"splats-{level}.ksplat" for level in (0, 1, 2)}
    write_sog(sog, arrays)  # its sort on the CPU: about 40 s for 300,000 splats on 2 busy cores
    for level, path in ksplats.items():
        write_ksplat(path, arrays, compression_level=level)
    report("export", 2, 5)
    video, thumbnail = out_dir / "orbit.mp4", out_dir / "thumbnail.jpg"
    frames = _orbit_frames(result.model, scene, ORBIT_FRAMES)
    write_video(frames, video, fps=30)
    _save_jpeg(frames[0], thumbnail)
    report("export", 4, 5)
    cameras = out_dir / "cameras.json"
    cameras.write_text(json.dumps(camera_records(scene.cameras)))
    report("export", 5, 5)
    seconds["export"] = time.monotonic() - stage_started
    shutil.rmtree(work_dir, ignore_errors=True)

    return Reconstruction(
        ply=ply, splat=splat, point_cloud=point_cloud, video=video, thumbnail=thumbnail, cameras=cameras, sog=sog,
        ksplats=ksplats, snapshots=snapshots, frames=frame_total, registered=len(scene.cameras),
        num_gaussians=result.num_gaussians, max_gaussians=max_gaussians, cap_hit=result.cap_hit, seconds=seconds,
        device=str(device), poses=poses, preset=preset.name, iterations=iterations, train_size=train_size,
        held_out=held_out,
    )


@torch.no_grad()
def held_out_psnr(model, camera, image) -> float:
    """PSNR (dB) of the model's render from `camera` (on white) against `image` (RGB, or RGBA composited on
    white), as training sees it."""
    target = torch.as_tensor(np.asarray(image) if not torch.is_tensor(image) else image).float()
    target = target / 255 if target.max() > 1.5 else target
    target = target.permute(2, 0, 1).to(model.device)
    if target.shape[0] == 4:
        target = target[:3] * target[3:] + (1 - target[3:])
    rendered = render(model, camera, (1.0, 1.0, 1.0)).image.clamp(0, 1)
    mse = float(torch.mean((rendered - target) ** 2))
    return float("inf") if mse == 0 else -10 * math.log10(mse)


class _StageClock:
    """Passes reports on, and times the stages before training (frames, poses) from their first report."""

    def __init__(self, report):
        self.forward, self.stage, self.began, self.took = report, None, 0.0, {}

    def report(self, stage, done, total):
        now = time.monotonic()
        if stage != self.stage:
            if self.stage is not None:
                self.took[self.stage] = self.took.get(self.stage, 0.0) + now - self.began
            self.stage, self.began = stage, now
        self.forward(stage, done, total)

    def finish(self):
        """{stage: seconds} of the stages reported so far, the current one ending now."""
        if self.stage is not None:
            self.took[self.stage] = self.took.get(self.stage, 0.0) + time.monotonic() - self.began
            self.stage = None
        return dict(self.took)


def camera_records(cameras):
    """Cameras as the share metadata lists them: camera-to-world 4x4 (OpenCV axes) flattened row-major."""
    return [{"name": c.name, "matrix": [float(v) for v in c.camera_to_world.reshape(-1)], "width": c.width,
             "height": c.height, "fx": c.fx, "fy": c.fy, "cx": c.cx, "cy": c.cy} for c in cameras]


def _orbit_frames(model, scene, count):
    first = scene.cameras[0]
    return [render_image(model, camera, (1.0, 1.0, 1.0))
            for camera in orbit_cameras(scene, count, width=first.width, height=first.height)]


def _save_jpeg(frame, path):
    from PIL import Image

    Image.fromarray(frame).save(path, quality=90)


def _write_snapshot(model, scene, folder, outputs):
    folder.mkdir(parents=True, exist_ok=True)
    arrays = model.to_arrays()
    written = {}
    if "splat_cloud" in outputs:
        written["splat_cloud"] = folder / "splats.ply"
        splat_io.write_ply(written["splat_cloud"], arrays)
    if "point_cloud" in outputs:
        written["point_cloud"] = folder / "point_cloud.ply"
        splat_io.write_point_cloud_ply(written["point_cloud"], arrays.means, arrays.colors)
    if "video" in outputs:
        written["video"] = folder / "orbit.mp4"
        write_video(_orbit_frames(model, scene, SNAPSHOT_ORBIT_FRAMES), written["video"], fps=12)
    return written
