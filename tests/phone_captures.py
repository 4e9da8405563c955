"""commonformat-ios captures made of real data, for tests: ../shared/data/nerf_lego_subset zipped the way an iOS
capture app exports a capture (frames in a folder beside a transforms.json of camera-to-world matrices)."""

import io
import json
import zipfile

from tests.conftest import shared

LEGO_FRAMES = 20  # renders present in the subset (its transforms_train.json lists 100)


def lego_transforms():
    """The subset's transforms_train.json, parsed: camera_angle_x and 100 OpenGL camera-to-world matrices."""
    return json.loads(shared("nerf_lego_subset/transforms_train.json").read_text())


def lego_phone_zip(*, count=LEGO_FRAMES, transforms="transforms.json", roll_poses=False, drop_pose_of=None,
                   folder="lego"):
    """The bytes of a zip: the first `count` renders as ``{folder}/train/r_*.png`` (800x800 RGBA) and the
    subset's transforms as ``{folder}/{transforms}`` (None: none). roll_poses: each present frame gets the next
    present frame's transform_matrix (poses that belong to other photos); drop_pose_of: a frame ("r_10") whose
    transform_matrix is left out."""
    meta = lego_transforms()
    renders = shared("nerf_lego_subset/train")
    present = [frame for frame in meta["frames"] if (renders / f"{frame['file_path'].split('/')[-1]}.png").exists()]
    if roll_poses:
        matrices = [frame["transform_matrix"] for frame in present]
        for frame, matrix in zip(present, matrices[1:] + matrices[:1], strict=True):
            frame["transform_matrix"] = matrix
    for frame in present:
        if frame["file_path"].endswith(f"/{drop_pose_of}"):
            del frame["transform_matrix"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        if transforms:
            archive.writestr(f"{folder}/{transforms}", json.dumps(meta))
        for frame in present[:count]:
            name = f"{frame['file_path'].split('/')[-1]}.png"
            archive.write(renders / name, f"{folder}/train/{name}")
    return buffer.getvalue()
