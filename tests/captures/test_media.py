"""media: probing, limits, previews and image-set archives, on real phone videos and photos; mp4 writing."""

import dataclasses
import json
import shutil
import stat
import subprocess
import zipfile

import imageio_ffmpeg
import numpy as np
import pytest
from PIL import Image, ImageFilter

from media import MediaError, MediaInfo, check_limits, extract_images, make_preview, probe, write_video
from media import archive as archive_module
from media.decode import sharpness
from tests.data import shared

CHAIR = "videos/chair_orbit_136x240.mp4"
DANCE = "videos/musepose_dance.mp4"
HUMAN = "videos/lab4d_human-cap-3.mp4"
MILK = "multiview_milk/images"
RGBA_PNG = "faces/unittest_32bit.png"
SMALL_JPG = "faces/fer_multi.jpg"


data = shared


def ffmpeg(*args):
    """Runs the bundled ffmpeg to make a variant of a real video (stream copy: no re-encoding)."""
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", *map(str, args)], check=True, timeout=60)


def refused(path, name=None):
    with pytest.raises(MediaError) as exc:
        probe(path, declared_name=name)
    return str(exc.value)


# probe: videos -----------------------------------------------------------------------------------


def test_probe_hdr_phone_video():
    info = probe(data(CHAIR), declared_name="input.mp4")
    assert (info.kind, info.format, info.codec) == ("video", "mp4", "h264")
    assert (info.width, info.height) == (136, 240)
    assert info.fps == pytest.approx(59.94, abs=0.01)
    assert info.duration == pytest.approx(43.5, abs=0.1)
    assert info.frame_count == pytest.approx(2606, abs=3)
    assert info.pix_fmt == "yuv420p10le" and info.hdr  # H.264 High 10, HLG / BT.2020
    assert info.has_audio and info.rotation == 0
    assert info.size_bytes == data(CHAIR).stat().st_size


def test_probe_portrait_fhd_video_with_audio():
    info = probe(data(DANCE), declared_name="dance.MP4")
    assert (info.width, info.height) == (1080, 1920)
    assert (info.fps, info.frame_count) == (24.0, 288)
    assert info.duration == pytest.approx(12.0, abs=0.05)
    assert info.has_audio and not info.hdr and info.pix_fmt == "yuv420p"


def test_probe_video_without_audio():
    info = probe(data(HUMAN))
    assert (info.width, info.height, info.fps) == (480, 864, 30.0)
    assert info.duration == pytest.approx(6.4, abs=0.1)
    assert info.frame_count == pytest.approx(191, abs=2)
    assert not info.has_audio


def test_probe_applies_rotation_metadata(tmp_path):
    rotated = tmp_path / "rotated.mp4"
    ffmpeg("-display_rotation", "90", "-i", data(HUMAN), "-c", "copy", rotated)
    info = probe(rotated, declared_name="clip.mp4")
    # Stored 480x864, shown turned a quarter: the player (and the pipelines) see 864x480.
    assert (info.width, info.height, info.rotation) == (864, 480, 90)


def test_probe_quicktime_container_is_mov_and_allowed_as_mp4(tmp_path):
    mov = tmp_path / "clip.mov"
    ffmpeg("-i", data(HUMAN), "-c", "copy", "-f", "mov", mov)
    assert probe(mov, declared_name="IMG_0001.MOV").format == "mov"
    assert probe(mov, declared_name="clip.mp4").format == "mov"


def test_media_info_to_dict_is_json_ready():
    info = probe(data(HUMAN))
    as_dict = info.to_dict()
    assert json.loads(json.dumps(as_dict)) == as_dict
    assert MediaInfo(**as_dict) == info


# probe: images -----------------------------------------------------------------------------------


def test_probe_real_jpegs():
    photos = sorted(data("faces").glob("*.jp*g"))
    assert len(photos) >= 10
    for photo in photos:
        info = probe(photo, declared_name=photo.name)
        with Image.open(photo) as im:
            assert (info.kind, info.format, info.frame_count, info.duration) == ("image", "jpeg", 1, 0.0)
            assert (info.width, info.height) == im.size
    assert (probe(data(SMALL_JPG)).width, probe(data(SMALL_JPG)).height) == (277, 363)


