"""What a studio request asks for, checked and turned into the body's numbers: `parse(...)` reads seed 003's
`user_details`, `apparel_details`, `image_options` and `video_options` and returns an `AvatarSpec`, or raises
`SpecError` with a message a person can act on (the door sends it back as is).

Every choice a client can make is a module-level table here (body dimensions, face shapes, skin tones,
expressions, hairstyles, poses, garments, colours, sizes), so the docs can print them and the errors can list
them.
"""

import json
import re
from dataclasses import dataclass, field

from .scene import VIEW_MODES, VIEWS


class SpecError(ValueError):
    """A request the studio cannot draw; the message says which field and what would be accepted."""


# --- body -----------------------------------------------------------------------------------------------------

# body_dimensions values: 0 is average, 1 more, 2 the most; -1 less, -2 the least.
DIMENSION_RANGE = (-2.0, 2.0)


def _both(change, gain):
    """The left and right local change `change` ("upperarm-fat-incr"), each moved by `gain` per unit."""
    return (("local", f"l-{change}", gain), ("local", f"r-{change}", gain))


# body_dimensions key -> what it moves in anny, as (kind, name, gain) terms. A "phenotype" term moves that anny
# phenotype (0..1, 0.5 average) by gain * value; a "local" term adds gain * value to that anny local change
# (-1..1), so a gain of 0.5 reaches the local change's full range at value 2. Left and right sides are listed
# as separate terms.
BODY_DIMENSIONS = {
    # anny's muscle and weight phenotypes alone move the waist by under a fifth over their whole range, too little
    # to see in a full-body picture: the three main sliders add the matching local changes of every limb.
    "b_{main}_muscular": (("phenotype", "muscle", 0.25), *_both("upperarm-muscle-incr", 0.3),
                          *_both("upperarm-shoulder-muscle-incr", 0.3), *_both("lowerarm-muscle-incr", 0.2),
                          *_both("upperleg-muscle-incr", 0.25), *_both("lowerleg-muscle-incr", 0.2),
                          ("local", "torso-muscle-pectoral-incr", 0.3), ("local", "torso-muscle-dorsi-incr", 0.3),
                          ("local", "stomach-tone-incr", 0.2), ("local", "measure-upperarm-circ-incr", 0.15)),
    "b_{main}_overweight": (("phenotype", "weight", 0.25), *_both("upperarm-fat-incr", 0.3),
                            *_both("lowerarm-fat-incr", 0.2), *_both("upperleg-fat-incr", 0.3),
                            *_both("lowerleg-fat-incr", 0.2), ("local", "measure-waist-circ-incr", 0.3),
                            ("local", "stomach-pregnant-incr", 0.15), ("local", "measure-hips-circ-incr", 0.15),
                            ("local", "measure-neck-circ-incr", 0.2), ("local", "head-fat-incr", 0.2),
                            ("local", "torso-scale-horiz-incr", 0.1), ("local", "buttocks-volume-incr", 0.15)),
    "b_{main}_skinny": (("phenotype", "weight", -0.25), *_both("upperarm-fat-incr", -0.4),
                        *_both("lowerarm-fat-incr", -0.3), *_both("upperleg-fat-incr", -0.4),
                        *_both("lowerleg-fat-incr", -0.3), ("local", "measure-waist-circ-incr", -0.35),
                        ("local", "measure-hips-circ-incr", -0.25), ("local", "measure-neck-circ-incr", -0.2),
                        ("local", "measure-thigh-circ-incr", -0.2), ("local", "measure-upperarm-circ-incr", -0.2),
                        ("local", "head-fat-incr", -0.15), ("local", "torso-scale-horiz-incr", -0.1)),
    "b_{Head}_Neck Thickness": (("local", "measure-neck-circ-incr", 0.5),),
    "b_{Head}_Neck Length": (("local", "measure-neck-height-incr", 0.5),),
    "b_{Torso}_Shoulder Width": (("local", "measure-shoulder-dist-incr", 0.5),),
    "b_{Torso}_Chest Width": (("local", "measure-frontchest-dist-incr", 0.5),
                              ("local", "torso-scale-horiz-incr", 0.15)),
    "b_{Torso}_Breast Size": (("local", "measure-bust-circ-incr", 0.5),
                              ("local", "breast-point-incr", 0.25)),
    "b_{Torso}_Waist Thickness": (("local", "measure-waist-circ-incr", 0.5),),
    "b_{Torso}_Belly Size": (("local", "stomach-pregnant-incr", 0.25),
                             ("local", "measure-waist-circ-incr", 0.15)),
    "b_{Torso}_Hips Size": (("local", "measure-hips-circ-incr", 0.5),),
    "b_{Arms}_Upper Arm Length": (("local", "measure-upperarm-length-incr", 0.5),),
    "b_{Arms}_Upper Arm Thickness": (("local", "measure-upperarm-circ-incr", 0.5),),
    "b_{Arms}_Forearm Length": (("local", "measure-lowerarm-length-incr", 0.5),),
    "b_{Arms}_Forearm Thickness": (("local", "l-lowerarm-fat-incr", 0.5), ("local", "r-lowerarm-fat-incr", 0.5)),
    "b_{Legs}_Thigh Length": (("local", "measure-upperleg-height-incr", 0.5),),
    "b_{Legs}_Thigh Thickness": (("local", "measure-thigh-circ-incr", 0.5),),
    "b_{Legs}_Shin Length": (("local", "measure-lowerleg-height-incr", 0.5),),
    "b_{Legs}_Shin Thickness": (("local", "measure-calf-circ-incr", 0.5),),
    "b_{Arms}_Hand Width": (("local", "l-hand-fingers-distance-incr", 0.5),
                            ("local", "r-hand-fingers-distance-incr", 0.5),
                            ("local", "l-hand-scale-incr", 0.1), ("local", "r-hand-scale-incr", 0.1)),
    "b_{Arms}_Hand Thickness": (("local", "l-hand-fingers-diameter-incr", 0.5),
                                ("local", "r-hand-fingers-diameter-incr", 0.5),
                                ("local", "measure-wrist-circ-incr", 0.25)),
    "b_{Legs}_Foot Length": (("local", "l-foot-scale-depth-incr", 0.5), ("local", "r-foot-scale-depth-incr", 0.5)),
}

