"""A phone's camera poses (commonformat-ios): telling the format from the bytes, reading transforms.json, the
OpenGL to OpenCV axes, the epipolar check, and falling back to structure-from-motion with a note."""

import io
import json
import math
import zipfile

import numpy as np
import pytest
from PIL import ExifTags, Image

from captures.reconstruction.errors import ReconstructionError
from captures.reconstruction.input_format import detect_format
from captures.reconstruction.phone_poses import (
    UnusablePoses,
    choose_sample,
    epipolar_errors_degrees,
    intrinsics_for,
    load_phone_capture,
    read_transforms,
)
from captures.reconstruction.pipeline import load_source
from captures.reconstruction.scene import Camera
from tests.conftest import shared
from tests.phone_captures import lego_phone_zip

IDENTITY = np.eye(4).tolist()


def zip_bytes(entries):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def opengl_pose(center, right, up):
    """An OpenGL camera-to-world matrix: the camera at `center`, its x along `right`, its y along `up`, looking
    along -z = up x right."""
    right, up = np.asarray(right, dtype=float), np.asarray(up, dtype=float)
    matrix = np.eye(4)
    matrix[:3, 0], matrix[:3, 1], matrix[:3, 2], matrix[:3, 3] = right, up, np.cross(right, up), center
    return matrix


def project(camera, point):
    x, y, z = camera.world_to_camera[:3, :3] @ point + camera.world_to_camera[:3, 3]
    return camera.fx * x / z + camera.cx, camera.fy * y / z + camera.cy, z


# --- telling a video from a zip by its bytes -----------------------------------------------------------


def test_undeclared_bytes_say_what_they_are():
    with_poses = zip_bytes({"scan/transforms.json": "{}", "scan/images/1.jpg": b"x"})
    photos_only = zip_bytes({"photos/1.jpg": b"x", "notes/transforms.txt": b"x"})
    video = shared("videos/lab4d_human-cap-3.mp4")

    assert detect_format(io.BytesIO(with_poses)) == "commonformat-ios"
    assert detect_format(io.BytesIO(photos_only)) == "bulk-images"
    assert detect_format(video) == "video"  # ISO-BMFF: "....ftyp"
    assert detect_format(io.BytesIO(b"These are meeting notes.")) == "video"  # probing then refuses it
    assert detect_format(io.BytesIO(b"PK\x03\x04 but then garbage")) == "bulk-images"  # extraction says why


def test_a_declared_format_is_kept_except_a_phone_format_sent_as_a_video():
    with_poses = zip_bytes({"transforms.json": "{}"})
    photos_only = zip_bytes({"1.jpg": b"x"})
    video = shared("videos/lab4d_human-cap-3.mp4")

    assert detect_format(io.BytesIO(with_poses), "bulk-images") == "bulk-images"
    assert detect_format(io.BytesIO(photos_only), "video") == "video"
    assert detect_format(io.BytesIO(photos_only), "commonformat-ios") == "commonformat-ios"  # poses noted missing
    assert detect_format(video, "commonformat-ios") == "video"
    source = io.BytesIO(with_poses)
    source.seek(7)
    detect_format(source)
    assert source.tell() == 0  # left at its start, ready to be stored


# --- transforms.json -----------------------------------------------------------------------------------


def test_top_level_pixel_intrinsics_are_scaled_to_the_stored_images():
    keys = {"fl_x": 1000.0, "fl_y": 1010.0, "cx": 641.0, "cy": 359.0, "w": 1280, "h": 720}

    assert intrinsics_for(keys, 1280, 720) == (1000.0, 1010.0, 641.0, 359.0)
    assert intrinsics_for(keys, 640, 360) == (500.0, 505.0, 320.5, 179.5)
    assert intrinsics_for({"fl_x": 500}, 400, 300) == (500.0, 500.0, 200.0, 150.0)  # fy = fx, centre, own size