def test_probe_rgba_png():
    info = probe(data(RGBA_PNG), declared_name="face.png")
    assert (info.format, info.codec, info.pix_fmt) == ("png", "png", "RGBA")
    assert (info.width, info.height) == (626, 1200)


def test_probe_swaps_size_for_exif_orientation(tmp_path):
    with Image.open(data(SMALL_JPG)) as im:
        exif = im.getexif()
        exif[0x0112] = 6  # "rotate 90 CW to display"
        im.save(tmp_path / "turned.jpg", exif=exif)
    info = probe(tmp_path / "turned.jpg")
    assert (info.width, info.height) == (363, 277)


# probe: refusals ---------------------------------------------------------------------------------


def test_png_named_mp4_is_refused(tmp_path):
    assert "named .mp4 but it is a PNG image" in refused(data(RGBA_PNG), "video.mp4")


def test_mp4_named_jpg_is_refused():
    assert "named .jpg but it is an MP4 video" in refused(data(HUMAN), "uploads/photo.jpg")


def test_jpeg_named_png_is_refused_real_file():
    # In the real data, MusePose's ref.png is in fact a JPEG.
    assert probe(data("avatar/musepose_ref.png")).format == "jpeg"
    assert "named .png but it is a JPEG image" in refused(data("avatar/musepose_ref.png"), "ref.png")


def test_matroska_named_mp4_is_refused(tmp_path):
    mkv = tmp_path / "clip.mkv"
    ffmpeg("-i", data(HUMAN), "-t", "1", "-c", "copy", mkv)
    assert probe(mkv).format == "mkv"
    assert "named .mp4 but it is a Matroska" in refused(mkv, "clip.mp4")


@pytest.mark.parametrize("name, expected", [("notes.txt", "ending in .txt are not accepted"),
                                            ("photos.zip", "image set")])
def test_unaccepted_extensions_are_refused(name, expected):
    assert expected in refused(data(SMALL_JPG), name)


NOT_READABLE = ("This file is not a video or photo that can be read (it is another kind of file, or it is damaged "
                "or incomplete). Upload an .mp4 video or a .jpg or .png photo.")


@pytest.mark.parametrize("name, expected", [
    (None, NOT_READABLE),
    ("clip.mp4", NOT_READABLE),
    ("photo.jpg", "This file is named .jpg but is not a JPEG image that can be read (it is damaged, incomplete or "
                  "another kind of file). Upload the photo itself."),
])
def test_garbage_files_are_refused(tmp_path, name, expected):
    text = tmp_path / "text"
    text.write_text("This is a text file, not a video.\n" * 50)
    noise = tmp_path / "noise"
    noise.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    for path in (text, noise):
        assert refused(path, name) == expected
    assert refused(empty, name) == "The file is empty (0 bytes). Upload the video or photo itself."


def test_missing_file_is_refused(tmp_path):
    assert "could not be found" in refused(tmp_path / "gone.mp4", "gone.mp4")