# body_dimension_lengths: a scale per bone group, {x, y, z}: y along the bone, x and z across it.
LENGTH_RANGE = (0.7, 1.3)
# The groups themselves (which anny bones each scales) are body.BONE_GROUPS; their names are repeated here so the
# spec needs no model.
BONE_GROUP_NAMES = ("spine", "neck", "head", "shoulder", "upper_arm", "forearm", "hand", "pelvis", "thigh", "shin",
                    "foot")

# gender -> anny's gender phenotype (0 male .. 1 female).
GENDERS = {"Female": 1.0, "Male": 0.0, "Neutral": 0.5}
GENDER_ALIASES = {"F": "Female", "Woman": "Female", "M": "Male", "Man": "Male", "N": "Neutral",
                  "Non-binary": "Neutral", "Other": "Neutral"}

AGE_RANGE = (1, 100)  # years; optional `age` in user_details, default below
DEFAULT_AGE = 30

# face_shape -> anny local changes (-1..1) of the head, chin, cheeks and forehead.
FACE_SHAPES = {
    "oval": {},
    "round": {"head-scale-horiz-incr": 0.35, "head-fat-incr": 0.6, "chin-height-incr": -0.35,
              "chin-width-incr": 0.3, "l-cheek-volume-incr": 0.5, "r-cheek-volume-incr": 0.5},
    "long": {"head-scale-vert-incr": 0.6, "chin-height-incr": 0.55, "head-scale-horiz-incr": -0.3,
             "l-cheek-volume-incr": -0.3, "r-cheek-volume-incr": -0.3},
    "square": {"chin-width-incr": 0.8, "chin-bones-incr": 0.7, "head-scale-horiz-incr": 0.2,
               "chin-prominent-incr": 0.3, "chin-height-incr": -0.2},
    "heart": {"forehead-temple-incr": 0.6, "chin-width-incr": -0.7, "chin-height-incr": 0.2,
              "l-cheek-bones-incr": 0.4, "r-cheek-bones-incr": 0.4},
    "diamond": {"l-cheek-bones-incr": 0.8, "r-cheek-bones-incr": 0.8, "forehead-temple-incr": -0.5,
                "chin-width-incr": -0.5, "chin-height-incr": 0.2},
    "triangle": {"chin-width-incr": 0.6, "chin-bones-incr": 0.6, "forehead-temple-incr": -0.6,
                 "head-scale-horiz-incr": 0.1},
}