def test_a_field_of_view_gives_the_focal_length():
    lego_angle = 0.6911112070083618  # nerf_lego_subset's camera_angle_x: 1111.111 px at 800 px wide

    assert intrinsics_for({"camera_angle_x": lego_angle}, 800, 800) == pytest.approx((1111.111, 1111.111, 400, 400))
    assert intrinsics_for({"camera_angle_x": lego_angle}, 100, 100) == pytest.approx((138.889, 138.889, 50, 50))
    both = {"camera_angle_x": 2 * math.atan(0.5), "camera_angle_y": 2 * math.atan(0.25)}
    assert intrinsics_for(both, 100, 100) == pytest.approx((100.0, 200.0, 50.0, 50.0))


def test_intrinsics_that_cannot_describe_the_images_are_refused():
    with pytest.raises(UnusablePoses) as no_focal:
        intrinsics_for({"w": 100, "h": 100}, 100, 100)
    assert str(no_focal.value) == "transforms.json gives no focal length (fl_x) or field of view (camera_angle_x)"
    with pytest.raises(UnusablePoses) as turned:
        intrinsics_for({"fl_x": 1500, "w": 1920, "h": 1440}, 1440, 1920)
    assert str(turned.value) == "the images are 1440x1920 but transforms.json describes 1920x1440 ones"


def test_frames_keep_their_own_intrinsics_over_the_top_level_and_only_rigid_poses():
    mirrored = np.diag([-1.0, 1.0, 1.0, 1.0]).tolist()
    scaled = np.diag([2.0, 2.0, 2.0, 1.0]).tolist()
    frames = read_transforms({
        "fl_x": 1000, "w": 1920, "h": 1080, "aabb_scale": 16,
        "frames": [
            {"file_path": "images/1.jpg", "transform_matrix": IDENTITY},
            {"file_path": "images/2.jpg", "transform_matrix": IDENTITY[:3], "fl_x": 1200, "cx": 950},
            {"file_path": "images/3.jpg", "transform_matrix": mirrored},
            {"file_path": "images/4.jpg", "transform_matrix": scaled},
            {"file_path": "images/5.jpg", "transform_matrix": "unknown"},
            {"file_path": "images/6.jpg"},
            {"transform_matrix": IDENTITY},  # no image: not a frame
        ],
    })

    assert [f.file_path for f in frames] == [f"images/{n}.jpg" for n in range(1, 7)]
    assert np.array_equal(frames[0].camera_to_world, np.eye(4)) and np.array_equal(frames[1].camera_to_world, np.eye(4))
    assert [f.camera_to_world is None for f in frames[2:]] == [True] * 4
    assert intrinsics_for(frames[0].intrinsics, 1920, 1080) == (1000.0, 1000.0, 960.0, 540.0)
    assert intrinsics_for(frames[1].intrinsics, 1920, 1080) == (1200.0, 1200.0, 950.0, 540.0)

    with pytest.raises(UnusablePoses, match="OPENCV_FISHEYE lens, which is not supported"):
        read_transforms({"camera_model": "OPENCV_FISHEYE", "frames": [{"file_path": "1.jpg"}]})
    with pytest.raises(UnusablePoses, match="lists no frames"):
        read_transforms({"fl_x": 1000})


def test_opengl_camera_to_world_becomes_opencv_world_to_camera_in_the_same_world():
    # In front of the origin, looking along -z with y up: OpenGL's identity rotation.
    [frame] = read_transforms({"fl_x": 100, "frames": [
        {"file_path": "a.jpg", "transform_matrix": opengl_pose([0, 0, 4], [1, 0, 0], [0, 1, 0]).tolist()}]})
    camera = frame.camera("a.jpg", 200, 100)

    assert np.allclose(camera.world_to_camera, [[1, 0, 0, 0], [0, -1, 0, 0], [0, 0, -1, 4], [0, 0, 0, 1]])
    assert np.allclose(camera.center, [0, 0, 4])  # the phone's world, position and scale, unchanged
    assert project(camera, np.zeros(3)) == pytest.approx((100, 50, 4))  # the origin: image centre, 4 ahead
    assert project(camera, np.array([0, 1, 0])) == pytest.approx((100, 25, 4))  # world up: higher in the image
    assert project(camera, np.array([1, 0, 0])) == pytest.approx((125, 50, 4))  # world x: to the right

    # On the +x axis looking back at the origin, world -z to its right.
    [frame] = read_transforms({"camera_angle_x": 2 * math.atan(1.0), "frames": [
        {"file_path": "b.jpg", "transform_matrix": opengl_pose([4, 0, 0], [0, 0, -1], [0, 1, 0]).tolist()}]})
    camera = frame.camera("b.jpg", 200, 200)

    assert camera.fx == pytest.approx(100)  # a 90-degree field of view over 200 px
    assert project(camera, np.zeros(3)) == pytest.approx((100, 100, 4))
    assert project(camera, np.array([0, 0, -2])) == pytest.approx((150, 100, 4))
    assert project(camera, np.array([0, -2, 0])) == pytest.approx((100, 150, 4))  # world down: lower


