"""generation.avatar.spec: seed 003's request bodies read as they are, and every mistake named."""

import copy

import pytest

from generation.avatar import spec
from generation.avatar.examples import SEED_DETAILS, SEED_IMAGE, SEED_VIDEO
from generation.avatar.spec import SpecError, parse


def user(**changes):
    details = copy.deepcopy(SEED_DETAILS)
    details.update(changes)
    return details


def test_the_seeds_generate_body_parses_as_it_is():
    avatar = parse(**SEED_IMAGE)
    assert avatar.gender == "Female" and avatar.phenotypes["gender"] == 1.0
    assert avatar.face_shape == "long" and avatar.skin_tone == 2
    assert avatar.pose == "I-Pose" and avatar.camera_view == "Front" and avatar.view_mode == 0
    assert avatar.expression == "Kiss" and avatar.facial_actions["mouthPucker"] > 0.5
    assert avatar.hairstyle == "10" and avatar.hairstyle_name == "bun"
    assert avatar.hair_color == pytest.approx((0x6B / 255, 0x4F / 255, 0x30 / 255))
    assert avatar.background == pytest.approx((1.0, 0xE4 / 255, 0xDB / 255))
    assert avatar.bone_scales == {"spine": (1.1, 1.2, 1.1)}
    assert len(avatar.body_dimensions) == 22
    assert avatar.quality == 100 and avatar.thumbnail_width == 128
    # muscular 0.5 and overweight 1 move anny's phenotypes up from the average; belly and breasts are local changes
    assert avatar.phenotypes["muscle"] == pytest.approx(0.625)
    assert avatar.phenotypes["weight"] == pytest.approx(0.75)
    assert avatar.local_changes["stomach-pregnant-incr"] == pytest.approx(0.5 + 0.15)  # belly 2, overweight 1
    assert avatar.local_changes["measure-bust-circ-incr"] == pytest.approx(1.0)
    assert avatar.local_changes["head-scale-vert-incr"] > 0  # the long face
    top, bottom = avatar.garments
    assert (top.item_id, top.size, top.color_name, top.brand, top.asked) == ("LongSleeve", "M", "Black", "brand", True)
    assert top.color == pytest.approx((0x1C / 255, 0x1C / 255, 0x1E / 255))
    assert (bottom.role, bottom.size, bottom.asked) == ("bottom", "L", False)  # size2 dresses the bottom
    assert avatar.brand == "brand"


def test_the_seeds_generate_video_body_parses_as_it_is():
    avatar = parse(**SEED_VIDEO)
    assert avatar.duration == 5 and avatar.prompt == "" and avatar.negative_prompt == "" and avatar.seed == 0
    assert avatar.pixverse is True
    assert avatar.quality == spec.DEFAULT_QUALITY and avatar.thumbnail_width == spec.DEFAULT_THUMBNAIL


def test_everything_missing_takes_the_defaults():
    avatar = parse({})
    assert avatar.gender == "Neutral" and avatar.pose == "A-Pose" and avatar.expression == "Neutral"
    assert avatar.hairstyle == spec.DEFAULT_HAIRSTYLE and avatar.skin_tone == spec.DEFAULT_SKIN_TONE
    assert avatar.background == (1.0, 1.0, 1.0) and avatar.camera_view == "Front" and avatar.view_mode == 0
    assert [g.item_id for g in avatar.garments] == ["ShortSleeve", "Pants"]
    assert avatar.duration == 5 and avatar.seed == 0 and avatar.pixverse is False
    assert avatar.phenotypes["age"] == pytest.approx(0.79, abs=0.02)  # a 30 year old, not anny's teenage 0.5


def test_names_ignore_case_and_separators():
    avatar = parse(user(gender="female", pose="t-pose", camera_view="front left", expression="SMILE",
                        face_shape="Round", hairstyle="long straight"),
                   {"item_id": "longsleeve", "color": "navy", "size": "xl"})
    assert (avatar.gender, avatar.pose, avatar.camera_view, avatar.expression) == ("Female", "T-Pose", "FrontLeft",
                                                                                   "Smile")
    assert avatar.face_shape == "round" and avatar.hairstyle == "8"
    assert avatar.garments[0].item_id == "LongSleeve" and avatar.garments[0].size == "XL"
    assert avatar.garments[0].color_name == "Navy"