# skin_tone index -> sRGB skin albedo, lightest (0) to deepest (9).
SKIN_TONES = ("#F5DCCB", "#EBC8B0", "#E0B699", "#D4A485", "#C48E6D",
              "#AD7653", "#8F5B3D", "#71442D", "#54311F", "#3B2218")
DEFAULT_SKIN_TONE = 2

# expression -> anny facial actions (ARKit blendshape names, 0..1).
EXPRESSIONS = {
    "Neutral": {},
    "Smile": {"mouthSmileLeft": 0.8, "mouthSmileRight": 0.8, "cheekSquintLeft": 0.4, "cheekSquintRight": 0.4,
              "eyeSquintLeft": 0.2, "eyeSquintRight": 0.2},
    "Laugh": {"mouthSmileLeft": 1.0, "mouthSmileRight": 1.0, "jawOpen": 0.35, "cheekSquintLeft": 0.7,
              "cheekSquintRight": 0.7, "eyeSquintLeft": 0.5, "eyeSquintRight": 0.5, "browInnerUp": 0.2},
    "Kiss": {"mouthPucker": 1.0, "mouthFunnel": 0.2, "browInnerUp": 0.25, "eyeSquintLeft": 0.2,
             "eyeSquintRight": 0.2},
    "Surprise": {"jawOpen": 0.45, "browInnerUp": 1.0, "browOuterUpLeft": 0.8, "browOuterUpRight": 0.8,
                 "eyeWideLeft": 0.8, "eyeWideRight": 0.8, "mouthFunnel": 0.3},
    "Angry": {"browDownLeft": 1.0, "browDownRight": 1.0, "eyeSquintLeft": 0.5, "eyeSquintRight": 0.5,
              "mouthFrownLeft": 0.6, "mouthFrownRight": 0.6, "noseSneerLeft": 0.6, "noseSneerRight": 0.6,
              "mouthPressLeft": 0.4, "mouthPressRight": 0.4},
    "Sad": {"browInnerUp": 0.8, "mouthFrownLeft": 0.8, "mouthFrownRight": 0.8, "eyeLookDownLeft": 0.3,
            "eyeLookDownRight": 0.3, "mouthShrugLower": 0.3},
    "Wink": {"eyeBlinkLeft": 1.0, "mouthSmileLeft": 0.7, "mouthSmileRight": 0.3, "cheekSquintLeft": 0.5},
    "Disgust": {"noseSneerLeft": 1.0, "noseSneerRight": 1.0, "mouthUpperUpLeft": 0.6, "mouthUpperUpRight": 0.6,
                "browDownLeft": 0.5, "browDownRight": 0.5},
    "Fear": {"eyeWideLeft": 1.0, "eyeWideRight": 1.0, "browInnerUp": 1.0, "mouthStretchLeft": 0.6,
             "mouthStretchRight": 0.6, "jawOpen": 0.2},
    "Sleepy": {"eyeBlinkLeft": 0.75, "eyeBlinkRight": 0.75, "browInnerUp": 0.2, "mouthClose": 0.2},
    "Playful": {"tongueOut": 1.0, "jawOpen": 0.25, "eyeBlinkRight": 1.0, "mouthSmileLeft": 0.4,
                "mouthSmileRight": 0.4},
}

