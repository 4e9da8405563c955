"""Camera poses a phone recorded while capturing (seed 004's `commonformat-ios`): read, checked, used.

The format is the transforms.json convention that iOS capture apps export, the one of instant-ngp's and
nerfstudio's datasets: a zip of frames with a ``transforms.json`` whose
``frames`` each name an image (``file_path``, relative to the json, the suffix optional) and give its
``transform_matrix``: camera-to-world, 4x4 (or 3x4), in OpenGL's camera axes (x right, y up, looking
along -z), in the phone's world frame and metres. Intrinsics, in pixels of an image ``w`` x ``h``:
``fl_x fl_y cx cy w h``, at the top level or per frame (a frame's own keys win), or NeRF's
``camera_angle_x`` (and ``camera_angle_y``) field of view in radians; missing ``fl_y`` is ``fl_x``,
missing ``cx cy`` the image centre, missing ``w h`` the image's own size. Images stored at another
size than ``w`` x ``h`` get the intrinsics scaled to them. Lens distortion terms are ignored: phone
frames are close to pinhole; fisheye and equirectangular lenses leave the poses unused.

Phone poses are used in place of structure-from-motion only when they agree with the pictures. A
sample of at most SAMPLE_ANCHORS * (NEIGHBOURS + 1) frames is matched with COLMAP (SIFT, every pair,
geometric verification, no mapping): anchors spread over the capture, each with the frames the
phone's poses put nearest to it. For each verified pair, the poses predict an epipolar line for every
matched point; a pair's error is the median distance of its points from those lines, as an angle
(pixels over the focal length). The poses are consistent when at least MIN_CHECKED_PAIRS pairs are
measured and the median of the pairs' errors is at most EPIPOLAR_TOLERANCE_DEGREES. Measured on the
nerf_lego_subset (20 renders, 800 px, matched at 400 px, focal 555 px; 11 sample frames): with the true
poses, 13 pairs measured, 12 of them at 0.02-0.10 degrees and one at 0.96 (median 0.05); with each
frame given its neighbour's transform_matrix, 14 pairs, one at 0.25 and the rest at 1.3-9.0 (median
5.0). Why pairs and not a structure-from-motion model of the sample aligned to the phone's (Umeyama):
on those sparse, wide-apart views COLMAP's mapper placed 3 to 7 of 10-20 frames, or, with a free focal
length, 18 of 20 in a wrong model (rotations 90-180 degrees off), which would have thrown away correct
poses; a verified pair, in contrast, is a check on its own.

With consistent poses, the starting points are the sample's matches triangulated with the phone's
cameras held fixed (COLMAP's point triangulator), topped up with random points around what the
cameras look at when there are few. When the poses are missing (no transforms.json, frames without
a pose), unusable or inconsistent, `load_phone_capture` answers the photos and a note saying why,
and the caller places them with structure-from-motion.

Everything stays in the phone's world frame and scale: the cameras are the phone's, only their
camera axes turned to OpenCV's (scene.py), so cameras.json repeats the phone's positions.
"""

from __future__ import annotations

import json
import math
import posixpath
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

import numpy as np
from PIL import ExifTags, Image

from media import MediaError
from media.archive import IMAGE_SUFFIXES, extract_named_images

from . import sfm
from .datasets import load_image_set
from .errors import ReconstructionError
from .frames import HD_LONG_SIDE, MIN_FRAMES, prepare_images
from .input_format import path_parts, transforms_entry
from .scene import Camera, Scene

Report = Callable[[str, int, int], None]

MAX_TRANSFORMS_BYTES = 64 * 1024 * 1024
UNSUPPORTED_CAMERA_MODELS = {"OPENCV_FISHEYE", "EQUIRECTANGULAR", "FISHEYE"}

# The sample matched to check the poses: anchors spread over the capture, each with its nearest frames.
SAMPLE_ANCHORS = 4
NEIGHBOURS = 2
# Pairs whose phone cameras are closer than this share of the capture's radius see no parallax: their
# epipolar geometry is undefined, so they are not measured.
MIN_BASELINE_SHARE = 0.01
# Only pairs with this many verified matches are measured: fewer are often chance matches between parts
# that look alike (on the lego set, false pairs had 10-28 and true ones 20-240).
MIN_PAIR_INLIERS = 30
MIN_CHECKED_PAIRS = 3
EPIPOLAR_TOLERANCE_DEGREES = 0.5
# Fewer triangulated points than this are topped up with random ones (3D Gaussian splatting starts
# synthetic scenes from random points, so a few thousand do no harm).
MIN_STARTING_POINTS = 2000