def test_truncated_video_is_refused(tmp_path):
    original = data(HUMAN).read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(original[: len(original) // 2])  # the index (moov) of these files is at the end
    assert "not a video or photo that can be read" in refused(cut, "cut.mp4")

    faststart = tmp_path / "faststart.mp4"
    ffmpeg("-i", data(HUMAN), "-c", "copy", "-movflags", "+faststart", faststart)
    assert probe(faststart).frame_count == probe(data(HUMAN)).frame_count
    cut_after_index = tmp_path / "cut2.mp4"
    cut_after_index.write_bytes(faststart.read_bytes()[: faststart.stat().st_size * 2 // 3])
    assert "incomplete" in refused(cut_after_index, "cut2.mp4")


def test_truncated_images_are_refused(tmp_path):
    # A cut JPEG shows when it is decoded; a cut PNG already fails its structure check.
    expected = {"cut.jpg": "The image file is incomplete or damaged (it may have been cut off while copying). "
                           "Upload it again.",
                "cut.png": "The image file is damaged and cannot be read. Export or copy it again and re-upload."}
    for source, name in ((data("faces/train_obama_obama.jpg"), "cut.jpg"), (data(RGBA_PNG), "cut.png")):
        cut = tmp_path / name
        raw = source.read_bytes()
        cut.write_bytes(raw[: len(raw) // 2])
        assert refused(cut, name) == expected[name]


def test_audio_only_file_is_refused(tmp_path):
    audio = tmp_path / "sound.mp4"
    ffmpeg("-i", data(DANCE), "-vn", "-c", "copy", "-t", "1", audio)
    assert "no video track" in refused(audio, "sound.mp4")


# check_limits ------------------------------------------------------------------------------------

MB = 1024 * 1024


def video(**changes):
    base = MediaInfo(kind="video", format="mp4", codec="h264", width=1920, height=1080, duration=60.0, fps=30.0,
                     frame_count=1800, size_bytes=100 * MB, pix_fmt="yuv420p", has_audio=True)
    return dataclasses.replace(base, **changes)


def image(**changes):
    base = MediaInfo(kind="image", format="jpeg", codec="jpeg", width=1200, height=800, duration=0.0, fps=0.0,
                     frame_count=1, size_bytes=2 * MB, pix_fmt="RGB")
    return dataclasses.replace(base, **changes)


@pytest.mark.parametrize("info, limits, message", [
    (video(format="mov"), {"formats": {"mp4"}}, "The file is a QuickTime (.mov) video; accepted formats: mp4."),
    (video(size_bytes=312 * MB), {"max_bytes": 300 * MB}, "The file is 312 MB; the limit is 300 MB."),
    (video(size_bytes=300 * MB + 400 * 1024), {"max_bytes": 300 * MB}, "The file is 300.4 MB; the limit is 300 MB."),
    (video(size_bytes=12 * MB), {"min_bytes": 50 * MB}, "The file is 12 MB; it must be at least 50 MB."),
    (video(duration=212.0), {"max_duration": 180}, "The video is 212 s long; the limit is 180 s."),
    (video(duration=180.4), {"max_duration": 180}, "The video is 180.4 s long; the limit is 180 s."),
    (video(duration=12.5), {"min_duration": 20}, "The video is 12 s long; it must be at least 20 s."),
    (video(width=3840, height=2160), {"max_resolution": (1920, 1080)},
     "The video is 3840x2160; the limit is FHD (1920x1080)."),
    (video(width=1080, height=2400), {"max_resolution": (1920, 1080)},
     "The video is 1080x2400; the limit is FHD (1920x1080)."),
    (video(width=960, height=540), {"min_resolution": (1280, 720)},
     "The video is 960x540; it must be at least HD (1280x720)."),
    (video(width=2000, height=1000), {"max_resolution": (1900, 1000)},
     "The video is 2000x1000; the limit is 1900x1000."),
    (image(width=8000, height=6000), {"max_pixels": 40_000_000},
     "The image is 8000x6000 (48 megapixels); the limit is 40 megapixels."),
    (image(width=5000), {"max_width": 4096}, "The image is 5000 pixels wide; the limit is 4096."),
    (image(height=5000), {"max_height": 4096}, "The image is 5000 pixels high; the limit is 4096."),
    (image(width=200, height=150), {"min_width": 300, "min_height": 300},
     "The image is 200x150; it must be at least 300x300 pixels."),
    (image(width=1200, height=299), {"min_width": 300, "min_height": 300},
     "The image is 1200x299; it must be at least 300x300 pixels."),
    (image(format="webp"), {"formats": {"png", "jpeg"}}, "The file is a WebP image; accepted formats: jpeg, png."),
])
def test_check_limits_refusals(info, limits, message):
    with pytest.raises(MediaError) as exc:
        check_limits(info, **limits)
    assert str(exc.value) == message


def test_check_limits_accepts_within_bounds():
    fhd = {"formats": {"mp4"}, "max_bytes": 300 * MB, "max_duration": 180, "min_duration": 20,
           "min_resolution": (1280, 720), "max_resolution": (1920, 1080)}
    check_limits(video(), **fhd)
    check_limits(video(width=1080, height=1920), **fhd)  # portrait FHD is FHD
    check_limits(video(width=720, height=1280), **fhd)
    # Durations do not apply to photos.
    check_limits(image(), formats={"jpeg"}, min_duration=20, min_width=300, min_height=300, max_bytes=10 * MB)
    check_limits(video())  # no limits, nothing to refuse


def test_check_limits_on_real_videos():
    dance = probe(data(DANCE))
    check_limits(dance, formats={"mp4"}, max_bytes=300 * MB, max_duration=180, max_resolution=(1920, 1080))
    with pytest.raises(MediaError, match=r"The video is 12 s long; it must be at least 20 s\."):
        check_limits(dance, min_duration=20)
    with pytest.raises(MediaError, match=r"The video is 136x240; it must be at least HD \(1280x720\)\."):
        check_limits(probe(data(CHAIR)), min_resolution=(1280, 720))


# make_preview ------------------------------------------------------------------------------------


def gif_frames(path):
    with Image.open(path) as gif:
        assert gif.format == "GIF"
        frames = []
        for index in range(gif.n_frames):
            gif.seek(index)
            frames.append(np.asarray(gif.convert("RGB"), dtype=np.float32))
        return gif.size, gif.info.get("loop"), frames


def assert_thumbnail(path, bound):
    with Image.open(path) as thumb:
        assert thumb.format == "JPEG"
        assert max(thumb.size) <= bound
        pixels = np.asarray(thumb.convert("RGB"), dtype=np.float32)
    assert pixels.std() > 20, "thumbnail is a flat or black picture"
    return pixels.shape[1], pixels.shape[0]


def test_preview_of_hdr_phone_video(tmp_path):
    calls = []
    result = make_preview(data(CHAIR), tmp_path / "out", report=lambda *args: calls.append(args))
    assert result == {"thumbnail": tmp_path / "out" / "thumbnail.jpg", "gif": tmp_path / "out" / "preview.gif"}

    size, loop, frames = gif_frames(result["gif"])
    assert len(frames) == 24
    assert size == (320, round(240 * 320 / 136))
    assert loop == 0
    assert min(f.std() for f in frames) > 20  # every sample decoded to a real picture
    # Samples span the walk around the chair: the first and last differ a lot.
    assert np.abs(frames[0] - frames[-1]).mean() > 20
    # The thumbnail is never enlarged past the 136x240 source.
    assert assert_thumbnail(result["thumbnail"], 512) == (136, 240)

    assert {c[0] for c in calls} == {"preview"}
    done = [c[1] for c in calls]
    assert done == sorted(done) and calls[-1][1] == calls[-1][2]


def test_preview_of_rotated_video_streams_in_display_orientation(tmp_path):
    rotated = tmp_path / "rotated.mp4"
    ffmpeg("-display_rotation", "90", "-i", data(HUMAN), "-c", "copy", rotated)
    # 191 frames for 8 samples: one decoding pass (the short-video path) rather than 8 seeks.
    result = make_preview(rotated, tmp_path / "out", gif_frames=8, gif_width=160, thumbnail_size=256)
    size, _, frames = gif_frames(result["gif"])
    assert (len(frames), size) == (8, (160, 89))
    assert assert_thumbnail(result["thumbnail"], 256) == (256, 142)


def test_preview_of_image_folder(tmp_path):
    folder = tmp_path / "images"
    folder.mkdir()
    for number in (1, 2, 3, 10, 20):  # 1140x855 photos; natural order puts 10 after 3
        shutil.copy(data(MILK) / f"{number}.jpg", folder / f"{number}.jpg")
    (folder / "notes.txt").write_text("ignored")
    (folder / ".DS_Store").write_bytes(b"\0")

    result = make_preview(folder, tmp_path / "out", gif_frames=3)
    size, loop, frames = gif_frames(result["gif"])
    assert (len(frames), size, loop) == (3, (320, 240), 0)
    assert assert_thumbnail(result["thumbnail"], 512) == (512, 384)

    # Fewer photos than GIF frames: one frame per photo.
    assert len(gif_frames(make_preview(folder, tmp_path / "all")["gif"])[2]) == 5


def test_preview_of_single_image_set(tmp_path):
    folder = tmp_path / "one"
    folder.mkdir()
    shutil.copy(data(RGBA_PNG), folder / "face.png")
    result = make_preview(folder, tmp_path / "out", gif_width=200, thumbnail_size=300)
    size, _, frames = gif_frames(result["gif"])
    assert (len(frames), size) == (1, (200, 383))
    width, height = assert_thumbnail(result["thumbnail"], 300)
    assert height == 300 and abs(width - 626 * 300 / 1200) <= 1


def test_preview_refuses_unreadable_sources(tmp_path):
    junk = tmp_path / "junk.mp4"
    junk.write_text("not a video")
    with pytest.raises(MediaError):
        make_preview(junk, tmp_path / "out")
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "readme.txt").write_text("no photos here")
    with pytest.raises(MediaError, match="no .jpg or .png"):
        make_preview(empty, tmp_path / "out")


def test_sharpness_prefers_the_sharp_picture():
    with Image.open(data(SMALL_JPG)) as im:
        sharp = im.convert("RGB")
    blurred = sharp.filter(ImageFilter.GaussianBlur(3))
    assert sharpness(np.asarray(sharp)) > 3 * sharpness(np.asarray(blurred))


# extract_images ----------------------------------------------------------------------------------


def make_zip(path, entries, method=zipfile.ZIP_STORED):
    """entries: (ZipInfo or name, bytes)."""
    with zipfile.ZipFile(path, "w", method) as archive:
        for name, payload in entries:
            info = name if isinstance(name, zipfile.ZipInfo) else zipfile.ZipInfo(name)
            info.compress_type = method
            archive.writestr(info, payload)
    return path


@pytest.fixture
def photos():
    return [(data(MILK) / f"{n}.jpg").read_bytes() for n in (1, 2, 3, 4)]


def test_extract_nested_folders_and_ignores_the_rest(tmp_path, photos):
    link = zipfile.ZipInfo("link.jpg")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    zipped = make_zip(tmp_path / "set.zip", [
        ("scan/left/IMG 0001.JPG", photos[0]),
        ("scan/right/IMG 0001.JPG", photos[1]),
        ("scan/left_IMG_0001.jpeg", photos[2]),
        ("top.png", data(RGBA_PNG).read_bytes()),
        ("scan/", b""),
        ("scan/notes.txt", b"hello"),
        ("scan/fake.jpg", b"this is text, not a JPEG"),
        ("scan/cut.jpg", photos[3][:5000]),
        ("__MACOSX/scan/left/._IMG 0001.JPG", b"\0\5\26\7resource fork"),
        (".hidden.jpg", photos[3]),
        (link, photos[3]),  # a symlink entry is never followed nor extracted, whatever it holds
    ])
    out = tmp_path / "images"
    paths = extract_images(zipped, out)
    names = [p.name for p in paths]
    assert names == ["scan_left_IMG_0001.jpg", "scan_left_IMG_0001-2.jpg", "scan_right_IMG_0001.jpg", "top.png"]
    assert sorted(p.name for p in out.iterdir()) == sorted(names)  # nothing else left behind
    assert (out / "scan_left_IMG_0001.jpg").read_bytes() == photos[0]
    for path in paths:
        with Image.open(path) as im:
            im.verify()


def test_extract_contains_path_traversal(tmp_path, photos):
    zipped = make_zip(tmp_path / "evil.zip", [("../../evil.jpg", photos[0]), ("/abs.jpg", photos[1]),
                                               ("C:\\Windows\\win.jpg", photos[2]), ("a/../../../up.jpg", photos[3])])
    out = tmp_path / "deep" / "images"
    paths = extract_images(zipped, out)
    assert sorted(p.name for p in paths) == ["C_Windows_win.jpg", "a_up.jpg", "abs.jpg", "evil.jpg"]
    assert all(p.parent == out for p in paths)
    written = {p for p in tmp_path.rglob("*") if p.is_file()} - {zipped}
    assert written == set(paths)


def test_extract_renames_a_png_posing_as_jpg(tmp_path):
    zipped = make_zip(tmp_path / "set.zip", [("face.jpg", data(RGBA_PNG).read_bytes())])
    [path] = extract_images(zipped, tmp_path / "out")
    assert path.name == "face.png"


def test_zip_bomb_is_refused(tmp_path, photos):
    zeros = b"\0" * (20 * MB)
    zipped = make_zip(tmp_path / "bomb.zip", [("ok.jpg", photos[0]), ("big.jpg", zeros)], zipfile.ZIP_DEFLATED)
    assert zipped.stat().st_size < MB
    out = tmp_path / "out"
    with pytest.raises(MediaError, match="'big.jpg' expands to .* times its compressed size"):
        extract_images(zipped, out)
    assert not out.exists() or not any(out.iterdir())


def test_total_size_and_count_limits(tmp_path, photos):
    zipped = make_zip(tmp_path / "set.zip", [(f"{i}.jpg", photo) for i, photo in enumerate(photos)])
    with pytest.raises(MediaError, match="holds 4 photos; the limit is 3"):
        extract_images(zipped, tmp_path / "a", max_files=3)
    with pytest.raises(MediaError, match="add up to .* KB; the limit is 100 KB"):
        extract_images(zipped, tmp_path / "b", max_total_bytes=100 * 1024)
    assert len(extract_images(zipped, tmp_path / "c", max_files=4)) == 4


def test_limits_hold_while_streaming(tmp_path, photos):
    # Declared sizes are the uploader's word: the copy loop counts the bytes really produced.
    zipped = make_zip(tmp_path / "set.zip", [("a.jpg", photos[0])])
    with zipfile.ZipFile(zipped) as archive:
        info = archive.getinfo("a.jpg")
        with pytest.raises(MediaError, match="add up to more than"):
            archive_module._copy(archive, info, tmp_path / "a.jpg", 0, 10 * 1024, 200)


def test_entry_declared_smaller_than_it_is_is_dropped(tmp_path, photos):
    zipped = make_zip(tmp_path / "liar.zip", [("good.jpg", photos[0]), ("liar.jpg", photos[1])])
    raw = bytearray(zipped.read_bytes())
    entry = raw.find(b"PK\x01\x02", raw.find(b"PK\x01\x02") + 4)  # central directory record of liar.jpg
    raw[entry + 24: entry + 28] = (1000).to_bytes(4, "little")  # uncompressed size field
    zipped.write_bytes(bytes(raw))
    paths = extract_images(zipped, tmp_path / "out")
    assert [p.name for p in paths] == ["good.jpg"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["good.jpg"]


def test_archive_listing_too_many_entries_is_refused(tmp_path):
    zipped = make_zip(tmp_path / "many.zip", [(f"f{i}.txt", b"") for i in range(1010)])
    with pytest.raises(MediaError, match="lists 1010 files; at most 1004"):
        extract_images(zipped, tmp_path / "out", max_files=1)


def test_not_a_zip_or_no_photos_is_refused(tmp_path):
    with pytest.raises(MediaError, match="not a ZIP archive"):
        extract_images(data(SMALL_JPG), tmp_path / "out")
    empty = tmp_path / "empty.zip"
    empty.write_bytes(b"")
    with pytest.raises(MediaError, match="not a ZIP archive"):
        extract_images(empty, tmp_path / "out")
    with pytest.raises(MediaError, match="no .jpg or .png photos"):
        extract_images(make_zip(tmp_path / "docs.zip", [("a.txt", b"x"), ("b/c.pdf", b"%PDF")]), tmp_path / "out")
    with pytest.raises(MediaError, match="None of the 1 .jpg/.png files"):
        extract_images(make_zip(tmp_path / "fake.zip", [("a.jpg", b"text")]), tmp_path / "out")


def test_write_video_streams_frames_into_a_web_playable_mp4(tmp_path):
    """Frames from a generator; odd sizes are padded to even (yuv420p); the index comes first (faststart)."""
    frames = (np.full((31, 45, 3), (i * 20, 100, 255 - i * 20), np.uint8) for i in range(12))
    path = write_video(frames, tmp_path / "clip.mp4", fps=12)
    data = path.read_bytes()
    assert data[4:8] == b"ftyp" and data.find(b"moov") < data.find(b"mdat")
    assert imageio_ffmpeg.count_frames_and_secs(str(path)) == (12, 1.0)
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    assert meta["size"] == (46, 32) and meta["codec"].startswith("h264") and "yuv420p" in meta["pix_fmt"]
    first = np.frombuffer(next(reader), np.uint8).reshape(32, 46, 3)
    reader.close()
    assert np.abs(first[:31, :45].astype(int) - (0, 100, 255)).mean() < 6  # the colour survives the encode


def test_write_video_needs_a_frame(tmp_path):
    with pytest.raises(ValueError, match="at least one frame"):
        write_video([], tmp_path / "empty.mp4")
