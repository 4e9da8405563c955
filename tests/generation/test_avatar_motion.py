"""generation.avatar.motion: the prompt's words choose the motion; the seed varies it, repeatably."""

import numpy as np
import pytest

from generation.avatar import motion


@pytest.mark.parametrize("prompt, negative, chosen", [
    ("", "", ["idle", "turntable"]),
    ("a portrait", "", ["idle", "turntable"]),
    ("She waves hello", "", ["wave"]),
    ("dancing at a party, then turn around", "", ["dance", "turntable"]),
    ("walk and dance", "", ["dance"]),  # one body motion: dance wins
    ("walking while waving", "", ["wave", "walk"]),
    ("dance and wave", "wave", ["dance"]),
    ("", "turntable spin", ["idle"]),
    ("nod yes", "", ["nod"]),
])
def test_words_choose_the_motion(prompt, negative, chosen):
    assert motion.choose(prompt, negative) == chosen


def test_a_clip_has_duration_times_fps_frames_and_turns_once():
    poses = motion.frames(2, 12)
    assert len(poses) == 24
    yaws = [pose.yaw for pose in poses]
    assert yaws[0] == 0 and np.all(np.diff(yaws) > 0) and 330 < yaws[-1] < 360


def test_no_turntable_keeps_the_figure_facing_the_camera():
    assert {pose.yaw for pose in motion.frames(2, 6, "dance")} == {0.0}


def test_the_same_seed_gives_the_same_clip_and_another_seed_another():
    def clip(seed):
        return [pose.rotations for pose in motion.frames(3, 8, "dance", seed=seed)]

    first, again, other = clip(7), clip(7), clip(8)
    for a, b in zip(first, again, strict=True):
        assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
    assert any(not np.allclose(a[k], b[k]) for a, b in zip(first, other, strict=True) for k in a)


def test_a_wave_raises_the_right_arm_and_lowers_it_again():
    poses = motion.frames(3, 10, "wave")
    lift = [np.linalg.norm(pose.rotations.get("upperarm01.R", np.zeros(3))) for pose in poses]
    assert lift[len(lift) // 2] > np.radians(100)
    assert lift[0] < np.radians(10) and lift[-1] < np.radians(25)
    assert np.linalg.norm(poses[len(poses) // 2].rotations.get("upperarm01.L", np.zeros(3))) < np.radians(10)


def test_walking_lifts_each_knee_in_turn():
    poses = motion.frames(2, 20, "walk")
    left = [np.linalg.norm(pose.rotations.get("upperleg01.L", np.zeros(3))) for pose in poses]
    right = [np.linalg.norm(pose.rotations.get("upperleg01.R", np.zeros(3))) for pose in poses]
    assert max(left) > np.radians(25) and max(right) > np.radians(25)
    assert min(a * b for a, b in zip(left, right, strict=True)) < 1e-6  # never both legs up


def test_idle_breathes_and_blinks():
    poses = motion.frames(8, 10)
    assert all("spine02" in pose.rotations for pose in poses)
    blinks = [pose.facial_actions.get("eyeBlinkLeft", 0.0) for pose in poses]
    assert max(blinks) > 0.5 and blinks.count(0.0) > len(blinks) / 2
