"""generation.avatar.body, dressing and studio.figure_for on the real anny model: the sliders move the right
vertices, the poses put the hands where they belong, and the clothes and hair cover what they should.

One model serves the whole module (anny's forward pass is a few hundredths of a second; the model loads from
ANNY_CACHE_DIR, which `python -m generation.avatar.body build` fills at install).
"""

import numpy as np
import pytest
from scipy.spatial import cKDTree

pytest.importorskip("anny", reason="anny (the parametric body, a requirement) is not installed")

from generation.avatar import body as anatomy  # noqa: E402
from generation.avatar import dressing, motion, spec, studio  # noqa: E402
from generation.avatar.body import REGIONS, build_body  # noqa: E402
from generation.avatar.examples import SEED_APPAREL, SEED_DETAILS  # noqa: E402

ADULT = {"gender": 1.0, "age": anatomy.age_to_anny(30)}


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """Small torch work gains nothing from threads, and on a busy machine OpenMP's waiting threads slow it."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def average():
    return build_body(ADULT, pose="A-Pose")


def moved(a, b):
    return np.linalg.norm(a.vertices - b.vertices, axis=1)


def region(body, *names):
    return body.region_mask(*names)


# --- the body -------------------------------------------------------------------------------------------------

def test_a_body_stands_on_the_floor_facing_front(average):
    v = average.vertices
    assert v.shape == (13718, 3) and v.dtype == np.float32
    assert average.faces.dtype == np.int32 and average.faces.max() < len(v)
    assert v[:, 1].min() == pytest.approx(0.0, abs=1e-6)
    assert 1.5 < v[:, 1].max() < 1.95
    nose = v[region(average, "head")][:, 2].max()
    assert nose > v[region(average, "head")][:, 2].mean() + 0.05  # the face is towards +Z
    assert average.joint("upperarm01.L")[0] > 0 > average.joint("upperarm01.R")[0]  # left is +X
    corner = v[average.faces].astype(np.float64)
    volume = np.einsum("ij,ij->i", corner[:, 0], np.cross(corner[:, 1], corner[:, 2])).sum() / 6
    assert 0.04 < volume < 0.12  # m^3, so the faces wind outwards


def test_every_region_is_labelled(average):
    counts = np.bincount(average.regions, minlength=len(REGIONS))
    assert np.all(counts > 100), dict(zip(REGIONS, counts, strict=True))
    head, feet = average.vertices[region(average, "head")], average.vertices[region(average, "feet")]
    assert head[:, 1].min() > average.vertices[region(average, "torso")][:, 1].mean() > feet[:, 1].max()


def test_a_bigger_belly_moves_the_torso_not_the_head():
    flat = build_body(ADULT, pose="A-Pose")
    avatar = spec.parse({"gender": "Female", "age": 30, "body_dimensions": [{"key": "b_{Torso}_Belly Size",
                                                                             "value": 2}]})
    round_ = build_body(avatar.phenotypes, avatar.local_changes, pose="A-Pose")
    shift = moved(flat, round_)
    assert shift[region(flat, "torso")].max() > 0.03
    # The head keeps its shape; it may ride a few millimetres on the spine, whose joints follow the belly.
    head = (round_.vertices - flat.vertices)[region(flat, "head")]
    assert shift[region(flat, "head")].max() < 0.01 and np.ptp(head, axis=0).max() < 1e-3
    front = round_.vertices[region(round_, "torso")][:, 2].max() - flat.vertices[region(flat, "torso")][:, 2].max()
    assert front > 0.02  # the belly comes forward


@pytest.mark.parametrize("key, grows", [("b_{main}_overweight", True), ("b_{main}_skinny", False),
                                        ("b_{main}_muscular", None)])
def test_weight_and_muscle_change_the_body(average, key, grows):
    avatar = spec.parse({"gender": "Female", "age": 30, "body_dimensions": [{"key": key, "value": 2}]})
    changed = build_body(avatar.phenotypes, avatar.local_changes, pose="A-Pose")
    assert moved(average, changed).mean() > 0.002
    if grows is not None:
        waist = average.joint("spine03")[1]

        def width(body):
            torso = body.vertices[region(body, "torso") & (np.abs(body.vertices[:, 1] - waist) < 0.03)]
            return np.ptp(torso[:, 0])

        assert (width(changed) > width(average) + 0.01) if grows else (width(changed) < width(average) - 0.01)


def test_t_pose_arms_are_level_and_i_pose_arms_hang(average):
    t_pose, i_pose = build_body(ADULT, pose="T-Pose"), build_body(ADULT, pose="I-Pose")
    for side, sign in (("L", 1), ("R", -1)):
        shoulder = t_pose.joint(f"upperarm01.{side}")
        wrist = t_pose.joint(f"wrist.{side}")
        assert abs(wrist[1] - shoulder[1]) < 0.04 and sign * (wrist[0] - shoulder[0]) > 0.4
        shoulder, wrist = i_pose.joint(f"upperarm01.{side}"), i_pose.joint(f"wrist.{side}")
        assert shoulder[1] - wrist[1] > 0.45 and abs(wrist[0] - shoulder[0]) < 0.15
        a_wrist = average.joint(f"wrist.{side}")
        assert i_pose.joint(f"wrist.{side}")[1] < a_wrist[1] < t_pose.joint(f"wrist.{side}")[1]
    hands = i_pose.vertices[region(i_pose, "hands")]
    hips = i_pose.vertices[region(i_pose, "torso", "legs")]
    assert cKDTree(hips).query(hands)[0].min() > 0.01  # hanging hands clear of the hips


def test_expressions_move_the_face_only(average):
    for name in ("Smile", "Kiss", "Surprise"):
        face = build_body(ADULT, facial_actions=spec.EXPRESSIONS[name], pose="A-Pose")
        shift = moved(average, face)
        assert shift[region(average, "head")].max() > 0.003, name
        assert shift[~region(average, "head", "neck")].max() < 1e-4, name


def test_bone_group_scales_lengthen_their_bones(average):
    def length(body, a, b):
        return np.linalg.norm(body.joint(a) - body.joint(b))

    tall = build_body(ADULT, bone_scales={"spine": (1.1, 1.2, 1.1)}, pose="A-Pose")
    assert length(tall, "spine05", "neck01") / length(average, "spine05", "neck01") == pytest.approx(1.2, abs=0.03)
    assert tall.vertices[:, 1].max() > average.vertices[:, 1].max() + 0.05
    long_arms = build_body(ADULT, bone_scales={"upper_arm": (1.0, 1.25, 1.0)}, pose="A-Pose")
    for side in ("L", "R"):
        ratio = length(long_arms, f"upperarm01.{side}", f"lowerarm01.{side}") / length(
            average, f"upperarm01.{side}", f"lowerarm01.{side}")
        assert ratio == pytest.approx(1.25, abs=0.03)
    assert moved(average, long_arms)[region(average, "legs")].max() < 1e-4


def test_rotations_turn_a_bone_and_what_hangs_on_it(average):
    turned = build_body(ADULT, pose="A-Pose", rotations={"neck02": (0.0, np.radians(40), 0.0)})
    shift = moved(average, turned)
    assert shift[region(average, "head")].max() > 0.05 and shift[region(average, "feet")].max() < 1e-4
    nose = average.reference_vertices[region(average, "head")][:, 2].argmax()
    point = average.reference_vertices[region(average, "head")][nose]
    assert np.allclose(turned.attach("head", point[None])[0], turned.vertices[region(average, "head")][nose],
                       atol=2e-3)


def test_the_tables_name_real_anny_controls():
    model = anatomy.model()
    names = set(model.local_change_labels)
    for terms in spec.BODY_DIMENSIONS.values():
        for kind, name, _ in terms:
            assert name in (model.phenotype_labels if kind == "phenotype" else names), name
    for shape in spec.FACE_SHAPES.values():
        assert set(shape) <= names
    for expression in spec.EXPRESSIONS.values():
        assert set(expression) <= set(model.facial_action_labels)
    assert set(spec.BONE_GROUP_NAMES) == set(anatomy.BONE_GROUPS)
    assert set(spec.HAIRSTYLES.values()) == set(dressing.HAIR_STYLES)
    assert set(spec.GARMENTS) == set(dressing.GARMENT_SHAPES)


# --- dressed ----------------------------------------------------------------------------------------------------

def dressed(item, **user):
    avatar = spec.parse({"gender": "Female", "age": 30, "pose": "A-Pose", **user}, {"item_id": item, "size": "M"})
    return avatar, studio.figure_for(avatar)


def parts_by_name(figure):
    return {part.name: part for part in figure.parts}


def covered_regions(garment, body):
    """Which regions' skin lies under a garment: the region of the skin vertex nearest each garment vertex."""
    _, nearest = cKDTree(body.vertices).query(garment.vertices)
    return np.bincount(body.regions[nearest], minlength=len(REGIONS)) / len(nearest)


