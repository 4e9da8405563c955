"""A thumbnail and a short looping GIF for a capture (a video, or a folder of photos).

ffmpeg scales frames down before they reach Python, and only the frames that end up in the preview
are kept, so memory stays small whatever the length or resolution of the video.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from .decode import fit_within, list_images, load_rgb, read_frames, sharpness, video_filter
from .errors import MediaError
from .probe import MediaInfo, probe

# Streaming decodes every frame; seeking decodes from the keyframe before each sample. Phone videos have
# a keyframe every 1-10 s, so seeking only pays off once samples are this many frames apart.
STREAM_MAX_FRAMES_PER_SAMPLE = 30
THUMBNAIL_WINDOW_S = 2.0  # the thumbnail is the sharpest frame of this stretch around the middle
THUMBNAIL_CANDIDATES = 8

Report = Callable[[str, int, int], None]


def make_preview(source, out_dir, *, report: Report | None = None, thumbnail_size: int = 512, gif_width: int = 320,
                 gif_frames: int = 24, gif_fps: float = 8, max_pixels: int | None = None) -> dict:
    """Writes ``out_dir/thumbnail.jpg`` (longest side <= thumbnail_size, a sharp frame near the middle)
    and ``out_dir/preview.gif`` (gif_frames frames spread evenly over the whole capture, gif_width wide,
    looping) and returns {"thumbnail": Path, "gif": Path}.

    A source shorter than gif_frames (fewer frames or photos) gives one GIF frame per frame or photo.
    GIF encoders merge identical consecutive frames, so a perfectly still picture can give fewer.
    Photos over `max_pixels` pixels (None: the configured limit, see media.images) are not decoded.
    """
    source, out_dir = Path(source), Path(out_dir)
    if gif_frames < 1 or gif_width < 1 or thumbnail_size < 1 or gif_fps <= 0:
        raise ValueError("gif_frames, gif_width, thumbnail_size and gif_fps must be positive")
    out_dir.mkdir(parents=True, exist_ok=True)
    progress = _Progress(report)
    if source.is_dir():
        images = list_images(source)
        if not images:
            raise MediaError("The image set holds no .jpg or .png photos to preview.")
        frames, thumbnail = _from_images(images, progress, thumbnail_size, gif_width, gif_frames, max_pixels)
    else:
        info = probe(source, max_pixels=max_pixels)
        if info.kind == "image":
            frames, thumbnail = _from_images([source], progress, thumbnail_size, gif_width, gif_frames, max_pixels)
        else:
            frames, thumbnail = _from_video(source, info, progress, thumbnail_size, gif_width, gif_frames)

    gif_path, thumb_path = out_dir / "preview.gif", out_dir / "thumbnail.jpg"
    frames[0].save(gif_path, save_all=True, append_images=frames[1:], duration=round(1000 / gif_fps), loop=0)
    thumbnail.save(thumb_path, "JPEG", quality=88)
    progress.finish()
    return {"thumbnail": thumb_path, "gif": gif_path}


class _Progress:
    """report("preview", done, total): one step per GIF frame, plus one for the thumbnail."""

    def __init__(self, report: Report | None):
        self.report, self.total, self.done = report, 1, 0

    def start(self, gif_frames: int) -> None:
        self.total = gif_frames + 1
        self._send()

    def step(self, done: int) -> None:
        if done > self.done:
            self.done = min(done, self.total - 1)
            self._send()

    def finish(self) -> None:
        self.done = self.total
        self._send()

    def _send(self) -> None:
        if self.report is not None:
            self.report("preview", self.done, self.total)


def _evenly(count: int, n: int) -> list[int]:
    """n indices spread over range(count), each at the middle of its share."""
    return [min(count - 1, int((i + 0.5) * count / n)) for i in range(n)]


def _gif_size(width: int, height: int, gif_width: int) -> tuple[int, int]:
    return gif_width, max(1, round(height * gif_width / width))


# Photos ------------------------------------------------------------------------------------------


def _from_images(images: list[Path], progress: _Progress, thumbnail_size: int, gif_width: int, gif_frames: int,
                 max_pixels: int | None):
    n = min(gif_frames, len(images))
    progress.start(n)
    frames: list[Image.Image] = []
    for i, index in enumerate(_evenly(len(images), n)):
        im = load_rgb(images[index], gif_width, max_pixels=max_pixels)
        if im is None:
            continue
        # The first readable photo sets the GIF's shape; photos of another shape are letterboxed into it.
        canvas = frames[0].size if frames else _gif_size(im.width, im.height, gif_width)
        frames.append(ImageOps.pad(im, canvas, Image.Resampling.LANCZOS, color="black"))
        progress.step(i + 1)
    if not frames:
        raise MediaError("None of the photos in the image set could be read. Upload .jpg or .png photos.")

    # Thumbnail: the sharpest of a few photos around the middle of the set.
    middle, half = len(images) // 2, THUMBNAIL_CANDIDATES // 2
    best, best_score = None, -1.0
    for path in images[max(0, middle - half): middle + half] or images:
        im = load_rgb(path, thumbnail_size, max_pixels=max_pixels)
        if im is None:
            continue
        im.thumbnail((thumbnail_size, thumbnail_size), Image.Resampling.LANCZOS)
        if (score := sharpness(np.asarray(im))) > best_score:
            best, best_score = im, score
    return frames, best or _shrunk(frames[len(frames) // 2], thumbnail_size)


# Videos ------------------------------------------------------------------------------------------


def _from_video(path: Path, info: MediaInfo, progress: _Progress, thumbnail_size: int, gif_width: int,
                gif_frames: int):
    n = max(1, min(gif_frames, info.frame_count))
    progress.start(n)
    size = _gif_size(info.width, info.height, gif_width)
    if info.frame_count <= STREAM_MAX_FRAMES_PER_SAMPLE * n:
        arrays = _stream_samples(path, info, size, n, progress)
    else:
        arrays = _seek_samples(path, info, size, n, progress)
    if not arrays:
        raise MediaError("No frames could be decoded from the video; the file is damaged. Upload it again.")
    frames = [Image.fromarray(a) for a in arrays]
    return frames, _video_thumbnail(path, info, thumbnail_size) or _shrunk(frames[len(frames) // 2], thumbnail_size)


def _shrunk(im: Image.Image, bound: int) -> Image.Image:
    im = im.copy()
    im.thumbnail((bound, bound))
    return im


def _stream_samples(path: Path, info: MediaInfo, size, n: int, progress: _Progress) -> list[np.ndarray]:
    """One decoding pass; ffmpeg passes on about 2n evenly spaced frames and n of them are kept.

    Twice as many as needed, because frame_count can be an estimate and the selection must still
    reach the end of the video.
    """
    step = max(1, info.frame_count // (2 * n))
    expected = max(1, -(-info.frame_count // step))
    picked: list[np.ndarray] = []
    for frame in read_frames(path, size, video_filter(info, size, rf"not(mod(n\,{step}))")):
        picked.append(np.array(frame))
        progress.step(len(picked) * n // expected)
    if len(picked) <= n:
        return picked
    return [picked[i] for i in _evenly(len(picked), n)]


def _seek_samples(path: Path, info: MediaInfo, size, n: int, progress: _Progress) -> list[np.ndarray]:
    """One short ffmpeg run per sample, seeking to the middle of each of n equal stretches; a few run at
    once, since each spends most of its time decoding from the keyframe before its sample."""
    vf = video_filter(info, size)

    # The container's duration can run past the last picture (a longer audio track): stay within the video.
    span = min(info.duration, info.frame_count / info.fps) if info.fps > 0 else info.duration

    def grab(i: int) -> np.ndarray | None:
        at = span * (i + 0.5) / n
        # Read to the end (one frame) so ffmpeg exits by itself instead of being stopped.
        got = [np.array(f) for f in read_frames(path, size, vf, before=["-ss", f"{at:.3f}"], after=["-frames:v", "1"])]
        return got[0] if got else None

    arrays: list[np.ndarray] = []
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        for i, frame in enumerate(pool.map(grab, range(n))):
            if frame is not None:
                arrays.append(frame)
            elif arrays:
                # A duration slightly longer than the stream: past its end, repeat the last frame.
                arrays.append(arrays[-1])
            progress.step(i + 1)
    return arrays


def _video_thumbnail(path: Path, info: MediaInfo, thumbnail_size: int) -> Image.Image | None:
    """The sharpest of a few frames in a short stretch around the middle (motion blur varies a lot)."""
    window = min(THUMBNAIL_WINDOW_S, info.duration)
    start = max(0.0, info.duration / 2 - window / 2)
    step = max(1, round(window * info.fps / THUMBNAIL_CANDIDATES))
    size = fit_within(info.width, info.height, thumbnail_size)
    best, best_score = None, -1.0
    frames = read_frames(path, size, video_filter(info, size, rf"not(mod(n\,{step}))"),
                   before=["-ss", f"{start:.3f}"], after=["-t", f"{max(window, 0.05):.3f}"])
    for frame in frames:
        score = sharpness(frame)
        if score > best_score:
            best, best_score = np.array(frame), score
    return Image.fromarray(best) if best is not None else None