NOT_USED = "so the photos were placed by structure-from-motion instead."


@dataclass
class PhoneFrame:
    """One entry of transforms.json as the phone wrote it: OpenGL camera-to-world and its intrinsics."""

    file_path: str
    camera_to_world: np.ndarray | None  # 4x4; None when the entry has no usable transform_matrix
    intrinsics: dict  # the entry's keys merged over the top level's (fl_x, fl_y, cx, cy, w, h, camera_angle_x ...)

    def camera(self, name: str, width: int, height: int, image_path: Path | None = None) -> Camera:
        """The camera for this frame's image stored at width x height (OpenCV axes, the phone's world)."""
        fx, fy, cx, cy = intrinsics_for(self.intrinsics, width, height)
        return Camera.from_opengl_camera_to_world(name, self.camera_to_world, width, height, fx, fy, cx, cy,
                                                  image_path=image_path)


@dataclass
class PoseSource:
    """Where a reconstruction's camera poses came from, and why, for the item's result."""

    method: str  # "phone", "structure-from-motion" or "dataset"
    note: str = ""
    check: dict = field(default_factory=dict)


@dataclass
class PhoneCapture:
    """What load_phone_capture found: either a posed scene, or photos for structure-from-motion."""

    poses: PoseSource
    photos: list[Path]
    scene: Scene | None = None
    images: list[np.ndarray] | None = None


class UnusablePoses(Exception):
    """transforms.json cannot give cameras; str() completes "The phone's camera poses were not used: ..."."""


# --- reading transforms.json ---------------------------------------------------------------------------

def read_transforms(meta) -> list[PhoneFrame]:
    """The frames of a parsed transforms.json, in its order. A frame whose transform_matrix is missing or
    is not a rigid camera-to-world matrix has camera_to_world None. Raises UnusablePoses when the file
    has no frames or its camera model is not a pinhole-like one."""
    if not isinstance(meta, dict) or not isinstance(meta.get("frames"), list) or not meta["frames"]:
        raise UnusablePoses("transforms.json lists no frames")
    model = str(meta.get("camera_model", "")).upper()
    if model in UNSUPPORTED_CAMERA_MODELS:
        raise UnusablePoses(f"transforms.json describes a {model} lens, which is not supported")
    shared = {key: value for key, value in meta.items() if key not in ("frames", "transform_matrix")}
    frames = []
    for entry in meta["frames"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("file_path"), str):
            continue
        intrinsics = {**shared, **{k: v for k, v in entry.items() if k not in ("file_path", "transform_matrix")}}
        frames.append(PhoneFrame(entry["file_path"], _rigid_matrix(entry.get("transform_matrix")), intrinsics))
    if not frames:
        raise UnusablePoses("transforms.json lists no frames with a file_path")
    return frames


def _rigid_matrix(value) -> np.ndarray | None:
    try:
        matrix = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    if matrix.shape == (3, 4):
        matrix = np.vstack([matrix, [0.0, 0.0, 0.0, 1.0]])
    if matrix.shape != (4, 4) or not np.all(np.isfinite(matrix)):
        return None
    rotation = matrix[:3, :3]
    # A camera-to-world matrix turns and moves; one that also scales, shears or mirrors is not a pose.
    if not np.allclose(rotation.T @ rotation, np.eye(3), atol=1e-3) or np.linalg.det(rotation) < 0:
        return None
    if not np.allclose(matrix[3], [0.0, 0.0, 0.0, 1.0], atol=1e-6):
        return None
    return matrix