def test_the_seed_dresses_as_a_clothed_person():
    avatar = spec.parse(SEED_DETAILS, SEED_APPAREL)
    figure = studio.figure_for(avatar)
    parts = parts_by_name(figure)
    assert {"skin", "lips", "sclera", "iris", "pupil", "brows", "hair", "LongSleeve", "Pants", "Shoes",
            "Soles"} <= set(parts)
    assert parts["LongSleeve"].color == avatar.garments[0].color and parts["LongSleeve"].cloth
    assert parts["skin"].color == avatar.skin_color and parts["hair"].color == avatar.hair_color
    assert parts["lips"].color != parts["skin"].color
    low, high = figure.bounds()
    assert low[1] == pytest.approx(0.0, abs=1e-6) and 1.5 < high[1] < 2.1
    for part in figure.parts:
        assert part.vertices.dtype == np.float32 and part.vertices.ndim == 2 and part.vertices.shape[1] == 3
        assert part.faces.min() >= 0 and part.faces.max() < len(part.vertices)
        assert np.isfinite(part.vertices).all()
    # The bun stands on the head, above and behind it.
    hair = parts["hair"].vertices
    assert hair[:, 1].max() > parts["skin"].vertices[:, 1].max() + 0.02


@pytest.mark.parametrize("item, present, absent", [
    ("LongSleeve", {"torso": 0.4, "arms": 0.25}, ("head", "feet", "hands")),
    ("ShortSleeve", {"torso": 0.55, "arms": 0.05}, ("head", "hands", "feet")),
    ("Hoodie", {"torso": 0.4, "arms": 0.12}, ("feet", "hands")),
    ("TankTop", {"torso": 0.8}, ("head", "hands", "feet")),
    ("Pants", {"legs": 0.6}, ("arms", "head", "hands")),
    ("Shorts", {"legs": 0.3, "torso": 0.2}, ("arms", "head", "feet")),
])
def test_each_garment_covers_its_part_of_the_body(item, present, absent):
    avatar, figure = dressed(item)
    body = studio.body_for(avatar)
    share = covered_regions(parts_by_name(figure)[item], body)
    for name, least in present.items():
        assert share[REGIONS.index(name)] > least, (item, name, share)
    for name in absent:
        assert share[REGIONS.index(name)] < 0.02, (item, name, share)
    others = {"top": "legs", "bottom": "arms"}[spec.GARMENTS[item]]
    assert share[REGIONS.index(others)] < 0.06, (item, share)  # a top's hem may reach the hips' leg skin