# hairstyle id -> style name (dressing.HAIR_STYLES holds each style's shape).
HAIRSTYLES = {
    "0": "bald",
    "1": "buzz cut",
    "2": "crew cut",
    "3": "side part",
    "4": "quiff",
    "5": "afro",
    "6": "pixie",
    "7": "bob",
    "8": "long straight",
    "9": "ponytail",
    "10": "bun",
    "11": "shoulder length",
}
DEFAULT_HAIRSTYLE = "2"

# hair_color may also be one of these names instead of a hex colour.
HAIR_COLORS = {"black": "#1E1A17", "dark brown": "#3B2A20", "brown": "#6B4F30", "light brown": "#8E6B47",
               "blonde": "#D1B07A", "auburn": "#7A3B22", "red": "#A5472A", "grey": "#8F8C88", "white": "#E6E3DC"}
DEFAULT_HAIR_COLOR = "#3B2A20"

POSES = ("I-Pose", "T-Pose", "A-Pose")

# --- apparel --------------------------------------------------------------------------------------------------

# item_id -> which part of the body it dresses: a top, a bottom, or both (a dress).
GARMENTS = {
    "LongSleeve": "top",
    "ShortSleeve": "top",
    "Hoodie": "top",
    "TankTop": "top",
    "Pants": "bottom",
    "Shorts": "bottom",
    "Skirt": "bottom",
    "Dress": "full",
}
GARMENT_ALIASES = {"tshirt": "ShortSleeve", "t-shirt": "ShortSleeve", "tee": "ShortSleeve",
                   "sweatshirt": "LongSleeve", "jeans": "Pants", "trousers": "Pants"}
# What the avatar wears where the request names only a top, or only a bottom: never half-dressed.
COMPANIONS = {"top": ("Pants", "Denim"), "bottom": ("ShortSleeve", "White")}

# Colour names a garment may be given in (the catalogue's names are turned into hex by the Django layer).
COLORS = {
    "Black": "#1C1C1E", "White": "#F2F2EE", "Grey": "#8C8C8E", "Charcoal": "#3A3B3F",
    "Red": "#B3202A", "Burgundy": "#6D1A2B", "Pink": "#E59AB4", "Orange": "#E0702A",
    "Yellow": "#E8C23A", "Green": "#2E7D4F", "Olive": "#6B6B3A", "Teal": "#1F7A7A",
    "Blue": "#2F5DA8", "Navy": "#1F2A44", "Purple": "#5E3A87", "Brown": "#6B4A33",
    "Beige": "#D8C7A8", "Denim": "#41597A",
}
DEFAULT_COLOR = "Navy"

SIZES = ("XS", "S", "M", "L", "XL", "XXL")
SIZE_ALIASES = {"2XL": "XXL", "XXS": "XS"}
DEFAULT_SIZE = "M"

# --- outputs --------------------------------------------------------------------------------------------------

QUALITY_RANGE, DEFAULT_QUALITY = (1, 100), 90
THUMBNAIL_RANGE, DEFAULT_THUMBNAIL = (16, 1024), 256
DURATION_RANGE, DEFAULT_DURATION = (1, 20), 5
DEFAULT_VIEW, DEFAULT_VIEW_MODE = "Front", 0
DEFAULT_BACKGROUND = "#FFFFFF"


@dataclass(frozen=True)
class Garment:
    """One piece of clothing the dresser makes."""

    item_id: str  # a GARMENTS key
    role: str  # "top", "bottom" or "full"
    color: tuple[float, float, float]  # sRGB 0..1
    color_name: str  # as asked ("Black", "#112233")
    size: str  # a SIZES entry
    brand: str = ""
    asked: bool = True  # False for the companion the studio adds


