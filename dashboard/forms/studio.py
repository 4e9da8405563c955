"""The avatar studio's form: every control of the studio page, and the one place that turns them into seed 003's
/generate and /generate_video body (`StudioForm.body`), the live preview's body (`StudioForm.preview_body`), the
page's starting values read back from a stored request (`initial_from`) and the settings a result page lists
(`settings_of`).

The choice lists below are the only copy of the avatar's vocabulary in the dashboard: every template, the preview
and the body read them from here.
"""

import re

from django import forms

from generation.avatar import spec
from generation.avatar.scene import VIEW_MODES, VIEWS

# ---------------------------------------------------------------------------------------------------------------
# The avatar's vocabulary comes from the avatar package (generation/avatar/spec.py); the labels and swatch colours
# below are the dashboard's, over the spec's names.
# ---------------------------------------------------------------------------------------------------------------

# body_dimensions keys, in the seed's order; 0 = average. The part in braces is the group the page shows.
BODY_DIMENSIONS = tuple(spec.BODY_DIMENSIONS)
BODY_MIN, BODY_MAX = spec.DIMENSION_RANGE
BODY_STEP = 0.1
GENDERS = tuple(spec.GENDERS)
FACE_SHAPES = tuple(spec.FACE_SHAPES)
# skin_tone index -> the palette colour it renders with.
SKIN_TONES = dict(enumerate(spec.SKIN_TONES))
EXPRESSIONS = tuple(spec.EXPRESSIONS)
HAIRSTYLES = {number: name.capitalize() for number, name in spec.HAIRSTYLES.items()}
# Suggested hair colours beside the colour picker (any colour can be picked).
HAIR_COLOURS = {name.capitalize(): hex_colour for name, hex_colour in spec.HAIR_COLORS.items()}
GARMENT_LABELS = {"LongSleeve": "Long-sleeved top", "ShortSleeve": "T-shirt", "Hoodie": "Hoodie",
                  "TankTop": "Tank top", "Pants": "Trousers", "Shorts": "Shorts", "Skirt": "Skirt", "Dress": "Dress"}
GARMENTS = {name: GARMENT_LABELS.get(name, name) for name in spec.GARMENTS}
# Garment colours by name (a brand of the clothes catalogue may name its own: the service resolves those).
GARMENT_COLOURS = dict(spec.COLORS)
SIZES = tuple(spec.SIZES)
POSES = tuple(spec.POSES)
CAMERA_VIEWS = tuple(VIEWS)
FRAMINGS = dict(VIEW_MODES)  # view_mode: 0 full body, 1 upper body, 2 head and shoulders
VIDEO_DURATIONS = tuple(seconds for seconds in (3, 5, 8, 10) if spec.DURATION_RANGE[0] <= seconds
                        <= spec.DURATION_RANGE[1])
# ---------------------------------------------------------------------------------------------------------------

VIEW_LABELS = {"FrontLeft": "Front left", "FrontRight": "Front right", "BackLeft": "Back left",
               "BackRight": "Back right"}
GROUP_LABELS = {"main": "Body"}
IMAGE_OPTIONS = {"quality": 100, "thumbnail_width": 128}
PROMPT_MAX = 500
BRAND_MAX = 100

DEFAULTS = {
    "gender": "Female",
    "face_shape": "oval",
    "skin_tone": 2,
    "expression": "Neutral",
    "hairstyle": "10",
    "hair_color": "#6b4f30",
    "item_id": "LongSleeve",
    "garment_color": "Black",
    "size": "M",
    "size2": "L",
    "brand": "",
    "pose": "I-Pose",
    "camera_view": "Front",
    "view_mode": 0,
    "background_color": "#ffe4db",
    "duration": 5,
    "prompt": "",
    "negative_prompt": "",
    "seed": 0,
}

HEX = re.compile(r"#?([0-9a-fA-F]{6})([0-9a-fA-F]{2})?")


def field_name(key):
    """The form field of a body_dimensions key: "b_{Torso}_Shoulder Width" -> "body_torso_shoulder_width"."""
    group, label = split_key(key)
    return "body_" + re.sub(r"[^a-z0-9]+", "_", f"{group} {label}".lower()).strip("_")


def split_key(key):
    """("Torso", "Shoulder Width") of "b_{Torso}_Shoulder Width"."""
    match = re.fullmatch(r"b_\{(\w+)\}_(.+)", key)
    return (match.group(1), match.group(2)) if match else ("main", key)


def body_groups():
    """[(group label, [(key, field name, label)])] in the order the page shows them: Body, Head, Torso, Arms, Legs."""
    groups = {}
    for key in BODY_DIMENSIONS:
        group, label = split_key(key)
        groups.setdefault(GROUP_LABELS.get(group, group), []).append((key, field_name(key), label.capitalize()))
    return list(groups.items())