# --- the check ----------------------------------------------------------------------------------------------


def stereo_pair():
    """Two cameras 1 apart along x, both looking at the origin's plane (z = 0) from z = 4, focal 500 px."""
    keys = {"fl_x": 500, "frames": [
        {"file_path": "a.jpg", "transform_matrix": opengl_pose([0, 0, 4], [1, 0, 0], [0, 1, 0]).tolist()},
        {"file_path": "b.jpg", "transform_matrix": opengl_pose([1, 0, 4], [1, 0, 0], [0, 1, 0]).tolist()}]}
    a, b = read_transforms(keys)
    return a.camera("a.jpg", 640, 480), b.camera("b.jpg", 640, 480)


def test_matches_the_poses_explain_have_no_epipolar_error_and_others_their_offset_as_an_angle():
    a, b = stereo_pair()
    points = np.random.default_rng(0).uniform(-1, 1, (50, 3))
    in_a = np.array([project(a, p)[:2] for p in points])
    in_b = np.array([project(b, p)[:2] for p in points])

    assert np.allclose(epipolar_errors_degrees(a, b, in_a, in_b), 0, atol=1e-9)
    # Side by side, the epipolar lines are the image rows: 5 px off a row is atan(5 / 500) in both images.
    off = epipolar_errors_degrees(a, b, in_a, in_b + [0, 5])
    assert np.allclose(off, math.degrees(math.atan(0.01)))  # 0.573 degrees
    assert np.allclose(epipolar_errors_degrees(a, b, in_a, in_b + [7, 0]), 0, atol=1e-9)  # along the row: depth


def test_the_sample_is_anchors_over_the_capture_with_their_nearest_views():
    cameras = []
    for k in range(30):  # a circle around the origin, in capture order
        angle = 2 * math.pi * k / 30
        center = 4 * np.array([math.sin(angle), 0, math.cos(angle)])
        right = np.array([math.cos(angle), 0, -math.sin(angle)])
        pose = opengl_pose(center, right, [0, 1, 0])
        cameras.append(Camera.from_opengl_camera_to_world(f"{k}.jpg", pose, 100, 100, 100))

    assert choose_sample(cameras) == [0, 1, 9, 10, 11, 18, 19, 20, 28, 29]  # anchors 0, 10, 19, 29, ±1 each
    assert choose_sample(cameras[:12]) == list(range(12))  # few frames: all of them


def test_a_capture_without_poses_is_left_to_structure_from_motion_with_a_note(tmp_path):
    (tmp_path / "no-json.zip").write_bytes(lego_phone_zip(count=3, transforms=None))
    (tmp_path / "one-missing.zip").write_bytes(lego_phone_zip(count=3, drop_pose_of="r_5"))

    bare = load_phone_capture(tmp_path / "no-json.zip", tmp_path / "a")
    assert bare.scene is None and bare.poses.method == "structure-from-motion" and len(bare.photos) == 3
    assert bare.poses.note == ("The archive has no transforms.json with the phone's camera poses, so the photos "
                               "were placed by structure-from-motion instead.")

    missing = load_phone_capture(tmp_path / "one-missing.zip", tmp_path / "b")
    assert missing.scene is None and len(missing.photos) == 3
    assert missing.poses.note == ("1 of 3 frames have no camera pose in transforms.json (e.g. train/r_5.png), so "
                                  "the photos were placed by structure-from-motion instead.")