def test_colours_in_every_spelling():
    for value in ("6B4F30", "#6B4F30", "6b4f30ff", "#6B4F3080"):
        assert parse(user(hair_color=value)).hair_color == pytest.approx((0x6B / 255, 0x4F / 255, 0x30 / 255))
    assert parse(user(hair_color="Blonde")).hair_color == spec.hex_color(spec.HAIR_COLORS["blonde"], "x")
    garment = parse({}, {"item_id": "Dress", "color": "#336699"}).garments[0]
    assert garment.color == pytest.approx((0x33 / 255, 0x66 / 255, 0x99 / 255)) and garment.color_name == "#336699"


def test_a_top_gets_trousers_a_bottom_gets_a_top_and_a_dress_is_both():
    assert [(g.item_id, g.asked) for g in parse({}, {"item_id": "Hoodie"}).garments] == [("Hoodie", True),
                                                                                        ("Pants", False)]
    worn = parse({}, {"item_id": "Skirt", "size": "S", "size2": "XL"}).garments
    assert [(g.item_id, g.role, g.size) for g in worn] == [("ShortSleeve", "top", "S"), ("Skirt", "bottom", "XL")]
    assert [g.item_id for g in parse({}, {"item_id": "Dress"}).garments] == ["Dress"]
    assert parse({}, {"item_id": "Pants", "size": "L"}).garments[1].size == "L"  # size2 defaults to size


def test_body_dimensions_as_a_json_string_or_an_object():
    listed = parse(user()).body_dimensions
    assert parse(user(body_dimensions=str(SEED_DETAILS["body_dimensions"]).replace("'", '"'))
                 ).body_dimensions == listed
    assert parse(user(body_dimensions={"b_{main}_muscular": -2})).phenotypes["muscle"] == 0.0


def test_skinny_and_overweight_pull_the_weight_both_ways():
    assert parse(user(body_dimensions=[{"key": "b_{main}_skinny", "value": 2}])).phenotypes["weight"] == 0.0
    assert parse(user(body_dimensions=[{"key": "b_{main}_overweight", "value": 2}])).phenotypes["weight"] == 1.0


@pytest.mark.parametrize("details, words", [
    ({"body_dimensions": [{"key": "b_{Torso}_Tail Length", "value": 1}]}, ["Tail Length", "b_{Torso}_Belly Size"]),
    ({"body_dimensions": [{"key": "b_{main}_muscular", "value": 2.5}]}, ["between -2.0 and 2.0"]),
    ({"body_dimensions": [{"key": "b_{main}_muscular", "value": "lots"}]}, ["b_{main}_muscular", "number"]),
    ({"body_dimensions": [{"key": "b_{main}_muscular", "value": True}]}, ["number"]),
    ({"body_dimensions": [{"key": "b_{main}_muscular"}]}, ["body_dimensions[0]", "value"]),
    ({"body_dimensions": [{"key": "b_{main}_muscular", "value": 1}] * 2}, ["twice"]),
    ({"body_dimensions": 5}, ["body_dimensions", "list"]),
    ({"body_dimension_lengths": [{"key": "tail", "value": {"x": 1, "y": 1, "z": 1}}]}, ["tail", "spine", "forearm"]),
    ({"body_dimension_lengths": [{"key": "spine", "value": {"x": 1, "y": 1.5, "z": 1}}]}, ["spine", "y", "0.7"]),
    ({"body_dimension_lengths": [{"key": "spine", "value": {"w": 1}}]}, ["spine", "x"]),
    ({"gender": "Robot"}, ["gender", "Female", "Male", "Neutral"]),
    ({"gender": 1}, ["gender", "string"]),
    ({"age": 300}, ["age", "between"]),
    ({"face_shape": "pointy"}, ["face_shape", "oval", "heart"]),
    ({"skin_tone": 10}, ["skin_tone", "between 0 and 9"]),
    ({"skin_tone": 2.5}, ["skin_tone", "whole"]),
    ({"skin_tone": "pale"}, ["skin_tone", "whole number"]),
    ({"expression": "Bored"}, ["expression", "Smile", "Kiss"]),
    ({"hairstyle": "99"}, ["hairstyle", "10 bun"]),
    ({"hairstyle": ["10"]}, ["hairstyle"]),
    ({"hair_color": "brownish"}, ["hair_color", "hex"]),
    ({"pose": "Y-Pose"}, ["pose", "I-Pose", "T-Pose", "A-Pose"]),
    ({"camera_view": "Top"}, ["camera_view", "FrontLeft"]),
    ({"view_mode": 3}, ["view_mode", "between 0 and 2"]),
    ({"view_mode": "wide"}, ["view_mode"]),
    ({"background_color_hex": "white"}, ["background_color_hex", "hex"]),
])
def test_every_mistake_in_user_details_is_named(details, words):
    with pytest.raises(SpecError) as raised:
        parse(user(**details))
    for word in words:
        assert word in str(raised.value)