def to_hex_rgba(colour):
    """The seed's RRGGBBAA of a colour input's #rrggbb: "#6b4f30" -> "6B4F30FF"."""
    return colour.lstrip("#").upper() + "FF"


def to_colour_input(value, default):
    """A colour input's #rrggbb of the seed's "6B4F30FF" (or "#6B4F30"); `default` when it is not a colour."""
    match = HEX.fullmatch(value.strip()) if isinstance(value, str) else None
    return f"#{match.group(1).lower()}" if match else default


class ColourInput(forms.TextInput):
    input_type = "color"


class RangeInput(forms.NumberInput):
    input_type = "range"


class SwatchSelect(forms.RadioSelect):
    """Radio buttons drawn as colour swatches: `swatches` maps each value to its colour."""

    def __init__(self, swatches, attrs=None):
        super().__init__(attrs)
        self.swatches = {str(value): colour for value, colour in swatches.items()}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        option["swatch"] = self.swatches.get(str(value), "")
        return option


def choices(values, labels=None):
    labels = labels or {}
    return [(value, labels.get(value, value)) for value in values]


class StudioForm(forms.Form):
    """The studio page's controls. Body sliders are added per BODY_DIMENSIONS key (`field_name`)."""

    gender = forms.ChoiceField(label="Gender", choices=choices(GENDERS), widget=forms.RadioSelect)
    face_shape = forms.ChoiceField(label="Face shape", choices=[(shape, shape.capitalize()) for shape in FACE_SHAPES])
    expression = forms.ChoiceField(label="Expression", choices=choices(EXPRESSIONS))
    skin_tone = forms.TypedChoiceField(label="Skin tone", coerce=int,
                                       choices=[(tone, f"Tone {tone}") for tone in SKIN_TONES],
                                       widget=SwatchSelect(SKIN_TONES))
    hairstyle = forms.ChoiceField(label="Hairstyle", choices=list(HAIRSTYLES.items()))
    hair_color = forms.CharField(label="Hair colour", widget=ColourInput(attrs={"list": "hair-colours"}))
    item_id = forms.ChoiceField(label="Garment", choices=list(GARMENTS.items()))
    garment_color = forms.ChoiceField(label="Colour", choices=choices(GARMENT_COLOURS),
                                      widget=SwatchSelect(GARMENT_COLOURS))
    size = forms.ChoiceField(label="Size", choices=choices(SIZES))
    size2 = forms.ChoiceField(label="Second size", choices=choices(SIZES),
                              help_text="For clothes sold in two sizes (top and bottom).")
    brand = forms.CharField(label="Brand", required=False, max_length=BRAND_MAX,
                            help_text="Optional: a brand of the clothes catalogue, whose colour names it uses.",
                            widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "Any brand"}))
    pose = forms.ChoiceField(label="Pose", choices=choices(POSES), widget=forms.RadioSelect)
    camera_view = forms.ChoiceField(label="View", choices=choices(CAMERA_VIEWS, VIEW_LABELS))
    view_mode = forms.TypedChoiceField(label="Framing", coerce=int,
                                       choices=[(mode, label.capitalize()) for mode, label in FRAMINGS.items()])
    background_color = forms.CharField(label="Background", widget=ColourInput)
    duration = forms.TypedChoiceField(label="Length", coerce=int,
                                      choices=[(seconds, f"{seconds} seconds") for seconds in VIDEO_DURATIONS])
    prompt = forms.CharField(label="Prompt", required=False, max_length=PROMPT_MAX,
                             help_text="What the avatar does: words like wave, walk or dance choose the motion.",
                             widget=forms.Textarea(attrs={"rows": 2, "placeholder": "e.g. waves and smiles"}))
    negative_prompt = forms.CharField(label="Negative prompt", required=False, max_length=PROMPT_MAX,
                                      widget=forms.Textarea(attrs={"rows": 2}))
    seed = forms.IntegerField(label="Seed", min_value=0, max_value=2**31 - 1,
                              help_text="The same seed and settings make the same video.")

    def __init__(self, *args, **kwargs):
        if kwargs.get("initial") is None:
            kwargs["initial"] = dict(DEFAULTS)
        super().__init__(*args, **kwargs)
        for key in BODY_DIMENSIONS:
            self.fields[field_name(key)] = forms.FloatField(
                label=split_key(key)[1].capitalize(), min_value=BODY_MIN, max_value=BODY_MAX, initial=0,
                widget=RangeInput(attrs={"min": BODY_MIN, "max": BODY_MAX, "step": BODY_STEP, "data-key": key}))
            self.initial.setdefault(field_name(key), 0.0)

    def clean_hair_color(self):
        return self._colour("hair_color")

    def clean_background_color(self):
        return self._colour("background_color")

    def _colour(self, name):
        value = self.cleaned_data[name]
        if not re.fullmatch(r"#[0-9a-fA-F]{6}", value or ""):
            raise forms.ValidationError("Choose a colour (#rrggbb).")
        return value.lower()

    def body_groups(self):
        """[(group label, [bound slider field])] for the template."""
        return [(label, [self[name] for _key, name, _label in keys]) for label, keys in body_groups()]

    # --- the seed's body -------------------------------------------------------------------------------------

    def preview_body(self):
        """user_details and apparel_details, as /generate takes them (the preview needs no options)."""
        data = self.cleaned_data
        user_details = {
            "face_shape": data["face_shape"],
            "skin_tone": data["skin_tone"],
            "pose": data["pose"],
            "body_dimensions": [{"key": key, "value": round(float(data[field_name(key)]), 2)}
                                for key in BODY_DIMENSIONS],
            "body_dimension_lengths": [],
            "hairstyle": data["hairstyle"],
            "hair_color": to_hex_rgba(data["hair_color"]),
            "camera_view": data["camera_view"],
            "view_mode": data["view_mode"],
            "expression": data["expression"],
            "background_color_hex": to_hex_rgba(data["background_color"]),
            "gender": data["gender"],
        }
        apparel_details = {
            "brand": data["brand"].strip(),
            "item_id": data["item_id"],
            "color": data["garment_color"],
            "size": data["size"],
            "size2": data["size2"],
        }
        return {"user_details": user_details, "apparel_details": apparel_details}

    def body(self, kind):
        """The /generate ("image") or /generate_video ("video") request body of the form's settings."""
        body = self.preview_body()
        if kind == "video":
            data = self.cleaned_data
            body["video_options"] = {
                "pixverse": False,  # made on this server; there is no outside video service
                "duration": data["duration"],
                "negative_prompt": data["negative_prompt"].strip(),
                "prompt": data["prompt"].strip(),
                "seed": data["seed"],
            }
        else:
            body["image_options"] = dict(IMAGE_OPTIONS)
        return body

    def first_error(self):
        """The first error, worded with its control's label, for a JSON answer."""
        for name, errors in self.errors.items():
            label = self.fields[name].label if name in self.fields else ""
            return f"{label}: {errors[0]}" if label else errors[0]
        return ""


