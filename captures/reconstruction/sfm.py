"""Camera poses from pictures alone: structure-from-motion with pycolmap (COLMAP), on the CPU.

SIFT features → matching (sequential along a video, every pair for a small photo set) → incremental
mapping → the largest model → images undistorted to a pinhole camera, which is what the splatting
and radiance-field steps assume.

Small pictures (a low-resolution video, long side under SMALL_IMAGE_SIDE) give a few hundred SIFT
features with COLMAP's defaults, which are set for megapixel photos, and most frames then fail to
register. For them, features are found with a lower SIFT peak threshold on copies enlarged to
ENLARGED_SIDE with a Lanczos filter, and their positions scaled back to the pictures' own pixels;
matching keeps less distinctive matches and leaves it to geometric verification to sort them; the
inlier counts asked of pairs and registrations are lowered to suit the smaller number of features;
and pictures placed from too few points are left out of the model. Everything after feature
extraction works on the pictures as given.

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

from media.decode import list_images

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
# Pictures with a long side under SMALL_IMAGE_SIDE get the small-picture settings below; those under
# ENLARGED_SIDE are also enlarged to it for feature extraction. Measured on a real 136x240 phone video
# (43.5 s walking around an armchair, fast in places): of 100 frames, COLMAP's defaults place 2 and
# these settings 98; of 80, 120, 150 and 200 frames they place 77, 101, 147 and 200. Enlarging to
# 640 instead of 480 placed fewer frames and took longer.
SMALL_IMAGE_SIDE = 640
ENLARGED_SIDE = 480
# SIFT's peak threshold (COLMAP's default is 0.02 / 3 = 0.0067): lower keeps weaker extrema, about
# a thousand per enlarged frame of that video instead of three hundred.
SMALL_PEAK_THRESHOLD = 0.002
# Lowe's ratio test (COLMAP's default 0.8): small pictures' descriptors are less distinctive, and at
# 0.8 too few true matches survive between frames of a fast part of a video to link them (120 frames:
# about 50 placed in the largest model, against over 100 at 0.9).
SMALL_MAX_RATIO = 0.9
# The extra outliers that lets through make RANSAC run to its limit (COLMAP's default 10,000 trials)
# on pairs that share nothing: capped, matching 120 frames takes about 30 s instead of 160 s.
SMALL_MAX_RANSAC_TRIALS = 1000
# Inliers (COLMAP's defaults 15 and 30): for a pair to count as matched, and for a new picture to be
# placed against the points already in the model.
SMALL_MIN_PAIR_INLIERS = 10
SMALL_ABS_POSE_MIN_INLIERS = 10
# A picture the model placed but that sees fewer 3D points than this is dropped from it: with so few
# points a pose can be far off (on that video such frames were turned 90 degrees or more from both
# their neighbours in time).
SMALL_MIN_IMAGE_POINTS = 20

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
    small = max(_size(image_dir / names[0])) < SMALL_IMAGE_SIDE
    progress = _Progress(report, len(names))

    database = _fresh_database(work_dir, seed)
    with _quiet_colmap():
        _extract_features(database, image_dir, work_dir / "enlarged", names, camera_model, single_camera,
                          max_image_size, small, num_threads, progress)
        _match(database, sequential, small, num_threads, seed)
        progress.matched()
        model_dir = _map(database, image_dir, work_dir / "sparse", len(names), min_registered_share, kind, small,
                         num_threads, seed, progress)
        undistorted = work_dir / "undistorted"
        shutil.rmtree(undistorted, ignore_errors=True)
        pycolmap.undistort_images(undistorted, model_dir, image_dir, output_type="COLMAP", jpeg_quality=95,
                                  num_threads=num_threads)
    scene = scene_from_colmap(pycolmap.Reconstruction(undistorted / "sparse"), undistorted / "images")
    progress.finish()
    return scene


def _fresh_database(work_dir: Path, seed: int) -> Path:
    """An empty COLMAP database in `work_dir`, with COLMAP's random seed set for a repeatable run."""
    work_dir.mkdir(parents=True, exist_ok=True)
    database = work_dir / "database.db"
    database.unlink(missing_ok=True)
    pycolmap.set_random_seed(seed)
    return database


def match_pictures(image_dir, work_dir, *, max_image_size: int = DEFAULT_MAX_IMAGE_SIZE, num_threads: int = 2,
                   seed: int = 0, report: Report | None = None) -> Path:
    """SIFT features of every picture in `image_dir` and every pair matched and geometrically verified,
    with the same settings as run_sfm (small pictures included), one camera per picture; no mapping.
    Returns the COLMAP database (``work_dir/database.db``) that verified_matches and
    triangulate_known_poses read. report("poses", done, total) follows the pictures' features."""
    image_dir, work_dir = Path(image_dir), Path(work_dir)
    names = [p.name for p in list_images(image_dir)]
    if not names:
        raise ReconstructionError("There are no pictures to match.")
    small = max(_size(image_dir / names[0])) < SMALL_IMAGE_SIDE
    progress = _Progress(report, len(names))
    database = _fresh_database(work_dir, seed)
    with _quiet_colmap():
        _extract_features(database, image_dir, work_dir / "enlarged", names, "PINHOLE", False, max_image_size,
                          small, num_threads, progress)
        _match(database, False, small, num_threads, seed)
    return database


