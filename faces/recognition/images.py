"""Photo bytes to the RGB array the detector reads.

Uploads come in every shape a phone or an editor makes: EXIF-rotated JPEGs, PNGs with alpha or a palette,
16-bit and greyscale files. All of them become upright 8-bit RGB here. Big photos are decoded reduced
(JPEG's draft mode, then a resample) so that the longer side is at most `max_side`: detection time grows
with the pixel count, and a face large enough to recognise stays large enough after the reduction. The
array remembers the reduction (`DecodedImage.scale`), so find_faces still reports boxes in the original
photo's pixels.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageOps

from media.errors import MediaError
from media.images import DAMAGED, open_image

from .errors import UnreadableImage

# The longer side a photo is reduced to. Measured on the shared photos (faces/recognition/__init__.py):
# at 1024 px every photo gives the same faces and the same identities as at full size, and the largest
# (2333 px) decodes and detects about four times faster.
DEFAULT_MAX_SIDE = 1024

_WHITE = (255, 255, 255)


class DecodedImage(np.ndarray):
    """An HxWx3 uint8 RGB array that knows how many original pixels one of its pixels spans (`scale` >= 1)."""

    scale: float = 1.0

    def __new__(cls, pixels: np.ndarray, scale: float = 1.0):
        array = np.asarray(pixels).view(cls)
        array.scale = float(scale)
        return array

    def __array_finalize__(self, source):
        self.scale = getattr(source, "scale", 1.0)


def decode_image(data: bytes, *, max_pixels: int | None = None, max_side: int = DEFAULT_MAX_SIDE) -> DecodedImage:
    """The picture in `data` as upright RGB uint8 (HxWx3), its longer side at most `max_side`.

    `max_pixels` is the limit on the original picture (None: the process-wide one, media.images.configure).
    Raises UnreadableImage, with a message for the uploader, for anything that is not a decodable JPEG,
    PNG or WEBP within the limit.
    """
    try:
        with open_image(io.BytesIO(data), max_pixels=max_pixels) as image:
            width, height = image.size
            longer = max(width, height)
            if longer > max_side:
                # Draft picks the smallest JPEG scale (1/2, 1/4, 1/8) still at least this size.
                ratio = max_side / longer
                image.draft("RGB", (max(1, int(width * ratio)), max(1, int(height * ratio))))
            image.load()
            upright = ImageOps.exif_transpose(image)
            rgb = _to_rgb(upright)
            original_longer = longer
            if max(rgb.size) > max_side:
                rgb.thumbnail((max_side, max_side), Image.Resampling.BILINEAR, reducing_gap=2.0)
            pixels = np.asarray(rgb, dtype=np.uint8)
    except MediaError as error:
        raise UnreadableImage(str(error)) from error
    except (OSError, SyntaxError, ValueError, EOFError, IndexError) as error:
        raise UnreadableImage(DAMAGED) from error
    return DecodedImage(np.ascontiguousarray(pixels), scale=original_longer / max(pixels.shape[:2]))


def _to_rgb(image: Image.Image) -> Image.Image:
    mode = image.mode
    if mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        # Pillow's own I/F -> L conversion clips at 255 rather than scaling, which turns a 16-bit photo white.
        values = np.asarray(image, dtype=np.float32)
        top = 65535.0 if mode.startswith("I;16") or values.max() > 255 else 255.0
        grey = np.clip(values * (255.0 / top), 0, 255).astype(np.uint8)
        return Image.fromarray(grey, "L").convert("RGB")
    if mode == "P" and "transparency" in image.info:
        image, mode = image.convert("RGBA"), "RGBA"
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        # Transparent parts show white, not whatever colour the editor left under the alpha.
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, _WHITE + (255,))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image if mode == "RGB" else image.convert("RGB")
