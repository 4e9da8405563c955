"""The pictures structure-from-motion starts from: the sharpest frames of a video, or a set of photos.

Both entry points write JPEGs (quality 95) into a folder, in capture order, at a working resolution
whose long side is at most `max_size` (never enlarged). The seeds' `resize` flag asks for HD, which
here means a long side of 1280 px (1280x720 landscape, 720x1280 portrait): enough detail for SIFT
and splatting, and a quarter of the pixels of full HD.

Decoding reuses media: the same locked-down ffmpeg invocation as for previews (local files
and phone/browser demuxers only) and the same tone mapping, so 10-bit HLG/PQ phone video comes out
with normal contrast instead of grey and washed out.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
from PIL import Image

from media import MediaError, extract_images, probe
from media.decode import fit_within, list_images, load_rgb, read_frames, sharpness, video_filter

from .errors import ReconstructionError

Report = Callable[[str, int, int], None]

HD_LONG_SIDE = 1280
# Fewer pictures than this cannot give a usable reconstruction, whatever the method.
MIN_FRAMES = 8
# Frames compared for sharpness in each time window; a 60 fps video has far more than needed, so
# ffmpeg drops the rest before they are converted and sent to Python.
CANDIDATES_PER_WINDOW = 12
JPEG_QUALITY = 95

# Motion check: grey thumbnails this size (long side) average away sensor and compression noise, and
# frames this far apart are compared, so the measure does not depend on how many frames are kept.
MOTION_THUMBNAIL = 32
MOTION_GAP_S = 0.5
# Mean absolute grey-level difference (0-255) below which the camera is taken to stand still. A tripod
# shot measures well under 1; walking around an object measures tens.
MIN_MOTION = 3.0


def extract_frames(video_path, out_dir, *, target_count: int = 120, max_size: int = HD_LONG_SIDE,
                   min_frames: int = MIN_FRAMES, report: Report | None = None) -> list[Path]:
    """Writes the sharpest frame of each of `target_count` equal stretches of the video to
    ``out_dir/00001.jpg``, ``00002.jpg``, ... and returns their paths in time order.

    Sharpness is the variance of the Laplacian of the luminance: motion blur and missed focus remove
    exactly the fine detail it measures. Stretches are equal in frame count, which is equal in time
    for the constant frame rate phones record at. Frames are decoded one at a time and only the best
    of the current stretch is held, so memory does not grow with the video's length.

    Raises ReconstructionError when the file is not a readable video, when fewer than `min_frames`
    frames come out, or when the camera barely moves over the whole video.
    report("frames", done, total) follows the stretches.
    """
    if target_count < 1 or max_size < 1:
        raise ValueError("target_count and max_size must be positive")
    video_path, out_dir = Path(video_path), Path(out_dir)
    try:
        info = probe(video_path)
    except MediaError as exc:
        raise ReconstructionError(str(exc)) from exc
    if info.kind != "video":
        raise ReconstructionError("This is a single photo, not a video. Upload a video that moves around the "
                                  "object, or a set of photos of it taken from all sides.")
    if info.frame_count < min_frames:
        raise _too_few(info.frame_count, min_frames, "frames")

    windows = min(target_count, info.frame_count)
    step = max(1, info.frame_count // (windows * CANDIDATES_PER_WINDOW))
    size = fit_within(info.width, info.height, max_size)
    select = rf"not(mod(n\,{step}))" if step > 1 else ""
    out_dir.mkdir(parents=True, exist_ok=True)

    picker = _SharpestPerWindow(out_dir, windows, report)
    try:
        for k, frame in enumerate(read_frames(video_path, size, video_filter(info, size, select))):
            # The k-th frame ffmpeg passes on is frame k*step of the video; the last window takes any
            # frames past the count probe() gave.
            picker.offer(min(windows - 1, k * step * windows // info.frame_count), frame)
    except MediaError as exc:
        raise ReconstructionError(str(exc)) from exc
    paths = picker.finish()

    if len(paths) < min_frames:
        raise _too_few(len(paths), min_frames, "frames")
    seconds_apart = info.duration / len(paths) if info.duration > 0 else 1.0  # between kept frames
    gap = max(1, math.ceil(MOTION_GAP_S / seconds_apart))
    if motion(picker.thumbnails, gap) < MIN_MOTION:
        raise ReconstructionError("The video barely moves: the camera has to travel for the object to be seen "
                                  "in 3D. Walk slowly around the object, keeping it in view, and film again.")
    return paths


class _SharpestPerWindow:
    """Keeps the sharpest frame offered for the current window and writes it when the window ends."""

    def __init__(self, out_dir: Path, windows: int, report: Report | None):
        self.out_dir, self.windows, self.report = out_dir, windows, report
        self.window, self.best, self.best_score = -1, None, -1.0
        self.paths: list[Path] = []
        self.thumbnails: list[np.ndarray] = []  # small grey copies of the kept frames, for motion()

    def offer(self, window: int, frame: np.ndarray) -> None:
        if window != self.window:
            self._flush()
            self.window = window
        score = sharpness(frame)
        if score > self.best_score:
            self.best, self.best_score = frame, score

    def finish(self) -> list[Path]:
        self._flush()
        if self.report is not None:
            self.report("frames", self.windows, self.windows)
        return self.paths

    def _flush(self) -> None:
        if self.best is None:
            return
        image = Image.fromarray(self.best)
        path = self.out_dir / f"{len(self.paths) + 1:05d}.jpg"
        image.save(path, "JPEG", quality=JPEG_QUALITY)
        self.paths.append(path)
        self.thumbnails.append(_grey_thumbnail(image))
        self.best, self.best_score = None, -1.0
        if self.report is not None:
            self.report("frames", min(self.window + 1, self.windows), self.windows)


def _grey_thumbnail(image: Image.Image) -> np.ndarray:
    image = image.convert("L")
    image.thumbnail((MOTION_THUMBNAIL, MOTION_THUMBNAIL), Image.Resampling.BOX)
    return np.asarray(image, dtype=np.float32)


def motion(thumbnails: list[np.ndarray], gap: int = 1) -> float:
    """Mean absolute grey-level difference (0-255) between thumbnails `gap` apart: about 0 for a camera
    standing still, tens for one walking around an object."""
    if len(thumbnails) < 2:
        return 0.0
    gap = min(gap, len(thumbnails) - 1)
    return float(np.mean([np.abs(a - b).mean() for a, b in zip(thumbnails, thumbnails[gap:], strict=False)]))


def prepare_images(source, out_dir, *, max_size: int = HD_LONG_SIDE, min_images: int = MIN_FRAMES,
                   report: Report | None = None) -> list[Path]:
    """Writes the photos of `source` (a folder, a .zip, or a list of image paths) upright, as RGB
    (transparency on white) and at most `max_size` on their long side to ``out_dir/00001.jpg``, ...

    The number in each output name is the photo's 1-based position in `source` (natural order for a
    folder or zip: 2.jpg before 10.jpg), so outputs can be traced back to inputs; a photo that cannot
    be read is skipped with a warning and its number left out. Returns the written paths in order.

    Raises ReconstructionError when fewer than `min_images` photos can be read.
    report("frames", done, total) follows the photos.
    """
    if max_size < 1:
        raise ValueError("max_size must be positive")
    out_dir = Path(out_dir)
    with tempfile.TemporaryDirectory() as unpacked:
        inputs = _list_inputs(source, Path(unpacked))
        out_dir.mkdir(parents=True, exist_ok=True)
        paths: list[Path] = []
        for index, path in enumerate(inputs, 1):
            image = load_rgb(path, max_size)
            if image is not None:
                image.thumbnail((max_size, max_size), Image.Resampling.LANCZOS)
                paths.append(out_dir / f"{index:05d}.jpg")
                image.save(paths[-1], "JPEG", quality=JPEG_QUALITY)
            if report is not None:
                report("frames", index, len(inputs))
    if len(paths) < min_images:
        raise _too_few(len(paths), min_images, "photos")
    return paths


def _list_inputs(source, unpack_dir: Path) -> list[Path]:
    if isinstance(source, str | Path):
        source = Path(source)
        if source.is_dir():
            return list_images(source)
        if source.suffix.lower() == ".zip":
            try:
                return extract_images(source, unpack_dir)
            except MediaError as exc:
                raise ReconstructionError(str(exc)) from exc
        return [source]
    if isinstance(source, Iterable):
        return [Path(p) for p in source]
    raise TypeError(f"expected a folder, a .zip or a list of image paths, not {type(source).__name__}")


def _too_few(count: int, needed: int, noun: str) -> ReconstructionError:
    if noun == "frames":
        advice = "Film a longer video (10 seconds or more), walking slowly all around the object."
        what = "video"
    else:
        advice = f"Upload at least {needed} photos of the object, taken from all around it."
        what = "image set"
    return ReconstructionError(f"The {what} gives only {count} usable {noun}; at least {needed} are needed to "
                               f"reconstruct an object. {advice}")
