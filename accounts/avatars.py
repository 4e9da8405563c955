"""Avatar photos: checked by content, turned upright, flattened, and kept as a JPEG plus a thumbnail.

An upload is accepted when its bytes are a complete JPEG or PNG image, whatever its name says, with
at most settings.IMAGE_MAX_PIXELS pixels (read from its header, before anything is decoded). Pillow
reads it straight from the uploaded file (in memory or spooled to disk by Django); a large JPEG is
decoded at a reduced scale. The results are written through Django storage, so local files and S3
behave the same.
"""

import tempfile

from django.conf import settings
from django.core.files import File
from PIL import Image, ImageOps

from core.errors import Invalid, NotFound
from media.errors import MediaError
from media.images import NotAnImage, TooManyPixels, open_image, reduce_for

ACCEPTED_FORMATS = ["JPEG", "PNG"]
JPEG_QUALITY = 92
# Multipart framing around the file: a request this much larger than the limit cannot hold a valid avatar.
MULTIPART_ALLOWANCE = 64 * 1024

NOT_AN_IMAGE = "The file is not a JPEG or PNG image. Upload a photo in JPEG or PNG format."
DAMAGED = "The image is damaged or incomplete. Upload the photo again, or export it again as JPEG or PNG."


def human_size(size):
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:g} {unit}"
    return f"{size} bytes"


def too_large():
    return Invalid(f"The image is larger than {human_size(settings.AVATAR_MAX_BYTES)}. Upload a smaller photo.")


def check_request_size(content_length):
    """Refuses an upload request that cannot hold an acceptable avatar, before its body is received."""
    if content_length > settings.AVATAR_MAX_BYTES + MULTIPART_ALLOWANCE:
        raise too_large()


def set_avatar(user, uploaded_file):
    """Replaces the user's avatar and thumbnail with the uploaded photo, or refuses it with a reason."""
    size = uploaded_file.size
    if size is None or size > settings.AVATAR_MAX_BYTES:
        raise too_large()
    if size == 0:
        raise Invalid("The file is empty. Upload a JPEG or PNG photo.")

    image = _upright_rgb(_decode(uploaded_file))
    image.thumbnail((settings.AVATAR_MAX_SIDE, settings.AVATAR_MAX_SIDE), Image.Resampling.LANCZOS, reducing_gap=3.0)
    thumbnail = image.copy()
    thumbnail.thumbnail(settings.AVATAR_THUMBNAIL_SIZE, Image.Resampling.LANCZOS, reducing_gap=3.0)
    avatar_file = _jpeg(image, "avatar.jpg")
    thumbnail_file = _jpeg(thumbnail, "thumbnail.jpg")

    # The names are fixed per user, so removing the old files first leaves nothing behind.
    with avatar_file, thumbnail_file:
        if user.avatar:
            user.avatar.delete(save=False)
        if user.avatar_thumbnail:
            user.avatar_thumbnail.delete(save=False)
        user.avatar.save("avatar.jpg", avatar_file, save=False)
        user.avatar_thumbnail.save("thumbnail.jpg", thumbnail_file, save=False)
    user.save(update_fields=["avatar", "avatar_thumbnail"])
    return user


def remove_avatar(user):
    """Deletes the user's photo and its thumbnail, files included; False when there was none."""
    if not (user.avatar or user.avatar_thumbnail):
        return False
    if user.avatar:
        user.avatar.delete(save=False)
    if user.avatar_thumbnail:
        user.avatar_thumbnail.delete(save=False)
    user.save(update_fields=["avatar", "avatar_thumbnail"])
    return True


def open_avatar(user, thumbnail=False):
    """The stored JPEG, opened for reading, or NotFound when none was uploaded."""
    field = user.avatar_thumbnail if thumbnail else user.avatar
    if not field:
        raise NotFound("No avatar has been uploaded yet. Upload one with POST /upload_avatar.")
    try:
        return field.storage.open(field.name, "rb")
    except FileNotFoundError as exc:
        raise NotFound("The avatar file is missing. Upload it again with POST /upload_avatar.") from exc


def _decode(uploaded_file):
    """The decoded image (reduced where the format allows), after checking from its header that it is a
    JPEG or PNG within the pixel limit, and from its structure that it is whole."""
    max_pixels = settings.IMAGE_MAX_PIXELS
    try:
        with open_image(uploaded_file, max_pixels=max_pixels, formats=ACCEPTED_FORMATS) as probe:
            probe.verify()  # chunk checksums and structure, without decoding
        image = open_image(uploaded_file, max_pixels=max_pixels, formats=ACCEPTED_FORMATS)
        return reduce_for(image, settings.AVATAR_MAX_SIDE)
    except NotAnImage as exc:
        raise Invalid(NOT_AN_IMAGE) from exc
    except TooManyPixels as exc:
        raise Invalid(exc.message) from exc
    except (MediaError, OSError, SyntaxError, ValueError, EOFError, IndexError) as exc:
        raise Invalid(DAMAGED) from exc


def _upright_rgb(image):
    """Applies the camera's EXIF orientation and lays any transparency onto white."""
    image = ImageOps.exif_transpose(image)
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N"):
        # 16-bit greyscale PNGs: scale to 8 bits instead of clipping to white.
        image = image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    if image.has_transparency_data:
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")


def _jpeg(image, name):
    buffer = tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE)
    image.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True)
    content = File(buffer, name=name)
    content.size = buffer.tell()
    buffer.seek(0)
    return content
