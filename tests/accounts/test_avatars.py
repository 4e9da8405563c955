"""The avatar service: what it accepts, what it refuses, and what it stores."""

import io
import struct
import zlib

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageFile

from accounts import avatars
from core.errors import Invalid, NotFound
from tests.data import SHARED_DATA, needs
from tests.pictures import black_png

DATA = SHARED_DATA
PHOTO = DATA / "avatar" / "mimicmotion_demo1.jpg"  # 1080x1920 RGB JPEG
RGBA_PHOTO = DATA / "faces" / "unittest_32bit.png"  # 626x1200 RGBA PNG
JPEG_NAMED_PNG = DATA / "avatar" / "musepose_ref.png"  # a JPEG whose name ends in .png

pytestmark = pytest.mark.django_db

RED, BLUE, GREEN, WHITE = (220, 20, 20), (20, 20, 220), (20, 200, 20), (255, 255, 255)


def encode(image, fmt, **options):
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def two_colour(size=(80, 40), left=RED, right=BLUE, mode="RGB"):
    """Left half one colour, right half another."""
    image = Image.new(mode, size, right)
    image.paste(left, (0, 0, size[0] // 2, size[1]))
    return image


def upload(content, name="photo.jpg", content_type="image/jpeg"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def stored(field):
    with field.storage.open(field.name, "rb") as handle:
        image = Image.open(handle)
        image.load()
    return image


def close_to(pixel, colour, tolerance=40):
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=True))


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


# --- what is accepted -----------------------------------------------------------------------

def test_a_jpeg_becomes_the_avatar_and_a_thumbnail(user):
    avatars.set_avatar(user, upload(encode(two_colour((600, 300)), "JPEG")))

    user.refresh_from_db()
    avatar, thumbnail = stored(user.avatar), stored(user.avatar_thumbnail)
    assert (avatar.format, avatar.mode, avatar.size) == ("JPEG", "RGB", (600, 300))
    assert (thumbnail.format, thumbnail.size) == ("JPEG", (256, 128))
    assert user.avatar.name == f"avatars/{user.public_id}/avatar.jpg"
    assert user.avatar_thumbnail.name == f"avatars/{user.public_id}/thumbnail.jpg"


@needs(PHOTO)
def test_a_real_phone_photo_keeps_its_size_and_gets_a_thumbnail_within_256(user):
    with PHOTO.open("rb") as handle:
        avatars.set_avatar(user, upload(handle.read(), PHOTO.name))

    avatar, thumbnail = stored(user.avatar), stored(user.avatar_thumbnail)
    assert (avatar.format, avatar.size) == ("JPEG", (1080, 1920))
    assert thumbnail.format == "JPEG"
    assert thumbnail.size == (144, 256)


@needs(RGBA_PHOTO)
def test_a_real_rgba_png_is_saved_as_an_rgb_jpeg_with_the_same_picture(user):
    with RGBA_PHOTO.open("rb") as handle:
        avatars.set_avatar(user, upload(handle.read(), RGBA_PHOTO.name, "image/png"))

    avatar = stored(user.avatar)
    original = Image.open(RGBA_PHOTO).convert("RGB")
    assert (avatar.format, avatar.mode, avatar.size) == ("JPEG", "RGB", original.size)
    for point in [(100, 100), (313, 600), (500, 1100)]:
        assert close_to(avatar.getpixel(point), original.getpixel(point), tolerance=30)


@needs(JPEG_NAMED_PNG)
def test_the_content_decides_not_the_name(user):
    with JPEG_NAMED_PNG.open("rb") as handle:
        avatars.set_avatar(user, upload(handle.read(), JPEG_NAMED_PNG.name, "image/png"))

    assert stored(user.avatar).size == (704, 1216)


def test_exif_orientation_is_applied(user):
    # Stored sideways (80x40, red on the left); orientation 6 means "turn 90° clockwise to view".
    exif = Image.Exif()
    exif[0x0112] = 6
    avatars.set_avatar(user, upload(encode(two_colour((80, 40)), "JPEG", exif=exif, quality=95)))

    avatar = stored(user.avatar)
    assert avatar.size == (40, 80)
    assert close_to(avatar.getpixel((20, 10)), RED)  # the left edge is now the top
    assert close_to(avatar.getpixel((20, 70)), BLUE)
    assert stored(user.avatar_thumbnail).size == (40, 80)  # never enlarged


def test_transparency_is_laid_onto_white(user):
    image = Image.new("RGBA", (40, 40), (0, 0, 0, 0))
    image.paste((*GREEN, 255), (20, 0, 40, 40))
    avatars.set_avatar(user, upload(encode(image, "PNG"), "photo.png", "image/png"))

    avatar = stored(user.avatar)
    assert avatar.mode == "RGB"
    assert close_to(avatar.getpixel((5, 20)), WHITE, tolerance=10)
    assert close_to(avatar.getpixel((35, 20)), GREEN)


def test_a_palette_png_with_a_transparent_colour_is_laid_onto_white(user):
    image = Image.new("P", (40, 40), 0)
    image.putpalette([0, 0, 0, *GREEN] + [0] * 762)
    image.paste(1, (20, 0, 40, 40))
    avatars.set_avatar(user, upload(encode(image, "PNG", transparency=0), "photo.png", "image/png"))

    avatar = stored(user.avatar)
    assert close_to(avatar.getpixel((5, 20)), WHITE, tolerance=10)
    assert close_to(avatar.getpixel((35, 20)), GREEN)


def test_a_16_bit_greyscale_png_is_scaled_not_clipped_to_white(user):
    image = Image.new("I;16", (40, 40), 32768)  # middle grey
    avatars.set_avatar(user, upload(encode(image, "PNG"), "scan.png", "image/png"))

    red, green, blue = stored(user.avatar).getpixel((20, 20))
    assert 110 <= red <= 145 and red == green == blue


def test_a_new_avatar_replaces_the_old_files_and_leaves_nothing_behind(user):
    avatars.set_avatar(user, upload(encode(two_colour((100, 100), RED, RED), "JPEG")))
    avatars.set_avatar(user, upload(encode(two_colour((120, 60), BLUE, BLUE), "PNG"), "b.png", "image/png"))

    folder = f"avatars/{user.public_id}"
    assert sorted(default_storage.listdir(folder)[1]) == ["avatar.jpg", "thumbnail.jpg"]
    avatar = stored(user.avatar)
    assert avatar.size == (120, 60)
    assert close_to(avatar.getpixel((60, 30)), BLUE)


def test_open_avatar_streams_the_stored_jpeg(user):
    avatars.set_avatar(user, upload(encode(two_colour(), "JPEG")))

    with avatars.open_avatar(user) as handle:
        assert handle.read(3) == b"\xff\xd8\xff"
    with avatars.open_avatar(user, thumbnail=True) as handle:
        assert Image.open(handle).size == (80, 40)


# --- what is refused ------------------------------------------------------------------------

def refusal(user, content, name="photo.jpg", content_type="image/jpeg"):
    with pytest.raises(Invalid) as caught:
        avatars.set_avatar(user, upload(content, name, content_type))
    user.refresh_from_db()
    assert not user.avatar and not user.avatar_thumbnail
    return caught.value.message


def test_text_named_jpg_is_refused(user):
    message = refusal(user, b"This is not a photo, only text pretending.\n" * 10)
    assert message == avatars.NOT_AN_IMAGE


def test_a_gif_is_refused(user):
    assert refusal(user, encode(two_colour(), "GIF"), "photo.gif", "image/gif") == avatars.NOT_AN_IMAGE


def test_a_webp_is_refused(user):
    assert refusal(user, encode(two_colour(), "WEBP"), "photo.jpg") == avatars.NOT_AN_IMAGE


def test_an_empty_file_is_refused(user):
    assert refusal(user, b"") == "The file is empty. Upload a JPEG or PNG photo."


def test_a_truncated_jpeg_is_refused(user):
    content = encode(Image.effect_noise((200, 200), 60).convert("RGB"), "JPEG")
    assert refusal(user, content[: len(content) // 2]) == avatars.DAMAGED


def test_a_truncated_png_is_refused(user):
    content = encode(Image.effect_noise((200, 200), 60).convert("RGB"), "PNG")
    assert refusal(user, content[: len(content) // 2], "photo.png", "image/png") == avatars.DAMAGED


def test_a_png_with_a_corrupt_chunk_is_refused(user):
    content = bytearray(encode(Image.effect_noise((200, 200), 60).convert("RGB"), "PNG"))
    content[200] ^= 0xFF  # inside the image data: its checksum no longer matches
    assert refusal(user, bytes(content), "photo.png", "image/png") == avatars.DAMAGED


def test_a_png_whose_image_data_checksum_is_wrong_is_refused(user):
    # The pixels still decode; only the chunk's checksum betrays the damage.
    content = bytearray(encode(Image.effect_noise((50, 50), 60).convert("RGB"), "PNG"))
    start = content.find(b"IDAT")
    length = struct.unpack(">I", content[start - 4:start])[0]
    content[start + 4 + length] ^= 0xFF
    assert refusal(user, bytes(content), "photo.png", "image/png") == avatars.DAMAGED


@pytest.fixture
def no_decoding(monkeypatch):
    """Decoding any picture fails the test: a refusal for size must come from the header alone."""
    def load(self):
        raise AssertionError(f"{self.size} was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)


def test_a_huge_png_in_a_small_file_is_refused_naming_the_limit_without_decoding_it(user, settings, no_decoding):
    settings.IMAGE_MAX_PIXELS = 40_000_000
    content = black_png(9400, 9400)
    assert len(content) < 100 * 1024
    assert refusal(user, content, "huge.png", "image/png") == (
        "The image is 9400×9400 (88 megapixels); the limit is 40 megapixels. Resize it and try again.")


def test_a_decompression_bomb_past_pillows_guard_reads_the_same(user, settings, no_decoding):
    # A few hundred bytes that claim to be 100000x100000 pixels (30 GB once decoded): Image.open itself refuses.
    settings.IMAGE_MAX_PIXELS = 40_000_000
    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    bomb = (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header)
            + png_chunk(b"IDAT", zlib.compress(b"\x00" * 1000)) + png_chunk(b"IEND", b""))
    assert refusal(user, bomb, "bomb.png", "image/png") == (
        "The image is 100000×100000 (10000 megapixels); the limit is 40 megapixels. Resize it and try again.")


def test_the_pixel_limit_is_the_setting_and_a_picture_at_it_passes(user, other_user, settings):
    settings.IMAGE_MAX_PIXELS = 2_000_000
    avatars.set_avatar(user, upload(black_png(2000, 1000), "photo.png", "image/png"))
    assert stored(user.avatar).size == (2000, 1000)

    assert refusal(other_user, black_png(2000, 1001), "photo.png", "image/png") == (
        "The image is 2000×1001 (2.002 megapixels); the limit is 2 megapixels. Resize it and try again.")


def test_a_large_jpeg_is_decoded_reduced_and_stored_within_the_avatar_side(user, settings):
    settings.AVATAR_MAX_SIDE = 100
    avatars.set_avatar(user, upload(encode(two_colour((800, 400)), "JPEG")))

    avatar = stored(user.avatar)
    assert avatar.size == (100, 50)
    assert close_to(avatar.getpixel((10, 25)), RED) and close_to(avatar.getpixel((90, 25)), BLUE)


def test_a_file_over_the_size_limit_is_refused_naming_the_limit(user, settings):
    settings.AVATAR_MAX_BYTES = 2048
    content = encode(Image.effect_noise((200, 200), 60).convert("RGB"), "JPEG")
    assert len(content) > 2048
    assert refusal(user, content) == "The image is larger than 2 KB. Upload a smaller photo."


def test_a_refused_upload_keeps_the_previous_avatar(user):
    avatars.set_avatar(user, upload(encode(two_colour(), "JPEG")))
    with pytest.raises(Invalid):
        avatars.set_avatar(user, upload(b"not an image"))

    user.refresh_from_db()
    assert stored(user.avatar).size == (80, 40)
    assert stored(user.avatar_thumbnail).size == (80, 40)


def test_a_request_too_large_to_hold_an_acceptable_avatar_is_refused_before_it_is_read(settings):
    settings.AVATAR_MAX_BYTES = 10 * 1024 * 1024
    avatars.check_request_size(10 * 1024 * 1024 + 1000)  # the file plus multipart framing
    with pytest.raises(Invalid, match="larger than 10 MB"):
        avatars.check_request_size(11 * 1024 * 1024)


def test_open_avatar_before_any_upload_is_not_found(user):
    with pytest.raises(NotFound):
        avatars.open_avatar(user)
    with pytest.raises(NotFound):
        avatars.open_avatar(user, thumbnail=True)


def test_open_avatar_whose_file_vanished_from_storage_is_not_found(user):
    avatars.set_avatar(user, upload(encode(two_colour(), "JPEG")))
    default_storage.delete(user.avatar.name)

    with pytest.raises(NotFound, match="missing"):
        avatars.open_avatar(user)
