"""Camera poses from pictures alone: structure-from-motion with pycolmap (COLMAP), on the CPU.

SIFT features → matching (sequential along a video, every pair for a small photo set) → incremental
mapping → the largest model → images undistorted to a pinhole camera, which is what the splatting
and radiance-field steps assume.

Conventions of the returned Scene (those of scene.py): `world_to_camera` is COLMAP's
``cam_from_world``, which is already OpenCV's camera frame (x right, y down, z forward). The world
frame and scale are arbitrary (COLMAP fixes neither). Intrinsics are those of the undistorted image
in pixels, with COLMAP's principal point convention: the image's top-left corner is (0, 0), so the
centre of the top-left pixel is (0.5, 0.5), the same convention as NeRF's cx = width / 2.
"""

from __future__ import annotations

import contextlib
import logging
import math
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pycolmap
from PIL import Image

from captures.media.preview import list_images

from .errors import ReconstructionError
from .scene import Camera, Scene

log = logging.getLogger(__name__)

Report = Callable[[str, int, int], None]

# Exhaustive matching compares every pair: thorough for unordered photos, quadratic in their number.
EXHAUSTIVE_MAX_IMAGES = 60
# Sequential matching pairs each frame with the next SEQUENTIAL_OVERLAP frames, plus frames 2, 4, 8,
# ... apart (quadratic overlap), which links the end of an orbit back to frames near its start.
SEQUENTIAL_OVERLAP = 10
# Features are extracted a few images per pycolmap call, so progress can be reported between calls;
# each call costs about 0.2 s of set-up, hence no smaller chunks.
MIN_EXTRACTION_CHUNK = 4
DEFAULT_MAX_IMAGE_SIZE = 1600
SMALL_IMAGE_SIDE = 640


def run_sfm(image_dir, work_dir, *, kind: str = "video", sequential: bool | None = None,
            min_registered_share: float = 0.5, camera_model: str = "SIMPLE_RADIAL",
            single_camera: bool | None = None, max_image_size: int = DEFAULT_MAX_IMAGE_SIZE, num_threads: int = 2,
            seed: int = 0, report: Report | None = None) -> Scene:
    """Camera poses and a sparse point cloud for the pictures in `image_dir`.

    kind: "video" (frames in time order, as extract_frames writes them) or "photos"; it picks the
        failure advice and, with `sequential=None`, the matching: sequential for video, exhaustive for
        photos up to EXHAUSTIVE_MAX_IMAGES and sequential (in file order) beyond.
    camera_model: COLMAP's model for the lens, "SIMPLE_RADIAL" (focal + one distortion term, stable on
        small sets) or "OPENCV" (two focals, four distortion terms, for wide phone lenses).
    single_camera: one lens shared by all pictures; None means when all pictures have the same size.
        A video is always one lens; sharing it adds many constraints per unknown.
    max_image_size: pictures are scaled to this long side for feature extraction only.

    Everything COLMAP writes goes under `work_dir`; the returned cameras point at the undistorted
    images in ``work_dir/undistorted/images``. Raises ReconstructionError when fewer than
    `min_registered_share` of the pictures can be placed in one model. report("poses", done, total)
    advances as features are extracted, after matching, and as pictures are registered.
    """
    if kind not in ("video", "photos"):
        raise ValueError(f"kind must be 'video' or 'photos', not {kind!r}")
    image_dir, work_dir = Path(image_dir), Path(work_dir)
    names = [p.name for p in list_images(image_dir)]
    if not names:
        raise ReconstructionError("There are no pictures to reconstruct from. Upload a video or photos of the "
                                  "object.")
    if sequential is None:
        sequential = kind == "video" or len(names) > EXHAUSTIVE_MAX_IMAGES
    if single_camera is None:
        single_camera = len({_size(image_dir / name) for name in names}) == 1
    progress = _Progress(report, len(names))

    work_dir.mkdir(parents=True, exist_ok=True)
    database = work_dir / "database.db"
    database.unlink(missing_ok=True)
    pycolmap.set_random_seed(seed)
    with _quiet_colmap():
        _extract_features(database, image_dir, names, camera_model, single_camera, max_image_size, num_threads,
                          progress)
        _match(database, sequential, num_threads, seed)
        progress.matched()
        model_dir = _map(database, image_dir, work_dir / "sparse", len(names), min_registered_share, kind,
                         num_threads, seed, progress)
        undistorted = work_dir / "undistorted"
        shutil.rmtree(undistorted, ignore_errors=True)
        pycolmap.undistort_images(undistorted, model_dir, image_dir, output_type="COLMAP", jpeg_quality=95,
                                  num_threads=num_threads)
    scene = scene_from_colmap(pycolmap.Reconstruction(undistorted / "sparse"), undistorted / "images")
    progress.finish()
    return scene


def scene_from_colmap(reconstruction: pycolmap.Reconstruction, image_dir) -> Scene:
    """A Scene from a COLMAP model with pinhole cameras (undistorted), cameras sorted by image name."""
    image_dir = Path(image_dir)
    cameras = []
    for image in sorted(reconstruction.images.values(), key=lambda im: _natural_key(im.name)):
        if not image.has_pose:
            continue
        camera = image.camera
        if camera.model_name not in ("PINHOLE", "SIMPLE_PINHOLE"):
            raise ValueError(f"camera model {camera.model_name} is not undistorted; undistort the images first")
        fx, fy = camera.focal_length_x, camera.focal_length_y
        world_to_camera = np.eye(4)
        world_to_camera[:3] = image.cam_from_world().matrix()
        cameras.append(Camera(image.name, camera.width, camera.height, fx, fy, camera.principal_point_x,
                              camera.principal_point_y, world_to_camera, image_dir / image.name))
    points = reconstruction.points3D.values()
    xyz = np.array([p.xyz for p in points], dtype=np.float64).reshape(-1, 3)
    rgb = np.array([p.color for p in points], dtype=np.float64).reshape(-1, 3) / 255.0
    return Scene(cameras, xyz, rgb)