def intrinsics_for(keys: dict, width: int, height: int) -> tuple[float, float, float, float]:
    """(fx, fy, cx, cy) in pixels of an image stored at width x height, from transforms.json's keys (see the
    module's docstring). Raises UnusablePoses without a focal length or field of view, or when the stored
    image's shape is not the one the intrinsics describe (a portrait image for landscape intrinsics)."""
    try:
        w = float(keys.get("w") or width)
        h = float(keys.get("h") or height)
        if keys.get("fl_x") is not None:
            fx = float(keys["fl_x"])
        elif keys.get("camera_angle_x") is not None:
            fx = 0.5 * w / math.tan(0.5 * float(keys["camera_angle_x"]))
        else:
            raise UnusablePoses("transforms.json gives no focal length (fl_x) or field of view (camera_angle_x)")
        if keys.get("fl_y") is not None:
            fy = float(keys["fl_y"])
        elif keys.get("camera_angle_y") is not None:
            fy = 0.5 * h / math.tan(0.5 * float(keys["camera_angle_y"]))
        else:
            fy = fx
        cx = float(keys["cx"]) if keys.get("cx") is not None else w / 2
        cy = float(keys["cy"]) if keys.get("cy") is not None else h / 2
    except (TypeError, ValueError) as exc:
        raise UnusablePoses(f"transforms.json has an intrinsic that is not a number ({exc})") from exc
    if not all(math.isfinite(v) for v in (w, h, fx, fy, cx, cy)) or min(w, h, fx, fy) <= 0:
        raise UnusablePoses("transforms.json has a focal length or image size that is not positive")
    if abs(width / height - w / h) > 0.01 * (w / h):
        raise UnusablePoses(f"the images are {width}x{height} but transforms.json describes {w:g}x{h:g} ones")
    sx, sy = width / w, height / h
    return fx * sx, fy * sy, cx * sx, cy * sy


# --- a capture: extraction, the frames' images, the check ----------------------------------------------

def load_phone_capture(zip_path, work_dir, *, frame_size: int = HD_LONG_SIDE, train_size: int | None = None,
                       num_threads: int = 2, report: Report | None = None) -> PhoneCapture:
    """Extracts a commonformat-ios zip under `work_dir` and answers a PhoneCapture: with `scene` and
    `images` (at most `train_size` on the long side) when the phone's poses are present and consistent,
    else the photos to place by structure-from-motion, and a note saying why. The sample checked is
    prepared at `frame_size`, as structure-from-motion's frames would be. Raises ReconstructionError when
    the archive holds no readable photo."""
    report = report or _nothing
    work_dir = Path(work_dir)
    try:
        extracted = extract_named_images(zip_path, work_dir / "photos")
    except MediaError as exc:
        raise ReconstructionError(str(exc)) from exc
    report("frames", 1, 2)
    try:
        with zipfile.ZipFile(zip_path) as archive:
            entry = transforms_entry(archive)
            meta = _read_json(archive, entry) if entry is not None else None
    except (zipfile.BadZipFile, OSError) as exc:
        raise ReconstructionError(f"The archive cannot be read ({exc}). Upload the capture again.") from exc
    if entry is None:
        return _unposed(list(extracted.values()), "The archive has no transforms.json with the phone's camera "
                                                  "poses, " + NOT_USED)
    try:
        if meta is None:
            raise UnusablePoses(f"{PurePosixPath(entry.filename).name} is not valid JSON")
        frames = read_transforms(meta)
        photos, cameras, unposed = _match_frames(frames, entry.filename, extracted)
    except UnusablePoses as exc:
        return _unposed(list(extracted.values()), f"The phone's camera poses were not used: {exc}, {NOT_USED}")
    if unposed:
        return _unposed(photos, f"{len(unposed)} of {len(photos)} frames have no camera pose in transforms.json "
                                f"(e.g. {unposed[0]}), {NOT_USED}")
    if len(cameras) < MIN_FRAMES:
        raise ReconstructionError(f"The capture has only {len(cameras)} frames; at least {MIN_FRAMES} are needed to "
                                  "reconstruct an object. Capture it again, moving all around it.")
    report("frames", 2, 2)
    check = check_poses(cameras, work_dir / "sample", frame_size=frame_size, num_threads=num_threads, report=report)
    if not check.consistent:
        if check.pairs < MIN_CHECKED_PAIRS:
            why = (f"The phone's camera poses could not be checked: only {check.pairs} pairs of the {check.frames} "
                   "sample frames share enough features, ")
        else:
            why = (f"The phone's camera poses disagree with the photos (a median epipolar error of "
                   f"{check.median_error_degrees:.2f} degrees over {check.pairs} matched pairs of sample frames; "
                   f"at most {EPIPOLAR_TOLERANCE_DEGREES} is accepted), ")
        return PhoneCapture(PoseSource("structure-from-motion", why + NOT_USED, check.summary()), photos)

    points, colors, triangulated = _starting_points(cameras, check)
    images = load_image_set(photos, size=train_size)
    scaled = [camera.scaled(image.shape[1], image.shape[0]) for camera, image in zip(cameras, images, strict=True)]
    note = (f"The phone's camera poses were used: {check.pairs} matched pairs of {check.frames} sample frames "
            f"agree with them (a median epipolar error of {check.median_error_degrees:.2f} degrees).")
    summary = {**check.summary(), "triangulated_points": triangulated}
    return PhoneCapture(PoseSource("phone", note, summary), photos, Scene(scaled, points, colors), images)


