"""Decoding pictures for previews and reconstruction: photos upright on white, video frames scaled (and
HDR tone-mapped) by ffmpeg before they reach Python, photo sets in natural order, and a sharpness score."""

from __future__ import annotations

import functools
import logging
import re
import subprocess
from pathlib import Path

import imageio_ffmpeg
import numpy as np
from PIL import Image, ImageOps

from .errors import MediaError
from .images import open_image, reduce_for
from .probe import MediaInfo, ffmpeg_input_params, ffmpeg_url

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}


class _ReadFramesNoise(logging.Filter):
    # imageio-ffmpeg warns whenever the output size differs from the source, which is the point here.
    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("The frame size for reading")


logging.getLogger("imageio_ffmpeg").addFilter(_ReadFramesNoise())


def list_images(folder: Path) -> list[Path]:
    """The photos in `folder` in natural order (2.jpg before 10.jpg), hidden files left out."""
    files = [p for p in folder.iterdir()
             if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".")]
    return sorted(files, key=_natural_key)


def _natural_key(path: Path):
    return [(0, int(part), "") if part.isdigit() else (1, 0, part.lower()) for part in re.split(r"(\d+)", path.name)]


def sharpness(rgb: np.ndarray) -> float:
    """Variance of the Laplacian of the luminance: higher means more fine detail, i.e. less blur."""
    gray = rgb.astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    if gray.shape[0] < 3 or gray.shape[1] < 3:
        return 0.0
    lap = 4 * gray[1:-1, 1:-1] - gray[:-2, 1:-1] - gray[2:, 1:-1] - gray[1:-1, :-2] - gray[1:-1, 2:]
    return float(lap.var())


def fit_within(width: int, height: int, bound: int) -> tuple[int, int]:
    """(width, height) scaled so the longest side is at most `bound`; never enlarged."""
    scale = min(1.0, bound / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def load_rgb(path: Path, least: int, *, max_pixels: int | None = None) -> Image.Image | None:
    """The photo upright and on white where transparent; None if it cannot be read or has more than
    `max_pixels` pixels (None: the configured limit), which is checked before decoding. It is decoded
    reduced where the format allows, keeping both sides at least `least` pixels."""
    try:
        with open_image(path, max_pixels=max_pixels) as opened:
            im = ImageOps.exif_transpose(reduce_for(opened, least))
            if im.mode in ("RGBA", "LA", "PA") or "transparency" in im.info:
                rgba = im.convert("RGBA")
                im = Image.new("RGB", rgba.size, "white")
                im.paste(rgba, mask=rgba.getchannel("A"))
            return im.convert("RGB")
    except Exception as exc:  # one bad photo must not sink the preview of the whole set
        log.warning("skipping unreadable image %s (%s)", path.name, exc)
        return None


@functools.cache
def _has_filters(*names: str) -> bool:
    """Whether this ffmpeg build has these filters (zscale needs libzimg, which not every build links)."""
    try:
        out = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-filters"], capture_output=True,
                             timeout=30).stdout.decode("utf-8", "replace")
    except (OSError, subprocess.SubprocessError):
        return False
    present = {line.split()[1] for line in out.splitlines() if len(line.split()) > 2}
    return all(name in present for name in names)


def video_filter(info: MediaInfo, size: tuple[int, int], select: str = "") -> str:
    parts = [f"select='{select}'"] if select else []
    parts.append(f"scale={size[0]}:{size[1]}:flags=lanczos")
    if info.hdr and _has_filters("zscale", "tonemap"):
        # HLG/PQ phone video converted straight to 8-bit looks grey and washed out: tone-map it to SDR.
        # Done after scaling, where it costs little.
        parts.append("format=gbrpf32le,zscale=t=linear:npl=100,tonemap=hable:desat=0,zscale=t=bt709:p=bt709")
    return ",".join(parts)


def read_frames(path: Path, size: tuple[int, int], vf: str, *, before: list[str] = (), after: list[str] = ()):
    """Yields frames as HxWx3 uint8 arrays. ffmpeg rotates by the display matrix before the filters run,
    so `size` is in displayed orientation."""
    gen = imageio_ffmpeg.read_frames(ffmpeg_url(path), input_params=[*ffmpeg_input_params(), *before],
                                     output_params=["-vf", vf, "-fps_mode", "passthrough", *after])
    try:
        meta = next(gen)
        width, height = meta["size"]
        for raw in gen:
            yield np.frombuffer(raw, dtype=np.uint8).reshape(height, width, 3)
    except (OSError, RuntimeError) as exc:
        raise MediaError("The video could not be decoded; the file is damaged or uses an unsupported codec. "
                         "Upload it again, or export it as a standard H.264 .mp4.") from exc
    finally:
        gen.close()