class _Progress:
    """report("poses", ...): one step per picture's features, one for matching, one per registration."""

    def __init__(self, report: Report | None, count: int):
        self.report, self.count = report, count
        self.total = 2 * count + 2
        self.done = 0
        self.registered = 0

    def features(self, done: int) -> None:
        self._send(done)

    def matched(self) -> None:
        self._send(self.count + 1)

    def registered_one(self) -> None:
        # With several models COLMAP registers some pictures more than once; progress never passes count.
        self.registered += 1
        self._send(self.count + 1 + min(self.registered, self.count))

    def finish(self) -> None:
        self._send(self.total)

    def _send(self, done: int) -> None:
        if done > self.done:
            self.done = done
            if self.report is not None:
                self.report("poses", done, self.total)


def _extract_features(database: Path, image_dir: Path, names: list[str], camera_model: str, single_camera: bool,
                      max_image_size: int, num_threads: int, progress: _Progress) -> None:
    extraction = pycolmap.FeatureExtractionOptions()
    extraction.max_image_size = max_image_size
    extraction.num_threads = num_threads
    if max(_size(image_dir / names[0])) < SMALL_IMAGE_SIDE:
        # Small pictures (a low-resolution video) give SIFT too few keypoints; starting one octave
        # finer (the image doubled) finds the detail that is there.
        extraction.sift.first_octave = -1
    chunk = max(MIN_EXTRACTION_CHUNK, math.ceil(len(names) / 20))
    camera_id = -1
    for start in range(0, len(names), chunk):
        reader = pycolmap.ImageReaderOptions()
        reader.camera_model = camera_model
        # After the first call, a shared lens is passed on so that every chunk uses the same camera.
        reader.existing_camera_id = camera_id
        mode = pycolmap.CameraMode.SINGLE if single_camera else pycolmap.CameraMode.PER_IMAGE
        pycolmap.extract_features(database, image_dir, image_names=names[start:start + chunk], camera_mode=mode,
                                  reader_options=reader, extraction_options=extraction, device=pycolmap.Device.cpu)
        if single_camera and camera_id < 0:
            db = pycolmap.Database.open(database)
            try:
                camera_id = db.read_all_cameras()[0].camera_id
            finally:
                db.close()
        progress.features(min(start + chunk, len(names)))


def _match(database: Path, sequential: bool, num_threads: int, seed: int) -> None:
    matching = pycolmap.FeatureMatchingOptions()
    matching.num_threads = num_threads
    verification = pycolmap.TwoViewGeometryOptions()
    verification.ransac.random_seed = seed
    if sequential:
        pairing = pycolmap.SequentialPairingOptions()
        pairing.overlap = SEQUENTIAL_OVERLAP
        pairing.quadratic_overlap = True
        pairing.loop_detection = False  # needs a vocabulary tree file, which would be a download
        pycolmap.match_sequential(database, matching_options=matching, pairing_options=pairing,
                                  verification_options=verification, device=pycolmap.Device.cpu)
    else:
        pycolmap.match_exhaustive(database, matching_options=matching, verification_options=verification,
                                  device=pycolmap.Device.cpu)


def _map(database: Path, image_dir: Path, out_dir: Path, count: int, min_share: float, kind: str,
         num_threads: int, seed: int, progress: _Progress) -> Path:
    """Runs incremental mapping and returns the folder of the largest model; raises when it holds too few
    of the `count` pictures."""
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    options = pycolmap.IncrementalPipelineOptions()
    options.num_threads = num_threads
    options.random_seed = seed
    # COLMAP drops models under 10 pictures by default; a small set must still give its best model.
    options.min_model_size = min(options.min_model_size, max(3, count // 2))
    models = pycolmap.incremental_mapping(database, image_dir, out_dir, options=options,
                                          next_image_callback=progress.registered_one)
    best = max(models, key=lambda k: models[k].num_reg_images(), default=None)
    registered = models[best].num_reg_images() if best is not None else 0
    log.info("sfm: %d models, the largest registers %d of %d pictures", len(models), registered, count)
    if best is None or registered < max(2, math.ceil(min_share * count)):
        raise ReconstructionError(_too_few_registered(registered, count, kind))
    model_dir = out_dir / str(best)
    if not (model_dir / "cameras.bin").exists():  # incremental_mapping writes model k to out_dir/k
        models[best].write(model_dir)
    return model_dir


def _too_few_registered(registered: int, count: int, kind: str) -> str:
    if kind == "video":
        return (f"Only {registered} of {count} frames could be placed in 3D: film more slowly, move around the "
                "object rather than turning on the spot, and keep it in view.")
    return (f"Only {registered} of {count} photos could be placed in 3D: take them closer together so that each "
            "one overlaps the next, move around the object rather than turning on the spot, and keep it in view.")


def _size(path: Path) -> tuple[int, int]:
    with Image.open(path) as image:
        return image.size


def _natural_key(name: str):
    return [(0, int(part), "") if part.isdigit() else (1, 0, part.lower())
            for part in re.split(r"(\d+)", name)]


@contextlib.contextmanager
def _quiet_colmap():
    """COLMAP logs every step at INFO; keep warnings and errors only, for this run."""
    level = pycolmap.logging.minloglevel
    pycolmap.logging.minloglevel = max(level, 1)
    try:
        yield
    finally:
        pycolmap.logging.minloglevel = level