@dataclass(frozen=True)
class AvatarSpec:
    """Everything needed to build, dress, pose, render and animate one avatar."""

    gender: str = "Neutral"
    age: float = DEFAULT_AGE
    phenotypes: dict = field(default_factory=dict)  # anny phenotype -> 0..1
    local_changes: dict = field(default_factory=dict)  # anny local change -> -1..1
    facial_actions: dict = field(default_factory=dict)  # ARKit name -> 0..1
    bone_scales: dict = field(default_factory=dict)  # BONE_GROUP_NAMES entry -> (x, y, z)
    body_dimensions: dict = field(default_factory=dict)  # BODY_DIMENSIONS key -> value, as asked
    face_shape: str = "oval"
    skin_tone: int = DEFAULT_SKIN_TONE
    skin_color: tuple = (0.0, 0.0, 0.0)
    expression: str = "Neutral"
    hairstyle: str = DEFAULT_HAIRSTYLE  # a HAIRSTYLES key
    hair_color: tuple = (0.0, 0.0, 0.0)
    pose: str = "A-Pose"
    camera_view: str = DEFAULT_VIEW
    view_mode: int = DEFAULT_VIEW_MODE
    background: tuple = (1.0, 1.0, 1.0)
    garments: tuple = ()  # Garment, top first
    brand: str = ""
    quality: int = DEFAULT_QUALITY
    thumbnail_width: int = DEFAULT_THUMBNAIL
    duration: float = DEFAULT_DURATION
    prompt: str = ""
    negative_prompt: str = ""
    seed: int = 0
    pixverse: bool = False

    @property
    def hairstyle_name(self):
        return HAIRSTYLES[self.hairstyle]


# --- small readers --------------------------------------------------------------------------------------------

def _listing(names):
    return ", ".join(str(name) for name in names)


def _key(text):
    """Case, spaces, dashes and underscores do not matter in names: 'front left' is 'FrontLeft'."""
    return re.sub(r"[\s_\-]+", "", str(text)).lower()


def _choice(value, names, field_name, aliases=None):
    """The entry of `names` that `value` names (case and separators aside), or a SpecError listing them."""
    if not isinstance(value, str):
        raise SpecError(f"{field_name} must be a string, one of: {_listing(names)}")
    wanted = _key(value)
    for alias, name in (aliases or {}).items():
        if _key(alias) == wanted:
            return name
    for name in names:
        if _key(name) == wanted:
            return name
    raise SpecError(f"{field_name} {value!r} is not known; use one of: {_listing(names)}")


def _number(value, field_name, low, high, integer=False):
    """A number in [low, high]; numeric strings are read too ("0.5"), booleans are not numbers."""
    if isinstance(value, str):
        try:
            value = float(value) if not integer else int(value.strip())
        except ValueError:
            raise SpecError(f"{field_name} must be a {'whole ' if integer else ''}number, got {value!r}")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SpecError(f"{field_name} must be a {'whole ' if integer else ''}number, got {value!r}")
    if integer and isinstance(value, float):
        if not value.is_integer():
            raise SpecError(f"{field_name} must be a whole number, got {value!r}")
        value = int(value)
    if value != value or not low <= value <= high:
        raise SpecError(f"{field_name} must be between {low} and {high}, got {value!r}")
    return value


def _text(value, field_name, default=""):
    if value is None:
        return default
    if not isinstance(value, str):
        raise SpecError(f"{field_name} must be a string, got {value!r}")
    return value


def _flag(value, field_name):
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0", "yes", "no"):
        return value.strip().lower() in ("true", "1", "yes")
    raise SpecError(f"{field_name} must be true or false, got {value!r}")