@pytest.mark.parametrize("apparel, image, video, words", [
    ({"item_id": "Cape"}, None, None, ["item_id", "LongSleeve", "Dress"]),
    ({"item_id": 7}, None, None, ["item_id"]),
    ({"item_id": "Pants", "color": "Mauvish"}, None, None, ["color", "Navy", "#RRGGBB"]),
    ({"item_id": "Pants", "size": "XXXL"}, None, None, ["size", "XS", "XXL"]),
    ({"item_id": "Pants", "size2": "huge"}, None, None, ["size2"]),
    ({"brand": 3}, None, None, ["brand", "string"]),
    (None, {"quality": 0}, None, ["quality", "between 1 and 100"]),
    (None, {"quality": "best"}, None, ["quality"]),
    (None, {"thumbnail_width": 8}, None, ["thumbnail_width", "16"]),
    (None, None, {"duration": 30}, ["duration", "between 1 and 20"]),
    (None, None, {"duration": "long"}, ["duration"]),
    (None, None, {"seed": -1}, ["seed"]),
    (None, None, {"seed": 1.5}, ["seed", "whole"]),
    (None, None, {"prompt": 5}, ["prompt", "string"]),
    (None, None, {"pixverse": "maybe"}, ["pixverse", "true or false"]),
])
def test_every_mistake_in_the_options_is_named(apparel, image, video, words):
    with pytest.raises(SpecError) as raised:
        parse({}, apparel, image, video)
    for word in words:
        assert word in str(raised.value)


def test_sections_must_be_objects():
    for arguments in (("x",), ({}, ["LongSleeve"]), ({}, None, 5), ({}, None, None, "slow")):
        with pytest.raises(SpecError, match="must be an object"):
            parse(*arguments)


def test_spec_errors_are_value_errors():
    assert issubclass(SpecError, ValueError)


def test_the_tables_agree_with_each_other():
    assert set(spec.GENDERS) == {"Female", "Male", "Neutral"}
    assert len(spec.SKIN_TONES) == 10 and all(spec.hex_color(tone, "t") for tone in spec.SKIN_TONES)
    assert len(spec.HAIRSTYLES) >= 11 and "10" in spec.HAIRSTYLES
    assert {"LongSleeve", "ShortSleeve", "Hoodie", "TankTop", "Pants", "Shorts", "Skirt", "Dress"} <= set(spec.GARMENTS)
    assert len(spec.COLORS) >= 16
    for item, (companion, color) in spec.COMPANIONS.items():
        assert spec.GARMENTS[companion] != item and color in spec.COLORS
    lows = {value for terms in spec.BODY_DIMENSIONS.values() for _, _, value in terms}
    assert all(-1 <= gain <= 1 for gain in lows)