def _unposed(photos: list[Path], note: str) -> PhoneCapture:
    return PhoneCapture(PoseSource("structure-from-motion", note), photos)


def _read_json(archive: zipfile.ZipFile, info: zipfile.ZipInfo):
    if info.file_size > MAX_TRANSFORMS_BYTES:
        return None
    try:
        with archive.open(info) as handle:
            return json.loads(handle.read(MAX_TRANSFORMS_BYTES + 1))
    except (ValueError, UnicodeDecodeError, zipfile.BadZipFile, NotImplementedError, RuntimeError, EOFError):
        return None


def _match_frames(frames: list[PhoneFrame], transforms_name: str, extracted: dict[str, Path]):
    """(photos, cameras, unposed): the frames' photos and cameras in transforms.json's order, and the names of
    photos that are frames without a pose (a listed frame without a usable transform_matrix, or a photo in
    the frames' folders that transforms.json does not list). Listed frames whose image is absent are left
    out, as in a partial copy of a dataset; photos elsewhere (depth maps, masks) are not frames. A camera is
    named by its photo's path beside transforms.json ("images/frame_00001.jpg"), as the phone named it."""
    base = posixpath.dirname("/".join(path_parts(transforms_name)))
    by_entry = {"/".join(path_parts(name)).lower(): ("/".join(path_parts(name)), path)
                for name, path in extracted.items()}
    photos, cameras, unposed, used = [], [], [], set()
    for frame in frames:
        key = _resolve(base, frame.file_path, by_entry)
        if key is None or key in used:
            continue
        used.add(key)
        entry, path = by_entry[key]
        name = posixpath.relpath(entry, base) if base else entry
        photos.append(path)
        if frame.camera_to_world is None:
            unposed.append(name)
            continue
        width, height = _stored_size(path)
        cameras.append(frame.camera(name, width, height, image_path=path))
    if not used:
        raise UnusablePoses("none of the images transforms.json lists is in the archive")
    folders = {posixpath.dirname(key) for key in used}
    for key, (entry, path) in by_entry.items():
        if key not in used and posixpath.dirname(key) in folders:
            unposed.append(posixpath.relpath(entry, base) if base else entry)
            photos.append(path)
    return photos, cameras, unposed


def _resolve(base: str, file_path: str, by_entry: dict) -> str | None:
    """The key in `by_entry` (archive names, lower case) of the image `file_path` names, relative to `base`."""
    relative = "/".join(path_parts(posixpath.normpath(posixpath.join(base, file_path.replace("\\", "/")))))
    key = relative.lower()
    if key in by_entry:
        return key
    if PurePosixPath(key).suffix not in IMAGE_SUFFIXES:  # NeRF-synthetic's "./train/r_0" names no suffix
        for suffix in sorted(IMAGE_SUFFIXES):
            if key + suffix in by_entry:
                return key + suffix
    return None


def _stored_size(path: Path) -> tuple[int, int]:
    """The image's size upright (EXIF orientation applied, as the training images are loaded), read from its
    header without decoding it."""
    with Image.open(path) as image:
        width, height = image.size
        turned = image.getexif().get(ExifTags.Base.Orientation) in (5, 6, 7, 8)  # a quarter turn either way
    return (height, width) if turned else (width, height)


