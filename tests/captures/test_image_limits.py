"""media.images: one pixel limit, read from the header before anything is decoded, at every door media offers."""

import io
import zipfile

import pytest
from PIL import Image, ImageFile

from media import MediaError, NotAnImage, TooManyPixels, extract_images, make_preview, open_image, probe
from media.decode import load_rgb
from media.images import configure, reduce_for
from media.probe import probe_image
from tests.pictures import black_png

LIMIT = 40_000_000
HUGE = "The image is 9400×9400 (88 megapixels); the limit is 40 megapixels. Resize it and try again."


@pytest.fixture
def huge(tmp_path):
    """A 9400×9400 PNG of about 90 KB."""
    path = tmp_path / "huge.png"
    path.write_bytes(black_png(9400, 9400))
    return path


@pytest.fixture
def no_decoding(monkeypatch):
    """Decoding any picture fails the test: refusals must come from the header alone."""
    def load(self):
        raise AssertionError(f"{self.size} was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)


@pytest.fixture
def pillow_limit(monkeypatch):
    """Pillow's own guard, restored after the test (configure changes it for the whole process)."""
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", Image.MAX_IMAGE_PIXELS)


def jpeg(size, colour=(200, 40, 40)):
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    return buffer.getvalue()


def test_a_picture_over_the_limit_is_refused_from_its_header(huge, no_decoding):
    with pytest.raises(TooManyPixels) as refused:
        open_image(huge, max_pixels=LIMIT)
    assert str(refused.value) == HUGE
    assert (refused.value.width, refused.value.height, refused.value.max_pixels) == (9400, 9400, LIMIT)


def test_a_picture_at_the_limit_opens_undecoded(huge, no_decoding):
    with open_image(huge, max_pixels=9400 * 9400) as image:
        assert (image.format, image.size) == ("PNG", (9400, 9400))


def test_pillows_own_refusal_reads_the_same_as_the_limit(tmp_path, pillow_limit, no_decoding):
    # 100000×100000 is far past twice Pillow's guard, so Image.open refuses before the limit is checked.
    configure(LIMIT)
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(black_png(100_000, 2_000))
    with pytest.raises(TooManyPixels) as refused:
        open_image(bomb, max_pixels=None)
    assert str(refused.value) == ("The image is 100000×2000 (200 megapixels); the limit is 40 megapixels. "
                                  "Resize it and try again.")


def test_configure_makes_the_limit_pillows_and_the_default(huge, pillow_limit, no_decoding):
    configure(LIMIT)
    assert Image.MAX_IMAGE_PIXELS == LIMIT
    with pytest.raises(TooManyPixels, match="the limit is 40 megapixels"):
        open_image(huge, max_pixels=None)
    with pytest.raises(TooManyPixels, match="the limit is 40 megapixels"):
        probe(huge)


def test_a_file_that_is_not_one_of_the_formats_is_named_so(tmp_path):
    text = tmp_path / "notes.png"
    text.write_text("not a picture\n" * 10)
    with pytest.raises(NotAnImage) as refused:
        open_image(text, max_pixels=LIMIT, formats=("JPEG", "PNG"))
    assert str(refused.value) == "The file is not a JPEG or PNG image. Upload a photo in JPEG or PNG format."


def test_probe_refuses_a_huge_picture_before_decoding_it(huge, no_decoding):
    with pytest.raises(TooManyPixels) as refused:
        probe_image(huge, max_pixels=LIMIT)
    assert str(refused.value) == HUGE
    with pytest.raises(MediaError) as refused:
        probe(huge, declared_name="huge.png", max_pixels=LIMIT)
    assert str(refused.value) == HUGE


def test_a_preview_of_a_huge_picture_is_refused(huge, tmp_path, no_decoding):
    with pytest.raises(MediaError) as refused:
        make_preview(huge, tmp_path / "preview", max_pixels=LIMIT)
    assert str(refused.value) == HUGE


def test_load_rgb_skips_a_huge_picture_without_decoding_it(huge, no_decoding):
    assert load_rgb(huge, 320, max_pixels=LIMIT) is None


def test_load_rgb_decodes_a_jpeg_reduced_and_keeps_both_sides_at_least_the_size_asked(tmp_path):
    path = tmp_path / "photo.jpg"
    path.write_bytes(jpeg((2000, 1000)))
    # libjpeg's scales are 1/2, 1/4, 1/8: the smallest that keeps 1000 px high at least 200 is 1/4.
    assert load_rgb(path, 200, max_pixels=LIMIT).size == (500, 250)
    assert load_rgb(path, 1000, max_pixels=LIMIT).size == (2000, 1000)


def test_reduce_for_shrinks_a_png_by_a_whole_factor_and_keeps_its_orientation(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "photo.png"
    Image.new("RGB", (2000, 1000), (10, 200, 10)).save(path, exif=exif)
    with open_image(path, max_pixels=LIMIT) as image:
        reduced = reduce_for(image, 200)
        assert reduced.size == (400, 200)  # 1000 // 200 = 5
        assert reduced.getexif()[0x0112] == 6


def test_a_zip_holding_a_huge_picture_is_refused_naming_it_and_leaves_nothing(tmp_path, no_decoding):
    archive = tmp_path / "photos.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("set/1.jpg", jpeg((64, 48)))
        zipped.writestr("set/2 huge.png", black_png(9400, 9400))
        zipped.writestr("set/3.jpg", jpeg((64, 48)))
    out = tmp_path / "out"
    with pytest.raises(TooManyPixels) as refused:
        extract_images(archive, out, max_pixels=LIMIT)
    assert str(refused.value) == ("The photo '2 huge.png' in the archive is 9400×9400 (88 megapixels); the limit is "
                                  "40 megapixels. Resize the photos that large and zip them again.")
    assert list(out.iterdir()) == []


def test_a_zip_of_normal_photos_still_extracts(tmp_path):
    archive = tmp_path / "photos.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for n in (1, 2, 10):
            zipped.writestr(f"{n}.jpg", jpeg((64, 48)))
    paths = extract_images(archive, tmp_path / "out", max_pixels=LIMIT)
    assert [p.name for p in paths] == ["1.jpg", "2.jpg", "10.jpg"]