def test_sleeves_end_where_they_should():
    def sleeve_end(item):
        """The lowest point of the garment over the arms (A-pose: the arms clear of the body)."""
        avatar, figure = dressed(item, pose="A-Pose")
        body = studio.body_for(avatar)
        garment = parts_by_name(figure)[item]
        lift = figure.bounds()[0][1] - body.vertices[:, 1].min()
        _, nearest = cKDTree(body.vertices + [0, lift, 0]).query(garment.vertices)
        over_arms = garment.vertices[body.regions[nearest] == REGIONS.index("arms")]
        return (over_arms[:, 1].min() if len(over_arms) else np.inf), body.joint("lowerarm01.L")[1] + lift

    long_end, elbow = sleeve_end("LongSleeve")
    short_end, _ = sleeve_end("ShortSleeve")
    tank_end, _ = sleeve_end("TankTop")
    assert long_end < elbow - 0.12  # down to the wrist
    assert elbow < short_end < tank_end  # above the elbow; a tank top has no sleeves at all


def test_trousers_reach_the_ankles_and_shorts_stop_over_the_knees():
    avatar, pants = dressed("Pants")
    body = studio.body_for(avatar)
    knee, ankle = body.joint("lowerleg01.L")[1], body.joint("foot.L")[1]
    assert parts_by_name(pants)["Pants"].vertices[:, 1].min() < ankle + 0.05
    shorts = parts_by_name(dressed("Shorts")[1])["Shorts"]
    assert shorts.vertices[:, 1].min() > knee