def hex_color(value, field_name):
    """sRGB 0..1 from "RRGGBB", "RRGGBBAA" (the alpha is read and dropped), with or without a leading '#'."""
    if not isinstance(value, str) or not re.fullmatch(r"#?([0-9a-fA-F]{6}|[0-9a-fA-F]{8})", value.strip()):
        raise SpecError(f"{field_name} must be a hex colour like \"6B4F30\", \"#6B4F30\" or \"6B4F30FF\", "
                        f"got {value!r}")
    digits = value.strip().lstrip("#")
    return tuple(int(digits[i:i + 2], 16) / 255 for i in (0, 2, 4))


def _section(value, field_name):
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise SpecError(f"{field_name} must be an object, got {type(value).__name__}")
    return value


# --- the body's numbers ---------------------------------------------------------------------------------------

def _keyed_entries(value, field_name, shape, known, noun, nouns, mapping_too=False):
    """(key, value) of each entry of the seed's [{"key": ..., "value": ...}, ...] (a JSON string of that list is
    read too; with `mapping_too`, {key: value} as well), each key one of `known` and given once. A generator, so
    that an entry's value is checked before the next entry's key, as each caller reads them."""
    if value is None or value == "":
        return
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise SpecError(f"{field_name} must be a list of {shape}")
    if mapping_too and isinstance(value, dict):
        value = [{"key": key, "value": number} for key, number in value.items()]
    if not isinstance(value, list):
        raise SpecError(f"{field_name} must be a list of {shape}")
    seen = set()
    for index, entry in enumerate(value):
        if not isinstance(entry, dict) or "key" not in entry or "value" not in entry:
            raise SpecError(f"{field_name}[{index}] must be an object with \"key\" and \"value\"")
        key = entry["key"]
        if key not in known:
            raise SpecError(f"{field_name}[{index}]: unknown {noun} {key!r}; valid {nouns}: {_listing(known)}")
        if key in seen:
            raise SpecError(f"{field_name}: {key!r} is given twice")
        seen.add(key)
        yield key, entry["value"]


def _body_dimensions(value):
    """{key: value} from the seed's [{"key": ..., "value": ...}, ...] (a JSON string of that list is read too)."""
    low, high = DIMENSION_RANGE
    return {key: float(_number(number, f"body_dimensions {key!r}", low, high))
            for key, number in _keyed_entries(value, "body_dimensions", "{\"key\": ..., \"value\": ...} objects",
                                              BODY_DIMENSIONS, "key", "keys", mapping_too=True)}


def _bone_scales(value):
    """{group: (x, y, z)} from [{"key": "spine", "value": {"x": 1.1, "y": 1.2, "z": 1.1}}, ...]."""
    low, high = LENGTH_RANGE
    scales = {}
    for group, xyz in _keyed_entries(value, "body_dimension_lengths", "{\"key\": group, \"value\": {x, y, z}}",
                                     BONE_GROUP_NAMES, "bone group", "groups"):
        if isinstance(xyz, int | float) and not isinstance(xyz, bool):
            xyz = {"x": xyz, "y": xyz, "z": xyz}
        if not isinstance(xyz, dict) or set(xyz) - {"x", "y", "z"}:
            raise SpecError(f"body_dimension_lengths {group!r}: value must be {{\"x\": ..., \"y\": ..., \"z\": ...}}")
        scales[group] = tuple(float(_number(xyz.get(axis, 1.0), f"body_dimension_lengths {group!r} {axis}", low, high))
                              for axis in "xyz")
    return scales


def _shape(gender, age, dimensions, face_shape):
    """anny phenotypes and local changes for the gender, age, body dimensions and face shape."""
    from .body import age_to_anny  # the calibration table lives with the body; no model is built here

    phenotypes = {"gender": GENDERS[gender], "age": age_to_anny(age), "muscle": 0.5, "weight": 0.5,
                  "height": 0.5, "proportions": 0.5}
    local_changes = dict(FACE_SHAPES[face_shape])
    for key, value in dimensions.items():
        for kind, name, gain in BODY_DIMENSIONS[key]:
            if kind == "phenotype":
                phenotypes[name] += gain * value
            else:
                local_changes[name] = local_changes.get(name, 0.0) + gain * value
    phenotypes = {name: min(1.0, max(0.0, value)) for name, value in phenotypes.items()}
    local_changes = {name: min(1.0, max(-1.0, value)) for name, value in local_changes.items() if value}
    return phenotypes, local_changes


