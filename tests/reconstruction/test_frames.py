"""Frames for structure-from-motion: the sharpest frame per stretch of a video, or a prepared photo set."""

import zipfile
from itertools import pairwise

import imageio_ffmpeg
import numpy as np
import pytest
from PIL import Image, ImageFilter

from captures.reconstruction.errors import ReconstructionError
from captures.reconstruction.frames import extract_frames, prepare_images
from media.decode import sharpness
from tests.data import SHARED_DATA, needs

CHAIR = SHARED_DATA / "videos" / "chair_orbit_136x240.mp4"
MILK = SHARED_DATA / "multiview_milk" / "images"


def _texture(width=128, height=96, seed=0):
    """Coarse blobs (still visible in the motion check's small thumbnails) plus fine grain (what
    sharpness measures), as uint8 RGB."""
    rng = np.random.default_rng(seed)
    coarse = Image.fromarray(rng.integers(0, 256, (height // 8, width // 8, 3), dtype=np.uint8))
    coarse = np.asarray(coarse.resize((width, height), Image.Resampling.BILINEAR), dtype=np.float32)
    fine = rng.normal(0, 30, (height, width, 1))
    return np.clip(coarse * 0.8 + fine + 25, 0, 255).astype(np.uint8)


def _write_video(path, frames, fps=10):
    height, width = frames[0].shape[:2]
    writer = imageio_ffmpeg.write_frames(str(path), (width, height), fps=fps, codec="libx264",
                                         output_params=["-crf", "4"], ffmpeg_log_level="error")
    writer.send(None)
    for frame in frames:
        writer.send(np.ascontiguousarray(frame))
    writer.close()
    return path


def _moving(count, step=4):
    """`count` frames of a texture sliding sideways by `step` pixels per frame: a camera that moves."""
    texture = _texture()
    return [np.roll(texture, i * step, axis=1) for i in range(count)]


def _blurred(frame):
    return np.asarray(Image.fromarray(frame).filter(ImageFilter.GaussianBlur(2)))


def _gray(path):
    return np.asarray(Image.open(path).convert("L"), dtype=np.float64)


@needs(CHAIR)
def test_hdr_phone_video_gives_the_target_count_of_bounded_contrasty_frames(tmp_path):
    calls = []
    paths = extract_frames(CHAIR, tmp_path / "frames", target_count=24, max_size=160,
                           report=lambda *args: calls.append(args))

    assert [p.name for p in paths] == [f"{i:05d}.jpg" for i in range(1, 25)]
    for path in paths:
        with Image.open(path) as image:
            assert image.mode == "RGB"
            assert image.size == (91, 160)  # 136x240 portrait, long side bounded to 160
        gray = _gray(path)
        low, high = np.percentile(gray, [1, 99])
        assert gray.std() > 30 and high - low > 150
    # BT.2020 HLG colours read as plain 8-bit come out washed out: these frames measure a mean HSV
    # saturation of about 49 tone-mapped, about 27 without.
    saturation = np.mean([np.asarray(Image.open(p).convert("HSV"))[..., 1].mean() for p in paths])
    assert saturation > 38
    assert calls[-1] == ("frames", 24, 24)
    assert all(a[1] <= b[1] for a, b in pairwise(calls))


def test_the_sharpest_frame_of_each_stretch_is_kept(tmp_path):
    # 16 frames, two per stretch: one of each pair blurred, the sharp one first in some pairs, last in others.
    sharp = _moving(16)
    blurred_first = {0, 3, 4, 7}
    source = []
    for pair in range(8):
        a, b = sharp[2 * pair], sharp[2 * pair + 1]
        source += [_blurred(a), b] if pair in blurred_first else [a, _blurred(b)]
    video = _write_video(tmp_path / "pairs.mp4", source)

    paths = extract_frames(video, tmp_path / "frames", target_count=8)

    assert len(paths) == 8
    for pair, path in enumerate(paths):
        kept = np.asarray(Image.open(path), dtype=np.float64)
        sharp_one = 2 * pair + (1 if pair in blurred_first else 0)
        blurred_one = 2 * pair + (0 if pair in blurred_first else 1)
        assert np.abs(kept - source[sharp_one]).mean() < np.abs(kept - source[blurred_one]).mean()
        assert sharpness(np.asarray(Image.open(path))) > 2 * sharpness(source[blurred_one])


def test_a_video_that_does_not_move_is_refused_with_a_reason(tmp_path):
    still = _write_video(tmp_path / "still.mp4", [_texture()] * 30)  # 3 s of one picture

    with pytest.raises(ReconstructionError) as refused:
        extract_frames(still, tmp_path / "frames", target_count=20)

    assert str(refused.value).startswith("The video barely moves")
    assert "walk slowly around the object" in str(refused.value).lower()


def test_a_video_with_too_few_frames_is_refused_with_a_reason(tmp_path):
    short = _write_video(tmp_path / "short.mp4", _moving(5))

    with pytest.raises(ReconstructionError, match=r"only 5 usable frames; at least 8 are needed"):
        extract_frames(short, tmp_path / "frames")


def test_a_photo_is_not_taken_for_a_video(tmp_path):
    photo = tmp_path / "photo.jpg"
    Image.fromarray(_texture()).save(photo)

    with pytest.raises(ReconstructionError, match="single photo, not a video"):
        extract_frames(photo, tmp_path / "frames")


@needs(MILK)
def test_milk_photos_are_prepared_in_natural_order_at_the_working_size(tmp_path):
    sources = [MILK / f"{n}.jpg" for n in (1, 2, 10, 11, 20, 21, 30, 31)]
    paths = prepare_images(sources, tmp_path / "images", max_size=300)

    assert [p.name for p in paths] == [f"{i:05d}.jpg" for i in range(1, 9)]
    for source, path in zip(sources, paths, strict=True):
        with Image.open(path) as image:
            assert (image.mode, image.size) == ("RGB", (300, 225))  # 1140x855 scaled down
        original = Image.open(source).convert("L").resize((300, 225))
        assert np.abs(_gray(path) - np.asarray(original, dtype=np.float64)).mean() < 6

    # A folder is read in natural order (2.jpg before 10.jpg) and gives the same pictures.
    folder = tmp_path / "folder"
    folder.mkdir()
    for source in sources:
        (folder / source.name).write_bytes(source.read_bytes())
    again = prepare_images(folder, tmp_path / "again", max_size=300)
    assert [np.array_equal(_gray(a), _gray(b)) for a, b in zip(paths, again, strict=True)] == [True] * 8


def test_photos_come_out_upright_on_white_and_numbered_after_their_source(tmp_path):
    sources = tmp_path / "sources"
    sources.mkdir()
    picture = Image.fromarray(_texture(120, 80))
    sideways = picture.copy()
    exif = sideways.getexif()
    exif[0x0112] = 6  # stored landscape, shown turned 90 degrees clockwise
    sideways.save(sources / "1.jpg", exif=exif)
    (sources / "2.jpg").write_bytes(b"not a photo")
    clear = Image.new("RGBA", (60, 40), (255, 0, 0, 0))
    clear.paste((0, 0, 255, 255), (0, 0, 30, 40))
    clear.save(sources / "3.png")

    paths = prepare_images(sources, tmp_path / "images", max_size=100, min_images=2)

    assert [p.name for p in paths] == ["00001.jpg", "00003.jpg"]  # the unreadable 2.jpg keeps its number
    assert Image.open(paths[0]).size == (67, 100)  # 120x80 turned upright, then bounded to 100
    pixels = np.asarray(Image.open(paths[1]), dtype=np.float64)
    assert pixels.shape == (40, 60, 3)
    assert np.all(np.abs(pixels[20, 50] - 255) < 8)  # transparent → white, not black or red
    assert pixels[20, 10, 2] > 200 and pixels[20, 10, 0] < 50


def test_too_few_photos_are_refused_with_a_reason(tmp_path):
    archive = tmp_path / "photos.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for i in range(3):
            image = tmp_path / f"{i}.jpg"
            Image.fromarray(_texture(seed=i)).save(image)
            zipped.write(image, f"set/{i}.jpg")

    with pytest.raises(ReconstructionError, match=r"only 3 usable photos; at least 8 are needed") as refused:
        prepare_images(archive, tmp_path / "images")
    assert "Upload at least 8 photos" in str(refused.value)