def test_skirts_and_dresses_flare_round_the_legs():
    avatar, skirt_figure = dressed("Skirt")
    body = studio.body_for(avatar)
    skirt = parts_by_name(skirt_figure)["Skirt"]
    hip, knee = body.joint("upperleg01.L")[1], body.joint("lowerleg01.L")[1]
    assert skirt.vertices[:, 1].max() > hip and knee - 0.1 < skirt.vertices[:, 1].min() < hip
    hem = skirt.vertices[skirt.vertices[:, 1] < skirt.vertices[:, 1].min() + 0.02]
    thighs = body.vertices[region(body, "legs") & (np.abs(body.vertices[:, 1] - hem[:, 1].mean()) < 0.02)]
    assert np.ptp(hem[:, 0]) > np.ptp(thighs[:, 0]) + 0.02  # wider than the legs at its hem
    assert "ShortSleeve" in parts_by_name(skirt_figure)  # a skirt comes with a top
    dress = parts_by_name(dressed("Dress")[1])
    assert set(dress) & {"Pants", "ShortSleeve"} == set()
    assert dress["Dress"].vertices[:, 1].max() > body.joint("spine01")[1]  # a bodice as well as a skirt


def test_bigger_sizes_stand_further_off_the_body():
    def gap(size):
        avatar = spec.parse({"gender": "Female", "age": 30}, {"item_id": "LongSleeve", "size": size})
        figure = studio.figure_for(avatar)
        body = studio.body_for(avatar)
        shirt = parts_by_name(figure)["LongSleeve"]
        lift = figure.bounds()[0][1] - body.vertices[:, 1].min()
        return cKDTree(body.vertices + [0, lift, 0]).query(shirt.vertices)[0].mean()

    assert gap("XS") < gap("M") < gap("XXL")


def test_hidden_skin_is_left_out_under_clothes():
    bare = studio.figure_for(spec.parse({}, {"item_id": "TankTop"}))
    covered = studio.figure_for(spec.parse({}, {"item_id": "Hoodie"}))
    assert len(parts_by_name(covered)["skin"].faces) < len(parts_by_name(bare)["skin"].faces) - 1000


def test_hairstyles_look_different():
    heads = {}
    for key in ("0", "1", "2", "5", "7", "8", "9", "10"):
        figure = studio.figure_for(spec.parse({"gender": "Female", "age": 30, "hairstyle": key}))
        heads[key] = parts_by_name(figure).get("hair")
    assert heads["0"] is None  # bald
    skin_top = studio.figure_for(spec.parse({"gender": "Female", "age": 30, "hairstyle": "0"})).parts[0]
    shapes = {key: (len(part.vertices), *part.vertices.min(0).round(3), *part.vertices.max(0).round(3))
              for key, part in heads.items() if part is not None}
    assert len(set(shapes.values())) == len(shapes)
    lowest = {key: part.vertices[:, 1].min() for key, part in heads.items() if part is not None}
    assert lowest["8"] < lowest["7"] < lowest["2"]  # long < bob < crew
    depth = {key: part.vertices[:, 2].min() for key, part in heads.items() if part is not None}
    assert depth["9"] < depth["2"] - 0.02  # the ponytail hangs behind
    assert heads["10"].vertices[:, 1].max() > heads["2"].vertices[:, 1].max() + 0.025  # the bun on top
    width = {key: np.ptp(part.vertices[:, 0]) for key, part in heads.items() if part is not None}
    assert width["5"] > width["2"] + 0.08  # the afro's volume
    assert heads["1"].vertices[:, 1].max() > skin_top.vertices[:, 1].max()  # even a buzz cut covers the scalp


def test_hair_follows_the_head_through_motion():
    avatar = spec.parse({"gender": "Female", "age": 30, "hairstyle": "9"})
    still = parts_by_name(studio.figure_for(avatar))["hair"]
    turn = motion.FramePose(rotations={"neck02": (0.0, np.radians(45), 0.0)})
    turned = parts_by_name(studio.figure_for(avatar, turn))["hair"]
    assert len(turned.vertices) == len(still.vertices)
    assert np.linalg.norm(turned.vertices - still.vertices, axis=1).max() > 0.08


def test_a_waving_frame_raises_the_right_hand():
    avatar = spec.parse({"gender": "Male", "pose": "I-Pose"}, None, None, {"prompt": "wave", "duration": 2})
    poses = motion.frames(avatar.duration, 6, avatar.prompt, avatar.negative_prompt, avatar.seed)
    body = studio.body_for(avatar, poses[len(poses) // 2])
    assert body.joint("wrist.R")[1] > body.joint("head")[1]
    assert body.joint("wrist.L")[1] < body.joint("upperarm01.L")[1]
    figure = studio.figure_for(avatar, poses[len(poses) // 2])
    sleeve = parts_by_name(figure)["ShortSleeve"]
    assert np.isfinite(sleeve.vertices).all()