# --- apparel --------------------------------------------------------------------------------------------------

def garment_color(value, field_name="apparel_details.color"):
    """(sRGB 0..1, name as given) for a COLORS name or a hex colour."""
    if value is None or value == "":
        value = DEFAULT_COLOR
    if not isinstance(value, str):
        raise SpecError(f"{field_name} must be a colour name ({_listing(COLORS)}) or a hex colour \"#RRGGBB\"")
    for name, hex_value in COLORS.items():
        if _key(name) == _key(value):
            return hex_color(hex_value, field_name), name
    if re.fullmatch(r"#?([0-9a-fA-F]{6}|[0-9a-fA-F]{8})", value.strip()):
        return hex_color(value, field_name), value.strip()
    raise SpecError(f"{field_name} {value!r} is not known; use a hex colour \"#RRGGBB\" or one of: {_listing(COLORS)}")


def _size(value, field_name, default):
    if value is None or value == "":
        return default
    return _choice(value, SIZES, field_name, SIZE_ALIASES)


def _garments(apparel):
    """The garments worn: the one asked for, plus a companion so that top and bottom are both covered."""
    item = apparel.get("item_id")
    brand = _text(apparel.get("brand"), "apparel_details.brand")
    top_size = _size(apparel.get("size"), "apparel_details.size", DEFAULT_SIZE)
    bottom_size = _size(apparel.get("size2"), "apparel_details.size2", top_size)
    if item is None or item == "":
        item, asked = "ShortSleeve", False
    else:
        item, asked = _choice(item, GARMENTS, "apparel_details.item_id", GARMENT_ALIASES), True
    color, color_name = garment_color(apparel.get("color"))
    role = GARMENTS[item]
    size = bottom_size if role == "bottom" else top_size
    worn = [Garment(item, role, color, color_name, size, brand, asked)]
    if role != "full":
        companion, companion_color = COMPANIONS[role]
        companion_role = GARMENTS[companion]
        worn.append(Garment(companion, companion_role, hex_color(COLORS[companion_color], "companion"),
                            companion_color, bottom_size if companion_role == "bottom" else top_size, "", False))
    worn.sort(key=lambda garment: {"top": 0, "full": 0, "bottom": 1}[garment.role])
    return tuple(worn)


# --- the whole request ----------------------------------------------------------------------------------------

