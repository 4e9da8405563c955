"""Image sets that come with their camera poses, so structure-from-motion is skipped.

- NeRF-synthetic (Blender): ``transforms_*.json`` with ``camera_angle_x`` and per-frame
  camera-to-world matrices in OpenGL's convention (x right, y up, looking along -z).
- LLFF: ``poses_bounds.npy``, one row of 17 numbers per image: a 3x5 matrix [R | t | (h, w, f)] whose
  rotation columns are the camera's (down, right, backwards) axes in the world, followed by the
  near and far depth bounds of the scene seen by that image.

Both loaders return a Scene in this package's conventions (scene.py): OpenCV world-to-camera
matrices, pixel intrinsics of the returned images (principal point at the image centre, NeRF's
convention), float RGB in [0, 1]. Images are returned as float32 H x W x 3 arrays in camera order.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from media.decode import list_images

from .errors import ReconstructionError
from .scene import Camera, Scene

# Random starting points: 3D Gaussian splatting starts synthetic scenes from 100k random points in a
# cube that holds the object (Kerbl et al. 2023); the Blender scenes fit in [-1.5, 1.5]^3.
DEFAULT_NUM_POINTS = 100_000
SYNTHETIC_HALF_EXTENT = 1.5

# LLFF's (down, right, backwards) camera axes, as columns, to OpenCV's (right, down, forwards).
LLFF_TO_OPENCV = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, -1.0]])


def load_nerf_synthetic(directory, *, split_file: str = "transforms_train.json", size: int | None = None,
                        white_background: bool = True, only_existing: bool = True,
                        num_points: int = DEFAULT_NUM_POINTS, seed: int = 0) -> tuple[Scene, list[np.ndarray]]:
    """A NeRF-synthetic split: cameras, images composited on white (or black), and `num_points`
    random points in [-1.5, 1.5]^3 coloured mid-grey (the scene has no point cloud of its own).

    size: most pixels on the long side of the returned images (None: as stored); intrinsics follow.
    only_existing: skip frames whose image file is absent (a partial copy of a dataset), rather than
        raising ReconstructionError.
    """
    directory = Path(directory)
    meta = _read_json(directory / split_file)
    try:
        angle_x = float(meta["camera_angle_x"])
        frames = list(meta["frames"])
    except (KeyError, TypeError, ValueError):
        raise ReconstructionError(f"{split_file} has no camera_angle_x or frames; it is not a NeRF-synthetic "
                                  "transforms file.")
    background = (255, 255, 255) if white_background else (0, 0, 0)
    cameras, images = [], []
    for frame in frames:
        path = directory / frame["file_path"]
        if not path.suffix:
            path = path.with_suffix(".png")
        if not path.is_file():
            if only_existing:
                continue
            raise ReconstructionError(f"The dataset lists {path.name}, which is missing.")
        stored = _open_rgb(path, background)
        focal = 0.5 * stored.width / math.tan(0.5 * angle_x)
        camera = Camera.from_opengl_camera_to_world(path.stem, frame["transform_matrix"], stored.width,
                                                    stored.height, focal, image_path=path)
        image = _resized(stored, size)
        cameras.append(camera.scaled(image.width, image.height))
        images.append(_to_float(image))
    if not cameras:
        raise ReconstructionError(f"None of the images listed in {split_file} are present.")
    rng = np.random.default_rng(seed)
    points = rng.uniform(-SYNTHETIC_HALF_EXTENT, SYNTHETIC_HALF_EXTENT, size=(num_points, 3))
    return Scene(cameras, points, np.full((num_points, 3), 0.5)), images


def load_llff(directory, *, size: int | None = None, num_points: int = DEFAULT_NUM_POINTS,
              seed: int = 0) -> tuple[Scene, list[np.ndarray], list[str]]:
    """An LLFF capture: ``poses_bounds.npy`` with its photos in ``images/``. Returns the Scene, the
    images and their file names.

    Row i of poses_bounds.npy belongs to the i-th image in plain sorted order of file names (1.jpg,
    10.jpg, 11.jpg, ..., 2.jpg), the order LLFF's imgs2poses writes; numeric order mismatches the
    poses of the multiview_milk set. The stored focal length is for the stored (h, w) and is scaled
    to the images found. Starting points: `num_points` samples spread over all cameras, each on the
    ray through a random pixel at a depth uniform in disparity between that image's near and far
    bounds, coloured by that pixel.
    """
    directory = Path(directory)
    try:
        rows = np.load(directory / "poses_bounds.npy", allow_pickle=False)
    except (OSError, ValueError):
        raise ReconstructionError("The dataset has no readable poses_bounds.npy.")
    if rows.ndim != 2 or rows.shape[1] != 17:
        raise ReconstructionError(f"poses_bounds.npy holds an array of shape {rows.shape}; LLFF's is (N, 17).")
    folder = directory / "images"
    paths = sorted(list_images(folder), key=lambda p: p.name) if folder.is_dir() else []
    if len(paths) != len(rows):
        raise ReconstructionError(f"poses_bounds.npy has {len(rows)} poses but images/ holds {len(paths)} photos.")

    poses = rows[:, :15].reshape(-1, 3, 5)
    bounds = rows[:, 15:]
    cameras, images = [], []
    for path, pose in zip(paths, poses, strict=True):
        image = _resized(_open_rgb(path, (255, 255, 255)), size)
        height, width, focal = pose[:, 4]
        camera_to_world = np.eye(4)
        camera_to_world[:3, :3] = pose[:, :3] @ LLFF_TO_OPENCV
        camera_to_world[:3, 3] = pose[:, 3]
        camera = Camera(path.name, round(width), round(height), float(focal), float(focal), width / 2.0,
                        height / 2.0, np.linalg.inv(camera_to_world), path)
        cameras.append(camera.scaled(image.width, image.height))
        images.append(_to_float(image))
    points, colors = _frustum_points(cameras, images, bounds, num_points, np.random.default_rng(seed))
    return Scene(cameras, points, colors), images, [p.name for p in paths]


def held_out_ids(directory) -> list[int]:
    """The test views an LLFF-style capture names in ``test_img_id.txt``: 0-based positions in the
    loader's camera order (the rows of poses_bounds.npy). Empty when the file is absent."""
    path = Path(directory) / "test_img_id.txt"
    if not path.is_file():
        return []
    return [int(token) for token in path.read_text().split()]


