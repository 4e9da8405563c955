"""Opening the pictures people upload, with one pixel limit for every door (avatars, photos, image sets).

Image.open reads only the header; the pixels are decoded later, on load(). So the size is checked here
before anything is decoded: a 340 KB PNG that claims 9400×9400 pixels is refused in milliseconds, where
decoding it would take seconds and a gigabyte and a half. Callers then decode at a reduced scale where
the format allows (JPEG's draft mode, `reduce`).

The limit comes from the caller (the Django side passes settings.IMAGE_MAX_PIXELS); `configure` sets the
same number as Pillow's own decompression-bomb guard, which every other Image.open in the process obeys.
"""

from __future__ import annotations

import struct
import warnings
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from .errors import MediaError, two_numbers

# 48-megapixel phone photos (8064×6048) pass; one decoded RGBA picture this size takes 200 MB.
DEFAULT_MAX_PIXELS = 50_000_000
# Pillow plugins tried on uploads; others (XBM, EPS, ...) accept things that are not photos, even text.
IMAGE_FORMATS = ("JPEG", "PNG", "WEBP")  # Pillow opens multi-picture JPEGs (MPO) through JPEG

_REDUCIBLE_MODES = {"L", "LA", "RGB", "RGBA", "I", "F", "CMYK"}

DAMAGED = "The image file is damaged and cannot be read. Export or copy it again and re-upload."


class NotAnImage(MediaError):
    """The file is none of the accepted image formats."""

    def __init__(self, formats=IMAGE_FORMATS):
        kinds = sorted({"JPEG" if f.upper() == "MPO" else f.upper() for f in formats})
        names = " or ".join([", ".join(kinds[:-1]), kinds[-1]] if len(kinds) > 1 else kinds)
        super().__init__(f"The file is not a {names} image. Upload a photo in {names} format.")


class TooManyPixels(MediaError):
    """The picture has more pixels than the limit; `str()` names its size and the limit."""

    def __init__(self, width: int, height: int, max_pixels: int, *, subject: str = "The image",
                 advice: str = "Resize it and try again."):
        self.width, self.height, self.max_pixels = width, height, max_pixels
        actual, limit = two_numbers(width * height / 1e6, max_pixels / 1e6)
        super().__init__(f"{subject} is {width}×{height} ({actual} megapixels); the limit is {limit} megapixels. "
                         f"{advice}")


def configure(max_pixels: int) -> None:
    """Makes `max_pixels` the process-wide limit: the default of open_image and Pillow's own guard.

    Pillow refuses a picture over twice MAX_IMAGE_PIXELS on open (open_image turns that refusal into the
    same message as its own) and only warns between once and twice; open_image refuses there itself, so
    the warning says nothing new.
    """
    Image.MAX_IMAGE_PIXELS = max_pixels
    warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)


def configured_max_pixels() -> int | None:
    return Image.MAX_IMAGE_PIXELS


def open_image(source, *, max_pixels: int | None, formats=IMAGE_FORMATS) -> Image.Image:
    """The picture in `source` (a path or a binary file), opened but not decoded, once its header shows
    it is one of `formats` with at most `max_pixels` pixels (None: the configured limit).

    Raises NotAnImage for other files, TooManyPixels for pictures over the limit and MediaError for a
    header that cannot be read. Use it as a context manager, as Image.open.
    """
    limit = configured_max_pixels() if max_pixels is None else max_pixels
    try:
        image = Image.open(source, formats=list(formats))
    except UnidentifiedImageError as exc:
        raise NotAnImage(formats) from exc
    except Image.DecompressionBombError as exc:
        # Pillow's guard (configure) refused first; a caller's larger limit cannot lift it.
        guard = 2 * Image.MAX_IMAGE_PIXELS
        width, height = _header_size(source, formats) or (guard + 1, 1)
        raise TooManyPixels(width, height, min(limit, guard) if limit else guard) from exc
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error) as exc:
        raise MediaError(DAMAGED) from exc
    width, height = image.size
    if limit is not None and width * height > limit:
        image.close()
        raise TooManyPixels(width, height, limit)
    return image


def reduce_for(image: Image.Image, least: int) -> Image.Image:
    """`image` made smaller by a whole factor that keeps both sides at least `least` pixels.

    Call before load(): a JPEG is then decoded straight at 1/2, 1/4 or 1/8 scale (libjpeg's draft mode),
    which costs a fraction of a full decode in time and memory. Other formats are decoded in full and
    box-reduced, which still saves every later step (turning, converting, resampling) most of its work.
    """
    image.draft(None, (least, least))  # a no-op for formats without a draft mode
    image.load()
    factor = min(image.width // least, image.height // least) if least > 0 else 1
    # Palette indices and a transparent colour key cannot be averaged.
    if factor >= 2 and image.mode in _REDUCIBLE_MODES and "transparency" not in image.info:
        return image.reduce(factor)  # keeps image.info, EXIF orientation included
    return image


def _header_size(source, formats) -> tuple[int, int] | None:
    """The width and height in the header, read by the format's own plugin. Image.open refuses a picture
    over Pillow's guard before handing it back, so its refusal does not say how large the picture is."""
    Image.init()
    handle = open(source, "rb") if isinstance(source, str | Path) else source
    try:
        handle.seek(0)
        prefix = handle.read(16)
        for name in formats:
            factory, accept = Image.OPEN.get(name.upper(), (None, None))
            found = factory is not None and (accept is None or accept(prefix))
            if not found or isinstance(found, str):  # a string is Pillow's "recognised but unsupported"
                continue
            handle.seek(0)
            try:
                return factory(handle).size
            except (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error):
                continue
        return None
    finally:
        if handle is not source:
            handle.close()