def verified_matches(database) -> list[tuple[str, str, np.ndarray, np.ndarray]]:
    """Every pair of pictures with geometrically verified matches in `database`, as (name_a, name_b,
    points_a, points_b): the matched features' pixel positions (N, 2), in COLMAP's convention (the
    top-left pixel's centre is (0.5, 0.5)), as in this package's intrinsics."""
    db = pycolmap.Database.open(Path(database))
    try:
        names = {image.image_id: image.name for image in db.read_all_images()}
        keypoints = {}
        pairs = []
        for pair_id, geometry in zip(*db.read_two_view_geometries(), strict=True):
            matches = np.asarray(geometry.inlier_matches).reshape(-1, 2)
            if not len(matches):
                continue
            ids = pycolmap.pair_id_to_image_pair(pair_id)
            for image_id in ids:
                if image_id not in keypoints:
                    keypoints[image_id] = np.asarray(db.read_keypoints(image_id))[:, :2].astype(np.float64)
            a, b = ids
            pairs.append((names[a], names[b], keypoints[a][matches[:, 0]], keypoints[b][matches[:, 1]]))
    finally:
        db.close()
    return pairs


def triangulate_known_poses(database, image_dir, cameras: list[Camera], work_dir, *,
                            num_threads: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """3D points (N, 3) and their colours (N, 3, in [0, 1]) triangulated from the matches in `database`
    (match_pictures of `image_dir`) with the cameras held where they are: COLMAP's point triangulator,
    which keeps the points seen consistently and refines them, never the poses or intrinsics. Each
    camera's name is its picture's file name; pictures without a camera are left out."""
    db = pycolmap.Database.open(Path(database))
    try:
        by_name = {camera.name: camera for camera in cameras}
        reconstruction = pycolmap.Reconstruction()
        for image in db.read_all_images():
            camera = by_name.get(image.name)
            if camera is None:
                continue
            colmap_camera = db.read_camera(image.camera_id)
            colmap_camera.model = pycolmap.CameraModelId.PINHOLE
            colmap_camera.width, colmap_camera.height = camera.width, camera.height
            colmap_camera.params = [camera.fx, camera.fy, camera.cx, camera.cy]
            db.update_camera(colmap_camera)
            reconstruction.add_camera_with_trivial_rig(colmap_camera)
            placed = pycolmap.Image(name=image.name, camera_id=image.camera_id, image_id=image.image_id)
            reconstruction.add_image_with_trivial_frame(placed, pycolmap.Rigid3d(camera.world_to_camera[:3]))
    finally:
        db.close()
    out_dir = Path(work_dir) / "triangulated"
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    options = pycolmap.IncrementalPipelineOptions()
    options.num_threads = num_threads
    with _quiet_colmap():
        triangulated = pycolmap.triangulate_points(reconstruction, database, image_dir, out_dir, options=options)
    points = triangulated.points3D.values()
    xyz = np.array([p.xyz for p in points], dtype=np.float64).reshape(-1, 3)
    rgb = np.array([p.color for p in points], dtype=np.float64).reshape(-1, 3) / 255.0
    return xyz, rgb


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


def _extract_features(database: Path, image_dir: Path, enlarged_dir: Path, names: list[str], camera_model: str,
                      single_camera: bool, max_image_size: int, small: bool, num_threads: int,
                      progress: _Progress) -> None:
    extraction = pycolmap.FeatureExtractionOptions()
    extraction.max_image_size = max_image_size
    extraction.num_threads = num_threads
    if small:
        extraction.sift.peak_threshold = SMALL_PEAK_THRESHOLD
    enlarge = small and max(_size(image_dir / names[0])) < ENLARGED_SIDE
    shutil.rmtree(enlarged_dir, ignore_errors=True)
    scales = {}  # name -> (x, y) factor from the enlarged copy back to the picture
    chunk = max(MIN_EXTRACTION_CHUNK, math.ceil(len(names) / 20))
    camera_id = -1
    for start in range(0, len(names), chunk):
        batch = names[start:start + chunk]
        source_dir = image_dir
        if enlarge:
            scales.update(_enlarge(image_dir, enlarged_dir, batch))
            source_dir = enlarged_dir
        reader = pycolmap.ImageReaderOptions()
        reader.camera_model = camera_model
        # After the first call, a shared lens is passed on so that every chunk uses the same camera.
        reader.existing_camera_id = camera_id
        mode = pycolmap.CameraMode.SINGLE if single_camera else pycolmap.CameraMode.PER_IMAGE
        pycolmap.extract_features(database, source_dir, image_names=batch, camera_mode=mode, reader_options=reader,
                                  extraction_options=extraction, device=pycolmap.Device.cpu)
        if single_camera and camera_id < 0:
            db = pycolmap.Database.open(database)
            try:
                camera_id = db.read_all_cameras()[0].camera_id
            finally:
                db.close()
        progress.features(min(start + chunk, len(names)))
    if scales:
        _scale_back(database, image_dir, scales)
    shutil.rmtree(enlarged_dir, ignore_errors=True)


def _enlarge(image_dir: Path, enlarged_dir: Path, names: list[str]) -> dict[str, tuple[float, float]]:
    """Copies of the pictures with a long side of at least ENLARGED_SIDE (Lanczos), under the same names;
    returns the factors that take the copies' pixel coordinates back to the pictures'. SIFT already
    starts one octave finer than the picture (COLMAP's first_octave = -1), but its doubling is bilinear:
    on the chair video, enlarging with a bilinear filter instead of Lanczos gives 600 keypoints per frame
    instead of 1000 and registers 55 of 100 frames instead of 91."""
    enlarged_dir.mkdir(parents=True, exist_ok=True)
    scales = {}
    for name in names:
        with Image.open(image_dir / name) as image:
            width, height = image.size
            factor = ENLARGED_SIDE / max(width, height)
            if factor <= 1:
                shutil.copyfile(image_dir / name, enlarged_dir / name)
                scales[name] = (1.0, 1.0)
                continue
            size = (round(width * factor), round(height * factor))
            source = image if image.mode in ("L", "RGB") else image.convert("RGB")
            source.resize(size, Image.Resampling.LANCZOS).save(enlarged_dir / name, quality=95)
        scales[name] = (width / size[0], height / size[1])
    return scales


def _scale_back(database: Path, image_dir: Path, scales: dict[str, tuple[float, float]]) -> None:
    """Keypoints found on enlarged copies → the pictures' own pixels (COLMAP's keypoints are x, y and
    the affine shape a11, a12, a21, a22, whose rows are x and y), and the cameras to the pictures' sizes,
    so that matching, mapping and undistortion work on the pictures as given."""
    db = pycolmap.Database.open(database)
    try:
        sizes = {}
        for image in db.read_all_images():
            sx, sy = scales[image.name]
            keypoints = np.array(db.read_keypoints(image.image_id), dtype=np.float32)
            if len(keypoints):
                keypoints[:, [0, 2, 3]] *= sx
                keypoints[:, [1, 4, 5]] *= sy
                db.update_keypoints(image.image_id, keypoints)
            sizes.setdefault(image.camera_id, _size(image_dir / image.name))
        for camera in db.read_all_cameras():
            if camera.camera_id in sizes:
                camera.rescale(*sizes[camera.camera_id])
                db.update_camera(camera)
    finally:
        db.close()


def _match(database: Path, sequential: bool, small: bool, num_threads: int, seed: int) -> None:
    matching = pycolmap.FeatureMatchingOptions()
    matching.num_threads = num_threads
    verification = pycolmap.TwoViewGeometryOptions()
    verification.ransac.random_seed = seed
    if small:
        matching.sift.max_ratio = SMALL_MAX_RATIO
        verification.min_num_inliers = SMALL_MIN_PAIR_INLIERS
        verification.ransac.max_num_trials = SMALL_MAX_RANSAC_TRIALS
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


def _map(database: Path, image_dir: Path, out_dir: Path, count: int, min_share: float, kind: str, small: bool,
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
    if small:
        options.min_num_matches = SMALL_MIN_PAIR_INLIERS
        options.mapper.abs_pose_min_num_inliers = SMALL_ABS_POSE_MIN_INLIERS
        # Placing a picture from its 2D-2D matches alone, when it sees too few 3D points: with small
        # pictures its minimal solver runs to the RANSAC limit again and again (a minute or more for
        # 80 frames) and placed some frames the wrong way round.
        options.structure_less_registration_fallback = False
    models = pycolmap.incremental_mapping(database, image_dir, out_dir, options=options,
                                          next_image_callback=progress.registered_one)
    if small:
        for model in models.values():
            _drop_weak_images(model, SMALL_MIN_IMAGE_POINTS)
    best = max(models, key=lambda k: models[k].num_reg_images(), default=None)
    registered = models[best].num_reg_images() if best is not None else 0
    log.info("sfm: %d models, the largest registers %d of %d pictures", len(models), registered, count)
    if best is None or registered < max(2, math.ceil(min_share * count)):
        raise ReconstructionError(_too_few_registered(registered, count, kind))
    model_dir = out_dir / str(best)
    model_dir.mkdir(exist_ok=True)  # incremental_mapping wrote model k to out_dir/k, before any drop
    models[best].write(model_dir)
    return model_dir


def _drop_weak_images(reconstruction: pycolmap.Reconstruction, min_points: int) -> None:
    """De-registers the pictures of `reconstruction` that see fewer than `min_points` of its 3D points."""
    for image in list(reconstruction.images.values()):
        if image.has_pose and image.num_points3D < min_points:
            reconstruction.deregister_frame(image.frame_id)


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