@dataclass
class PoseCheck:
    """How the phone's poses fit a matched sample of their frames (see the module's docstring)."""

    frames: int  # sample frames matched
    pair_errors_degrees: list[float]  # per measured pair, the median epipolar error
    sample_dir: Path  # the sample's pictures, named as in `database`
    sample_cameras: list[Camera]  # the phone's cameras for them, at their size and under their names
    database: Path  # COLMAP's features and verified matches of the sample

    @property
    def pairs(self) -> int:
        return len(self.pair_errors_degrees)

    @property
    def median_error_degrees(self) -> float:
        return float(np.median(self.pair_errors_degrees)) if self.pair_errors_degrees else float("nan")

    @property
    def consistent(self) -> bool:
        return self.pairs >= MIN_CHECKED_PAIRS and self.median_error_degrees <= EPIPOLAR_TOLERANCE_DEGREES

    def summary(self) -> dict:
        return {"consistent": self.consistent, "frames": self.frames, "pairs": self.pairs,
                "median_error_degrees": round(self.median_error_degrees, 3) if self.pairs else None,
                "tolerance_degrees": EPIPOLAR_TOLERANCE_DEGREES}


def check_poses(cameras: list[Camera], work_dir, *, frame_size: int = HD_LONG_SIDE, num_threads: int = 2,
                report: Report | None = None) -> PoseCheck:
    """Matches a sample of the cameras' images (choose_sample), prepared at `frame_size`, and measures how
    well the cameras' epipolar geometry fits each verified pair's matches."""
    work_dir = Path(work_dir)
    sample = choose_sample(cameras)
    sample_dir = work_dir / "images"
    written = prepare_images([cameras[i].image_path for i in sample], sample_dir, max_size=frame_size, min_images=2)
    by_name = {}
    for path in written:  # prepare_images numbers its outputs by their position in the list
        camera = cameras[sample[int(path.stem) - 1]]
        with Image.open(path) as image:
            by_name[path.name] = replace(camera.scaled(*image.size), name=path.name, image_path=path)
    database = sfm.match_pictures(sample_dir, work_dir / "colmap", num_threads=num_threads, report=report)
    radius = _radius(cameras)
    errors = []
    for name_a, name_b, points_a, points_b in sfm.verified_matches(database):
        camera_a, camera_b = by_name.get(name_a), by_name.get(name_b)
        if camera_a is None or camera_b is None or len(points_a) < MIN_PAIR_INLIERS:
            continue
        if np.linalg.norm(camera_a.center - camera_b.center) < MIN_BASELINE_SHARE * radius:
            continue
        errors.append(float(np.median(epipolar_errors_degrees(camera_a, camera_b, points_a, points_b))))
    return PoseCheck(len(written), sorted(errors), sample_dir, list(by_name.values()), database)


def choose_sample(cameras: list[Camera], anchors: int = SAMPLE_ANCHORS, neighbours: int = NEIGHBOURS) -> list[int]:
    """Indices (sorted) of the frames to match: `anchors` frames spread evenly over the capture's order, each
    with the `neighbours` frames whose cameras look most the same way from nearby (by the phone's poses),
    leaving out frames taken from the very same spot."""
    count = len(cameras)
    if count <= anchors * (neighbours + 1):
        return list(range(count))
    forward = np.stack([c.camera_to_world[:3, 2] for c in cameras])
    centers = np.stack([c.center for c in cameras])
    radius = _radius(cameras)
    chosen: set[int] = set()
    for anchor in np.linspace(0, count - 1, anchors).round().astype(int):
        chosen.add(int(anchor))
        angle = np.arccos(np.clip(forward @ forward[anchor], -1.0, 1.0))
        distance = np.linalg.norm(centers - centers[anchor], axis=1) / radius
        closeness = angle + distance
        closeness[distance < MIN_BASELINE_SHARE] = np.inf  # itself, and frames from the same spot
        for index in np.argsort(closeness)[:neighbours]:
            if np.isfinite(closeness[index]):
                chosen.add(int(index))
    return sorted(chosen)