# --- reading a stored request back ---------------------------------------------------------------------------

def _one_of(value, allowed, default):
    return value if value in allowed else default


def _number(value, default, low, high):
    if isinstance(value, bool) or not isinstance(value, int | float):
        return default
    return min(max(float(value), low), high)


def initial_from(request):
    """The studio's starting values from a stored /generate or /generate_video body: what it set, and the
    defaults for what it left out or what the page cannot show."""
    request = request if isinstance(request, dict) else {}
    user = request.get("user_details") if isinstance(request.get("user_details"), dict) else {}
    apparel = request.get("apparel_details") if isinstance(request.get("apparel_details"), dict) else {}
    video = request.get("video_options") if isinstance(request.get("video_options"), dict) else {}
    initial = dict(DEFAULTS)
    initial.update({
        "gender": _one_of(user.get("gender"), GENDERS, DEFAULTS["gender"]),
        "face_shape": _one_of(user.get("face_shape"), FACE_SHAPES, DEFAULTS["face_shape"]),
        "skin_tone": _one_of(user.get("skin_tone"), SKIN_TONES, DEFAULTS["skin_tone"]),
        "expression": _one_of(user.get("expression"), EXPRESSIONS, DEFAULTS["expression"]),
        "hairstyle": _one_of(str(user.get("hairstyle")), HAIRSTYLES, DEFAULTS["hairstyle"]),
        "hair_color": to_colour_input(user.get("hair_color"), DEFAULTS["hair_color"]),
        "pose": _one_of(user.get("pose"), POSES, DEFAULTS["pose"]),
        "camera_view": _one_of(user.get("camera_view"), CAMERA_VIEWS, DEFAULTS["camera_view"]),
        "view_mode": _one_of(user.get("view_mode"), FRAMINGS, DEFAULTS["view_mode"]),
        "background_color": to_colour_input(user.get("background_color_hex"), DEFAULTS["background_color"]),
        "item_id": _one_of(apparel.get("item_id"), GARMENTS, DEFAULTS["item_id"]),
        "garment_color": _one_of(apparel.get("color"), GARMENT_COLOURS, DEFAULTS["garment_color"]),
        "size": _one_of(apparel.get("size"), SIZES, DEFAULTS["size"]),
        "size2": _one_of(apparel.get("size2"), SIZES, DEFAULTS["size2"]),
        "brand": apparel.get("brand")[:BRAND_MAX] if isinstance(apparel.get("brand"), str) else "",
        "duration": _one_of(video.get("duration"), VIDEO_DURATIONS, DEFAULTS["duration"]),
        "prompt": video.get("prompt")[:PROMPT_MAX] if isinstance(video.get("prompt"), str) else "",
        "negative_prompt": (video.get("negative_prompt")[:PROMPT_MAX]
                            if isinstance(video.get("negative_prompt"), str) else ""),
        "seed": int(_number(video.get("seed"), 0, 0, 2**31 - 1)),
    })
    dimensions = user.get("body_dimensions")
    values = {}
    if isinstance(dimensions, list):
        values = {entry.get("key"): entry.get("value") for entry in dimensions if isinstance(entry, dict)}
    elif isinstance(dimensions, dict):  # {"key": value} is read too
        values = dimensions
    for key in BODY_DIMENSIONS:
        initial[field_name(key)] = round(_number(values.get(key), 0.0, BODY_MIN, BODY_MAX), 2)
    return initial


