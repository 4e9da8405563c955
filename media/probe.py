"""What an uploaded file really is: kind, container, codec, size, duration, without decoding it.

Images are read with Pillow, videos with the ffmpeg binary that imageio-ffmpeg ships. Every ffmpeg
call is restricted to local files and to the demuxers below, so a crafted upload (an HLS playlist
renamed .mp4, say) cannot make ffmpeg open URLs or other files on the server.
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import imageio_ffmpeg

from .errors import MediaError, two_numbers
from .images import NotAnImage, open_image

# Demuxers ffmpeg may use on uploads: phone and browser recordings, nothing that reads other files.
VIDEO_DEMUXERS = "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi"
PROBE_TIMEOUT_S = 120

# What a file's extension promises about its content.
_VIDEO_EXTENSIONS = {".mp4": {"mp4", "mov", "3gp"}, ".m4v": {"mp4", "mov"}, ".mov": {"mp4", "mov"},
                     ".webm": {"webm", "mkv"}, ".mkv": {"mkv", "webm"}, ".avi": {"avi"}}
_IMAGE_EXTENSIONS = {".jpg": "jpeg", ".jpeg": "jpeg", ".png": "png", ".webp": "webp"}
_FORMAT_NAMES = {"mp4": "an MP4 video", "mov": "a QuickTime (.mov) video", "3gp": "a 3GP video",
                 "webm": "a WebM video", "mkv": "a Matroska (.mkv) video", "avi": "an AVI video",
                 "jpeg": "a JPEG image", "png": "a PNG image", "webp": "a WebP image"}


@dataclass(frozen=True)
class MediaInfo:
    kind: str  # "video" or "image"
    format: str  # container or image format, short: "mp4", "mov", "webm", "jpeg", "png", ...
    codec: str  # video codec ("h264", "hevc", ...) or the image format again
    width: int  # as displayed, i.e. after rotation metadata / EXIF orientation
    height: int
    duration: float  # seconds; 0 for images
    fps: float  # 0 for images
    frame_count: int  # 1 for images
    size_bytes: int
    pix_fmt: str = ""  # ffmpeg pixel format ("yuv420p10le") or Pillow mode ("RGBA")
    has_audio: bool = False
    rotation: int = 0  # degrees the player turns the picture (0, 90, 180, 270)
    hdr: bool = False  # HLG or PQ transfer: needs tone mapping to look right as 8-bit

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def probe(path, declared_name: str | None = None, *, max_pixels: int | None = None) -> MediaInfo:
    """Reads what `path` holds. With `declared_name` (the uploader's file name), its extension must
    match the content. Raises MediaError for anything that is not a readable video or image, and for
    an image over `max_pixels` (None: the configured limit, see media.images) before decoding it."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError:
        raise MediaError("The uploaded file could not be found on the server; upload it again.")
    if size == 0:
        raise MediaError("The file is empty (0 bytes). Upload the video or photo itself.")
    ext = _extension(declared_name)
    if ext == ".zip":
        raise MediaError("This is a .zip archive; send it as an image set (bulk images), not as a video or photo.")
    if ext and ext not in _VIDEO_EXTENSIONS and ext not in _IMAGE_EXTENSIONS:
        raise MediaError(f"Files ending in {ext} are not accepted. Upload an .mp4 video or a .jpg or .png photo.")

    info = probe_image(path, size, max_pixels=max_pixels)
    if info is None:
        info = _probe_video(path, size, ext)
    if ext:
        _check_extension(info, ext)
    return info


def _extension(declared_name: str | None) -> str:
    if not declared_name:
        return ""
    # Storage names and browser file names may carry folders, with either slash.
    return PurePosixPath(str(declared_name).replace("\\", "/")).suffix.lower()


def _check_extension(info: MediaInfo, ext: str) -> None:
    what = _describe(info)
    if ext in _IMAGE_EXTENSIONS:
        expected = _IMAGE_EXTENSIONS[ext]
        if info.format != expected:
            raise MediaError(f"This file is named {ext} but it is {what}, not {_FORMAT_NAMES[expected]}. "
                             f"Upload a real {ext} file, or keep the file's own extension.")
    elif info.format not in _VIDEO_EXTENSIONS[ext]:
        raise MediaError(f"This file is named {ext} but it is {what}. Upload a real {ext} video file.")


def _describe(info: MediaInfo) -> str:
    return _FORMAT_NAMES.get(info.format, f"a {info.format} {info.kind}")


# Images ------------------------------------------------------------------------------------------


def probe_image(path, size: int | None = None, *, max_pixels: int | None = None) -> MediaInfo | None:
    """MediaInfo for a JPEG/PNG/WebP, None when Pillow does not recognise the file as one; MediaError
    when it is one but damaged or truncated, and TooManyPixels (before decoding) when it has more than
    `max_pixels` pixels (None: the configured limit)."""
    path = Path(path)
    if size is None:
        size = path.stat().st_size
    try:
        with open_image(path, max_pixels=max_pixels) as im:
            fmt = "jpeg" if im.format in ("JPEG", "MPO") else im.format.lower()
            width, height = im.size
            mode = im.mode
            # verify() checks the structure (PNG chunk checksums); it must come first and spoils the image.
            im.verify()
    except NotAnImage:
        return None
    except MediaError:
        raise
    except Exception:
        raise MediaError("The image file is damaged and cannot be read. Export or copy it again and re-upload.")
    orientation = _decode_check(path, max_pixels)
    if orientation in (5, 6, 7, 8):  # EXIF orientations that turn the picture by 90 degrees
        width, height = height, width
    return MediaInfo(kind="image", format=fmt, codec=fmt, width=width, height=height, duration=0.0, fps=0.0,
                     frame_count=1, size_bytes=size, pix_fmt=mode, has_audio=False)


def _decode_check(path: Path, max_pixels: int | None) -> int:
    """Decodes the whole image stream once (the only way to notice a truncated JPEG); returns the EXIF
    orientation."""
    try:
        with open_image(path, max_pixels=max_pixels) as im:
            orientation = im.getexif().get(0x0112, 1)
            # draft() lets libjpeg decode at 1/8 scale: every byte is still read, at a fraction of the cost.
            im.draft("RGB", (max(1, im.width // 8), max(1, im.height // 8)))
            im.load()
            return orientation
    except Exception:
        raise MediaError("The image file is incomplete or damaged (it may have been cut off while copying). "
                         "Upload it again.")


# Videos ------------------------------------------------------------------------------------------


def ffmpeg_input_params() -> list[str]:
    """ffmpeg options that go before ``-i`` on every call on an uploaded file."""
    return ["-protocol_whitelist", "file", "-format_whitelist", VIDEO_DEMUXERS]


def ffmpeg_url(path) -> str:
    # "file:" keeps a name like "c:clip.mp4" from being read as a protocol.
    return "file:" + str(Path(path).resolve())


def _probe_video(path: Path, size: int, ext: str) -> MediaInfo:
    # Copying the video packets to nowhere reads the container without decoding: it counts the frames
    # and reports a file cut off before its end ("partial file"), in well under a second for phone videos.
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", *ffmpeg_input_params(),
           "-i", ffmpeg_url(path), "-map", "0:v:0", "-c", "copy", "-f", "null", "-"]
    try:
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              timeout=PROBE_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise MediaError(f"Reading this file took longer than {PROBE_TIMEOUT_S} s, so it was refused. "
                         "Upload a shorter or standard .mp4 video.")
    return parse_ffmpeg_output(proc.stderr.decode("utf-8", "replace"), size=size, ext=ext)


def parse_ffmpeg_output(text: str, *, size: int, ext: str = "") -> MediaInfo:
    """MediaInfo from the stderr of ``ffmpeg -i FILE -map 0:v:0 -c copy -f null -``."""
    text = text.replace("\r", "\n")
    container = re.search(r"^Input #0, (.+?), from ", text, re.M)
    if container is None:
        if ext in _IMAGE_EXTENSIONS:
            raise MediaError(f"This file is named {ext} but is not {_FORMAT_NAMES[_IMAGE_EXTENSIONS[ext]]} that can "
                             "be read (it is damaged, incomplete or another kind of file). Upload the photo itself.")
        raise MediaError("This file is not a video or photo that can be read (it is another kind of file, or it "
                         "is damaged or incomplete). Upload an .mp4 video or a .jpg or .png photo.")
    demuxer = container.group(1)
    streams = _stream_blocks(text)
    video = next((s for s in streams if " Video: " in s[0] and "(attached pic)" not in s[0]), None)
    if video is None:
        raise MediaError(f"This file has no video track (ffmpeg reads it as {demuxer}). Upload a video recording.")
    line = video[0]
    spec = line.split(" Video: ", 1)[1]
    codec = spec.split()[0].rstrip(",")
    dims = re.search(r"\s([1-9]\d*)x([1-9]\d*)(?=[,\s])", line)
    if dims is None:
        raise MediaError("The video's picture size cannot be read; the file is damaged. Upload it again.")
    width, height = int(dims.group(1)), int(dims.group(2))
    pix = _pix_fmt_field(spec)
    pix_fmt = pix.split("(", 1)[0].strip()
    hdr = "arib-std-b67" in pix or "smpte2084" in pix
    fps = _rate(line, "fps") or _rate(line, "tbr")
    rotation = _rotation("\n".join(video))
    if rotation in (90, 270):
        width, height = height, width

    duration = 0.0
    match = re.search(r"Duration: (\d+):(\d+):(\d+(?:\.\d+)?)", text)
    if match:
        duration = int(match.group(1)) * 3600 + int(match.group(2)) * 60 + float(match.group(3))
    counted = [int(n) for n in re.findall(r"^frame=\s*(\d+)", text, re.M)]
    frame_count = counted[-1] if counted else 0
    if "partial file" in text:
        raise MediaError("The video file is incomplete (it ends before the end its header promises); "
                         "the upload or copy was cut off. Upload it again.")
    if frame_count == 0:
        frame_count = round(fps * duration)
    if frame_count <= 0 or (duration <= 0 and fps <= 0):
        raise MediaError("The video has no readable frames; the file is damaged or incomplete. Upload it again.")
    if duration <= 0:
        duration = frame_count / fps

    return MediaInfo(kind="video", format=_container_name(demuxer, text, codec), codec=codec, width=width,
                     height=height, duration=round(duration, 3), fps=fps, frame_count=frame_count,
                     size_bytes=size, pix_fmt=pix_fmt, has_audio=any(" Audio: " in s[0] for s in streams),
                     rotation=rotation, hdr=hdr)


def _stream_blocks(text: str) -> list[list[str]]:
    """The input's stream lines, each with the indented lines under it (metadata, side data)."""
    blocks: list[list[str]] = []
    for line in text.split("\n"):
        if line.startswith(("Stream mapping", "Output #", "Press [q]")):
            break
        if re.match(r"\s+Stream #0:\d+", line):
            blocks.append([line])
        elif blocks and line.startswith("      "):
            blocks[-1].append(line)
    return blocks


def _pix_fmt_field(spec: str) -> str:
    # The fields after "Video:" are comma-separated, but commas inside parentheses belong to one field.
    fields = re.split(r",\s*(?![^()]*\))", spec)
    return fields[1].strip() if len(fields) > 1 else ""


def _rate(line: str, unit: str) -> float:
    match = re.search(rf"\s(\d+(?:\.\d+)?)(k?) {unit}\b", line)
    if not match:
        return 0.0
    return float(match.group(1)) * (1000 if match.group(2) else 1)


def _rotation(block: str) -> int:
    """Degrees the stored picture is turned for display, from the display matrix or old 'rotate' tag."""
    match = re.search(r"display ?matrix: rotation of (-?\d+(?:\.\d+)?) degrees", block, re.I)
    if match is None:
        match = re.search(r"^\s+rotate\s*:\s*(-?\d+)", block, re.M)
    if match is None:
        return 0
    return round(float(match.group(1)) / 90) * 90 % 360


def _container_name(demuxer: str, text: str, codec: str) -> str:
    if demuxer.startswith("mov,"):
        brand = re.search(r"major_brand\s*:\s*(\S+)", text)
        brand = brand.group(1).lower() if brand else ""
        if brand == "qt":
            return "mov"
        return "3gp" if brand.startswith("3g") else "mp4"
    if demuxer.startswith("matroska"):
        # ffmpeg names both with one demuxer; WebM is the Matroska subset with VP8/VP9/AV1.
        return "webm" if codec in ("vp8", "vp9", "av1") else "mkv"
    return demuxer.split(",")[0]


# Limits ------------------------------------------------------------------------------------------

_RESOLUTION_NAMES = {(854, 480): "SD", (1280, 720): "HD", (1920, 1080): "FHD", (2560, 1440): "QHD",
                     (3840, 2160): "4K UHD", (7680, 4320): "8K UHD"}


def check_limits(info: MediaInfo, *, formats=None, min_bytes=None, max_bytes=None, min_duration=None,
                 max_duration=None, max_pixels=None, max_width=None, max_height=None, min_width=None,
                 min_height=None, max_resolution=None, min_resolution=None) -> None:
    """Raises MediaError naming the first limit `info` breaks and its actual value.

    `max_resolution` / `min_resolution` are (long side, short side) bounds that hold in either
    orientation: (1920, 1080) accepts 1080x1920 portrait video. Durations apply to videos only.
    """
    noun = "video" if info.kind == "video" else "image"
    if formats is not None and info.format not in set(formats):
        accepted = ", ".join(sorted(formats))
        raise MediaError(f"The file is {_describe(info)}; accepted formats: {accepted}.")
    if max_bytes is not None and info.size_bytes > max_bytes:
        actual, limit = two_sizes(info.size_bytes, max_bytes)
        raise MediaError(f"The file is {actual}; the limit is {limit}.")
    if min_bytes is not None and info.size_bytes < min_bytes:
        actual, limit = two_sizes(info.size_bytes, min_bytes)
        raise MediaError(f"The file is {actual}; it must be at least {limit}.")
    if info.kind == "video":
        if max_duration is not None and info.duration > max_duration:
            actual, limit = two_numbers(info.duration, max_duration)
            raise MediaError(f"The video is {actual} s long; the limit is {limit} s.")
        if min_duration is not None and info.duration < min_duration:
            actual, limit = two_numbers(info.duration, min_duration)
            raise MediaError(f"The video is {actual} s long; it must be at least {limit} s.")
    dims = f"{info.width}x{info.height}"
    if max_pixels is not None and info.width * info.height > max_pixels:
        actual, limit = two_numbers(info.width * info.height / 1e6, max_pixels / 1e6)
        raise MediaError(f"The {noun} is {dims} ({actual} megapixels); the limit is {limit} megapixels.")
    if max_width is not None and info.width > max_width:
        raise MediaError(f"The {noun} is {info.width} pixels wide; the limit is {max_width}.")
    if max_height is not None and info.height > max_height:
        raise MediaError(f"The {noun} is {info.height} pixels high; the limit is {max_height}.")
    if (min_width is not None and info.width < min_width) or (min_height is not None and info.height < min_height):
        want = f"{min_width or 1}x{min_height or 1}"
        raise MediaError(f"The {noun} is {dims}; it must be at least {want} pixels.")
    long_side, short_side = max(info.width, info.height), min(info.width, info.height)
    if max_resolution is not None:
        bound = (max(max_resolution), min(max_resolution))
        if long_side > bound[0] or short_side > bound[1]:
            raise MediaError(f"The {noun} is {dims}; the limit is {_resolution_name(bound)}.")
    if min_resolution is not None:
        bound = (max(min_resolution), min(min_resolution))
        if long_side < bound[0] or short_side < bound[1]:
            raise MediaError(f"The {noun} is {dims}; it must be at least {_resolution_name(bound)}.")


def _resolution_name(bound: tuple[int, int]) -> str:
    name = _RESOLUTION_NAMES.get(bound)
    return f"{name} ({bound[0]}x{bound[1]})" if name else f"{bound[0]}x{bound[1]}"


def _size_unit(n: int) -> tuple[str, int]:
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if n >= scale:
            return unit, scale
    return "bytes", 1


def two_sizes(actual: int, limit: int) -> tuple[str, str]:
    """Sizes in the limit's unit (MB = 1024 * 1024 bytes, as in the upload limits)."""
    unit, scale = _size_unit(limit)
    a, b = two_numbers(actual / scale, limit / scale)
    return f"{a} {unit}", f"{b} {unit}"