def load_image_set(source, size: int | None = None) -> list[np.ndarray]:
    """Photos as float32 H x W x 3 arrays in [0, 1], upright (EXIF orientation applied), transparency on
    white, long side at most `size` (None: as stored). `source` is a folder (natural order) or a list of paths
    (their order), e.g. ``[camera.image_path for camera in scene.cameras]``."""
    paths = list_images(Path(source)) if isinstance(source, str | Path) else [Path(p) for p in source]
    return [_to_float(_resized(_open_rgb(path, (255, 255, 255)), size)) for path in paths]


def _open_rgb(path: Path, background: tuple[int, int, int]) -> Image.Image:
    try:
        with Image.open(path) as opened:
            image = ImageOps.exif_transpose(opened)
            if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
                rgba = image.convert("RGBA")
                image = Image.alpha_composite(Image.new("RGBA", rgba.size, (*background, 255)), rgba)
            image = image.convert("RGB")
    except Exception as exc:
        raise ReconstructionError(f"The image {path.name} cannot be read ({exc}).") from exc
    return image


def _resized(image: Image.Image, size: int | None) -> Image.Image:
    """`image` with its long side at most `size`; unchanged for None. Never enlarged: enlarging adds no
    detail to train on and costs the rasteriser the square of the factor."""
    if size is None or max(image.size) <= size:
        return image
    scale = size / max(image.size)
    return image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))),
                        Image.Resampling.LANCZOS)


def _to_float(image: Image.Image) -> np.ndarray:
    return np.asarray(image, dtype=np.float32) / 255.0


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        raise ReconstructionError(f"{path.name} is missing or is not valid JSON.")


def _frustum_points(cameras: list[Camera], images: list[np.ndarray], bounds: np.ndarray, count: int,
                    rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    per_camera = np.bincount(rng.integers(0, len(cameras), count), minlength=len(cameras))
    points, colors = [], []
    for camera, image, (near, far), n in zip(cameras, images, bounds, per_camera, strict=True):
        x = rng.integers(0, camera.width, n)
        y = rng.integers(0, camera.height, n)
        depth = 1.0 / rng.uniform(1.0 / far, 1.0 / near, n)
        # Pixel centres are at +0.5 in this convention; OpenCV camera frame, z = depth.
        in_camera = np.stack([(x + 0.5 - camera.cx) / camera.fx * depth, (y + 0.5 - camera.cy) / camera.fy * depth,
                              depth, np.ones(n)], axis=1)
        points.append((in_camera @ camera.camera_to_world.T)[:, :3])
        colors.append(image[y, x].astype(np.float64))
    return np.concatenate(points), np.concatenate(colors)