def test_a_photo_beside_the_frames_without_a_pose_is_a_missing_pose_but_a_depth_map_elsewhere_is_not(tmp_path):
    renders = shared("nerf_lego_subset/train")
    frames = [{"file_path": f"images/r_{n}", "transform_matrix": IDENTITY} for n in (0, 5)]
    archive = zip_bytes({
        "capture/transforms.json": json.dumps({"camera_angle_x": 0.69, "frames": frames}),
        "capture/images/r_0.png": (renders / "r_0.png").read_bytes(),
        "capture/images/r_5.png": (renders / "r_5.png").read_bytes(),
        "capture/images/r_10.png": (renders / "r_10.png").read_bytes(),  # not listed
        "capture/depth/r_0.png": (renders / "r_15.png").read_bytes(),  # not a frame
    })
    (tmp_path / "capture.zip").write_bytes(archive)

    capture = load_phone_capture(tmp_path / "capture.zip", tmp_path / "work")

    assert [p.name for p in capture.photos] == ["capture_images_r_0.png", "capture_images_r_5.png",
                                                "capture_images_r_10.png"]
    assert capture.poses.note == ("1 of 3 frames have no camera pose in transforms.json (e.g. images/r_10.png), so "
                                  "the photos were placed by structure-from-motion instead.")


def test_poses_that_belong_to_other_photos_fall_back_to_structure_from_motion_with_the_note(tmp_path):
    source = tmp_path / "rolled.zip"
    source.write_bytes(lego_phone_zip(roll_poses=True))  # each frame has its neighbour's transform_matrix

    scene, images, frames, poses = load_source(source, tmp_path / "work", frame_size=400, train_size=48)

    assert poses.method == "structure-from-motion"
    assert poses.note.startswith("The phone's camera poses disagree with the photos (a median epipolar error of ")
    assert poses.note.endswith(" degrees over {} matched pairs of sample frames; at most 0.5 is accepted), so the "
                               "photos were placed by structure-from-motion instead.".format(poses.check["pairs"]))
    assert poses.check["pairs"] >= 3 and poses.check["median_error_degrees"] > 1
    # Placed by structure-from-motion: its undistorted frames, in its own world.
    assert frames == 20 and len(scene.cameras) == len(images) >= 10
    assert all(camera.image_path.parent == tmp_path / "work" / "sfm" / "undistorted" / "images"
               for camera in scene.cameras)


def test_too_few_posed_frames_are_refused_with_what_to_do(tmp_path):
    (tmp_path / "three.zip").write_bytes(lego_phone_zip(count=3))

    with pytest.raises(ReconstructionError) as refused:
        load_phone_capture(tmp_path / "three.zip", tmp_path / "work")

    assert str(refused.value) == ("The capture has only 3 frames; at least 8 are needed to reconstruct an object. "
                                  "Capture it again, moving all around it.")


def test_intrinsics_are_checked_against_the_upright_image(tmp_path):
    # Stored 40x20 with EXIF orientation 6 (shown turned a quarter): upright it is 20x40, as training loads it,
    # so intrinsics for the stored 40x20 pixels do not describe it.
    image = Image.new("RGB", (40, 20), (200, 60, 60))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    jpeg = io.BytesIO()
    image.save(jpeg, "JPEG", exif=exif)
    meta = {"fl_x": 30, "w": 40, "h": 20, "frames": [{"file_path": "images/1.jpg", "transform_matrix": IDENTITY}]}
    (tmp_path / "turned.zip").write_bytes(zip_bytes({"transforms.json": json.dumps(meta),
                                                     "images/1.jpg": jpeg.getvalue()}))

    capture = load_phone_capture(tmp_path / "turned.zip", tmp_path / "work")

    assert capture.scene is None and capture.poses.note == (
        "The phone's camera poses were not used: the images are 20x40 but transforms.json describes 40x20 ones, so "
        "the photos were placed by structure-from-motion instead.")