def parse(user_details, apparel_details=None, image_options=None, video_options=None):
    """An AvatarSpec from the seed's request sections; missing fields take the defaults above."""
    user = _section(user_details, "user_details")
    apparel = _section(apparel_details, "apparel_details")
    image = _section(image_options, "image_options")
    video = _section(video_options, "video_options")

    gender_value = user.get("gender") or "Neutral"
    gender = _choice(gender_value, GENDERS, "gender", GENDER_ALIASES)
    age = user.get("age")
    age = DEFAULT_AGE if age is None else float(_number(age, "age", *AGE_RANGE))

    face_shape = user.get("face_shape") or "oval"
    face_shape = _choice(face_shape, FACE_SHAPES, "face_shape")

    skin_tone = user.get("skin_tone")
    skin_tone = DEFAULT_SKIN_TONE if skin_tone is None else _number(skin_tone, "skin_tone", 0, len(SKIN_TONES) - 1,
                                                                      integer=True)
    expression = _choice(user.get("expression") or "Neutral", EXPRESSIONS, "expression")

    hairstyle = user.get("hairstyle", user.get("hair_style"))
    if hairstyle is None or hairstyle == "":
        hairstyle = DEFAULT_HAIRSTYLE
    if isinstance(hairstyle, int) and not isinstance(hairstyle, bool):
        hairstyle = str(hairstyle)
    if not isinstance(hairstyle, str):
        raise SpecError(f"hairstyle must be one of the ids {_listing(HAIRSTYLES)}")
    if hairstyle.strip() not in HAIRSTYLES:
        by_name = {_key(name): key for key, name in HAIRSTYLES.items()}
        if _key(hairstyle) not in by_name:
            styles = "; ".join(f"{key} {name}" for key, name in HAIRSTYLES.items())
            raise SpecError(f"hairstyle {hairstyle!r} is not known; use an id: {styles}")
        hairstyle = by_name[_key(hairstyle)]
    hairstyle = hairstyle.strip()

    hair_color = user.get("hair_color") or DEFAULT_HAIR_COLOR
    if isinstance(hair_color, str) and _key(hair_color) in {_key(name) for name in HAIR_COLORS}:
        hair_color = next(value for name, value in HAIR_COLORS.items() if _key(name) == _key(hair_color))
    hair_color = hex_color(hair_color, "hair_color")

    pose = _choice(user.get("pose") or "A-Pose", POSES, "pose",
                   {"I": "I-Pose", "T": "T-Pose", "A": "A-Pose"})
    camera_view = _choice(user.get("camera_view") or DEFAULT_VIEW, VIEWS, "camera_view")
    view_mode = user.get("view_mode")
    view_mode = DEFAULT_VIEW_MODE if view_mode is None else _number(view_mode, "view_mode", min(VIEW_MODES),
                                                                       max(VIEW_MODES), integer=True)
    if view_mode not in VIEW_MODES:
        raise SpecError(f"view_mode must be one of {_listing(f'{k} ({v})' for k, v in VIEW_MODES.items())}")
    background = hex_color(user.get("background_color_hex") or DEFAULT_BACKGROUND, "background_color_hex")

    dimensions = _body_dimensions(user.get("body_dimensions"))
    bone_scales = _bone_scales(user.get("body_dimension_lengths"))
    phenotypes, local_changes = _shape(gender, age, dimensions, face_shape)

    garments = _garments(apparel)

    quality = image.get("quality")
    quality = DEFAULT_QUALITY if quality is None else _number(quality, "image_options.quality", *QUALITY_RANGE,
                                                                 integer=True)
    thumbnail = image.get("thumbnail_width")
    thumbnail = DEFAULT_THUMBNAIL if thumbnail is None else _number(thumbnail, "image_options.thumbnail_width",
                                                                       *THUMBNAIL_RANGE, integer=True)
    duration = video.get("duration")
    duration = DEFAULT_DURATION if duration is None else float(_number(duration, "video_options.duration",
                                                                        *DURATION_RANGE))
    seed = video.get("seed")
    seed = 0 if seed is None else _number(seed, "video_options.seed", 0, 2**63 - 1, integer=True)

    return AvatarSpec(
        gender=gender,
        age=age,
        phenotypes=phenotypes,
        local_changes=local_changes,
        facial_actions=dict(EXPRESSIONS[expression]),
        bone_scales=bone_scales,
        body_dimensions=dimensions,
        face_shape=face_shape,
        skin_tone=skin_tone,
        skin_color=hex_color(SKIN_TONES[skin_tone], "skin_tone"),
        expression=expression,
        hairstyle=hairstyle,
        hair_color=hair_color,
        pose=pose,
        camera_view=camera_view,
        view_mode=view_mode,
        background=background,
        garments=garments,
        brand=garments[0].brand,
        quality=quality,
        thumbnail_width=thumbnail,
        duration=duration,
        prompt=_text(video.get("prompt"), "video_options.prompt"),
        negative_prompt=_text(video.get("negative_prompt"), "video_options.negative_prompt"),
        seed=seed,
        pixverse=_flag(video.get("pixverse"), "video_options.pixverse"),
    )