# --- what a result page lists ----------------------------------------------------------------------------------

def _text(value):
    return "" if value is None or value == "" else str(value)


def _swatch_of(value):
    colour = to_colour_input(value, "")
    return colour


def settings_of(request, kind):
    """The settings a stored request asked for, as a result page lists them: [(group, [(label, text, swatch)])].
    Values are shown as sent (an API client may have sent names the page does not offer); body sliders only where
    they differ from average."""
    request = request if isinstance(request, dict) else {}
    user = request.get("user_details") if isinstance(request.get("user_details"), dict) else {}
    apparel = request.get("apparel_details") if isinstance(request.get("apparel_details"), dict) else {}
    hairstyle = _text(user.get("hairstyle"))
    view_mode = user.get("view_mode")
    skin = user.get("skin_tone")
    groups = [
        ("Avatar", [
            ("Gender", _text(user.get("gender")), ""),
            ("Face shape", _text(user.get("face_shape")).capitalize(), ""),
            ("Expression", _text(user.get("expression")), ""),
            ("Skin tone", _text(skin), SKIN_TONES.get(skin, "") if isinstance(skin, int) else ""),
            ("Hairstyle", HAIRSTYLES.get(hairstyle, hairstyle), ""),
            ("Hair colour", _swatch_of(user.get("hair_color")) or _text(user.get("hair_color")),
             _swatch_of(user.get("hair_color"))),
        ]),
        ("Clothes", [
            ("Garment", GARMENTS.get(apparel.get("item_id"), _text(apparel.get("item_id"))), ""),
            ("Colour", _text(apparel.get("color")),
             GARMENT_COLOURS.get(apparel.get("color"), _swatch_of(apparel.get("color")))),
            ("Size", " / ".join(_text(apparel.get(name)) for name in ("size", "size2") if apparel.get(name)), ""),
            ("Brand", _text(apparel.get("brand")), ""),
        ]),
        ("Picture", [
            ("Pose", _text(user.get("pose")), ""),
            ("View", VIEW_LABELS.get(user.get("camera_view"), _text(user.get("camera_view"))), ""),
            ("Framing", FRAMINGS.get(view_mode, _text(view_mode)).capitalize()
             if not isinstance(view_mode, list | dict) else "", ""),
            ("Background", _swatch_of(user.get("background_color_hex")) or _text(user.get("background_color_hex")),
             _swatch_of(user.get("background_color_hex"))),
        ]),
    ]
    dimensions = user.get("body_dimensions")
    shaped = []
    if isinstance(dimensions, list):
        for entry in dimensions:
            if not isinstance(entry, dict) or not entry.get("value"):
                continue
            group, label = split_key(str(entry.get("key", "")))
            value = entry["value"]
            text = f"{value:+g}" if isinstance(value, int | float) and not isinstance(value, bool) else _text(value)
            shaped.append((f"{GROUP_LABELS.get(group, group)}: {label.lower()}", text, ""))
    groups.append(("Body shape", shaped or [("Every measure", "average", "")]))
    lengths = user.get("body_dimension_lengths")
    if isinstance(lengths, list) and lengths:
        groups.append(("Bone lengths", [
            (_text(entry.get("key")), ", ".join(f"{axis} {entry['value'][axis]:g}" for axis in "xyz"
                                                if isinstance(entry.get("value"), dict)
                                                and isinstance(entry["value"].get(axis), int | float)), "")
            for entry in lengths if isinstance(entry, dict)]))
    if kind == "video":
        video = request.get("video_options") if isinstance(request.get("video_options"), dict) else {}
        duration = video.get("duration")
        groups.append(("Video", [
            ("Length", f"{duration} seconds" if isinstance(duration, int | float) else _text(duration), ""),
            ("Prompt", _text(video.get("prompt")) or "none", ""),
            ("Negative prompt", _text(video.get("negative_prompt")), ""),
            ("Seed", _text(video.get("seed")), ""),
        ]))
    return [(group, [row for row in rows if row[1]]) for group, rows in groups]