def epipolar_errors_degrees(camera_a: Camera, camera_b: Camera, points_a, points_b) -> np.ndarray:
    """Per match, how far the two points are from the epipolar lines the cameras predict for each other:
    the mean of the two point-to-line distances, each over its image's focal length, in degrees."""
    relative = camera_b.world_to_camera @ camera_a.camera_to_world  # camera a's frame into camera b's
    rotation, translation = relative[:3, :3], relative[:3, 3]
    essential = _skew(translation / (np.linalg.norm(translation) or 1.0)) @ rotation
    k_a, k_b = _intrinsic_matrix(camera_a), _intrinsic_matrix(camera_b)
    fundamental = np.linalg.inv(k_b).T @ essential @ np.linalg.inv(k_a)
    a = np.column_stack([np.asarray(points_a, dtype=np.float64), np.ones(len(points_a))])
    b = np.column_stack([np.asarray(points_b, dtype=np.float64), np.ones(len(points_b))])
    lines_in_b, lines_in_a = a @ fundamental.T, b @ fundamental
    residual = np.abs(np.sum(b * lines_in_b, axis=1))
    in_b = residual / np.maximum(np.hypot(lines_in_b[:, 0], lines_in_b[:, 1]), 1e-12)
    in_a = residual / np.maximum(np.hypot(lines_in_a[:, 0], lines_in_a[:, 1]), 1e-12)
    focal_a, focal_b = math.sqrt(camera_a.fx * camera_a.fy), math.sqrt(camera_b.fx * camera_b.fy)
    return np.degrees(0.5 * (np.arctan(in_a / focal_a) + np.arctan(in_b / focal_b)))


def _skew(v: np.ndarray) -> np.ndarray:
    return np.array([[0.0, -v[2], v[1]], [v[2], 0.0, -v[0]], [-v[1], v[0], 0.0]])


def _intrinsic_matrix(camera: Camera) -> np.ndarray:
    return np.array([[camera.fx, 0.0, camera.cx], [0.0, camera.fy, camera.cy], [0.0, 0.0, 1.0]])


def _radius(cameras: list[Camera]) -> float:
    centers = np.stack([c.center for c in cameras])
    return float(np.linalg.norm(centers - centers.mean(0), axis=1).max()) or 1.0


def _starting_points(cameras: list[Camera], check: PoseCheck, seed: int = 0):
    """(points, colours, how many were triangulated): the sample's matches triangulated with the phone's
    cameras first, then mid-grey random points in a ball around what the cameras look at, up to
    MIN_STARTING_POINTS."""
    points, colors = sfm.triangulate_known_poses(check.database, check.sample_dir, check.sample_cameras,
                                                 check.database.parent)
    triangulated = len(points)
    missing = MIN_STARTING_POINTS - triangulated
    if missing > 0:
        rng = np.random.default_rng(seed)
        center = looked_at(cameras)
        radius = 0.5 * float(np.median([np.linalg.norm(c.center - center) for c in cameras]))
        direction = rng.normal(size=(missing, 3))
        direction /= np.linalg.norm(direction, axis=1, keepdims=True)
        extra = center + direction * radius * rng.uniform(0, 1, (missing, 1)) ** (1 / 3)
        points = np.concatenate([points, extra])
        colors = np.concatenate([colors, np.full((missing, 3), 0.5)])
    return points, colors, triangulated


def looked_at(cameras: list[Camera]) -> np.ndarray:
    """The point nearest to every camera's optical axis (least squares): what an object capture looks at.
    Cameras all looking one way (no such point) give the point one median distance in front of them."""
    lhs, rhs = np.zeros((3, 3)), np.zeros(3)
    for camera in cameras:
        forward = camera.camera_to_world[:3, 2]
        off_axis = np.eye(3) - np.outer(forward, forward)
        lhs += off_axis
        rhs += off_axis @ camera.center
    if np.linalg.cond(lhs) < 1e6:
        return np.linalg.solve(lhs, rhs)
    centers = np.stack([c.center for c in cameras])
    forward = np.mean([c.camera_to_world[:3, 2] for c in cameras], axis=0)
    return centers.mean(0) + forward / (np.linalg.norm(forward) or 1.0) * _radius(cameras)


def _nothing(stage, done, total):
    pass
