"""Motion for avatar videos: what the prompt's words ask for, as per-frame bone rotations.

A clip is layers: idle breathing and blinking always run underneath; one body motion (walk in place, or dance)
moves the legs, hips and arms; overlays (a wave of the right arm, a nod) ride on top; a turntable turns the
figure once round over the clip (the renderer's yaw). The prompt's words pick the layers (MOTION_WORDS); words
in the negative prompt take them away; a prompt naming none gets idle + turntable. The seed varies amplitude,
tempo and phase, the same seed giving the same clip.

Rotations are rotation vectors (axis * radians) in scene axes (+X the figure's left, +Y up, +Z its front), as
body.build_body takes them: each turns a bone about its head, in the axes its parent carries.
"""

import re
from dataclasses import dataclass, field

import numpy as np

# word -> motion. Body motions (walk, dance) exclude each other, dance winning.
MOTION_WORDS = {
    "idle": ("idle", "stand", "standing", "breathe", "breathing", "still", "relax", "relaxed", "calm", "pose",
             "posing"),
    "wave": ("wave", "waves", "waving", "hello", "hi", "greet", "greeting", "greets", "bye", "goodbye"),
    "walk": ("walk", "walks", "walking", "stroll", "strolling", "march", "marching", "step", "stepping",
             "catwalk"),
    "dance": ("dance", "dances", "dancing", "groove", "grooving", "party", "boogie", "disco"),
    "nod": ("nod", "nods", "nodding", "agree", "yes"),
    "turntable": ("turn", "turns", "turning", "turntable", "spin", "spins", "spinning", "rotate", "rotating",
                  "360", "around", "orbit", "showcase"),
}
DEFAULT_MOTIONS = ("idle", "turntable")
BODY_MOTIONS = ("dance", "walk")  # at most one, in this order of preference


@dataclass
class FramePose:
    """One frame: bone rotations and a root offset for the body, extra facial actions, the figure's yaw."""

    rotations: dict = field(default_factory=dict)  # bone -> rotation vector (scene axes, radians)
    offset: tuple = (0.0, 0.0, 0.0)  # metres, moves the whole body
    facial_actions: dict = field(default_factory=dict)  # e.g. a blink
    yaw: float = 0.0  # degrees, counter-clockwise seen from above


def choose(prompt="", negative_prompt=""):
    """The motions a prompt asks for, in MOTION_WORDS order."""
    def words(text):
        return set(re.findall(r"[a-z0-9]+", (text or "").lower()))

    asked, refused = words(prompt), words(negative_prompt)
    chosen = [name for name, keys in MOTION_WORDS.items() if asked & set(keys) and not refused & set(keys)]
    if not chosen:
        chosen = [name for name in DEFAULT_MOTIONS if not refused & set(MOTION_WORDS[name])]
    body = [name for name in BODY_MOTIONS if name in chosen][:1]
    chosen = [name for name in chosen if name not in BODY_MOTIONS or name in body]
    return chosen


@dataclass(frozen=True)
class Style:
    """The seed's variation: how big, how fast and where in its cycle each motion starts."""

    amplitude: float = 1.0
    tempo: float = 1.0
    phase: float = 0.0
    blink_times: tuple = ()

    @classmethod
    def from_seed(cls, seed, duration):
        rng = np.random.default_rng(int(seed))
        amplitude = 0.85 + 0.3 * rng.random()
        tempo = 0.9 + 0.2 * rng.random()
        phase = 2 * np.pi * rng.random()
        blinks, t = [], 0.6 + 1.5 * rng.random()
        while t < duration:
            blinks.append(round(t, 3))
            t += 2.2 + 2.5 * rng.random()
        return cls(amplitude, tempo, phase, tuple(blinks))


def _cycles(frequency, duration):
    """A frequency rounded to a whole number of cycles over the clip, so the clip loops."""
    return max(1, round(frequency * duration)) / duration


def _add(rotations, bone, vector):
    rotations[bone] = np.asarray(rotations.get(bone, np.zeros(3)), float) + np.asarray(vector, float)


def _x(degrees):
    return np.array([np.radians(degrees), 0.0, 0.0])


def _y(degrees):
    return np.array([0.0, np.radians(degrees), 0.0])


def _z(degrees):
    return np.array([0.0, 0.0, np.radians(degrees)])


def _ease(t, duration, ramp=0.6):
    """0 -> 1 over `ramp` seconds at the start, back to 0 over the last `ramp`."""
    ramp = min(ramp, duration / 3)
    x = min(t / ramp, (duration - t) / ramp, 1.0)
    x = max(x, 0.0)
    return x * x * (3 - 2 * x)


def idle(t, duration, style, rotations):
    breath = np.sin(2 * np.pi * _cycles(0.25 * style.tempo, duration) * t + style.phase)
    sway = np.sin(2 * np.pi * _cycles(0.12 * style.tempo, duration) * t + style.phase)
    a = style.amplitude
    _add(rotations, "spine02", _x(-1.2 * a * breath))
    _add(rotations, "spine04", _z(1.0 * a * sway))
    _add(rotations, "neck02", _z(-0.8 * a * sway) + _y(3.0 * a * np.sin(2 * np.pi * _cycles(0.1, duration) * t)))
    for side, sign in ((".L", 1.0), (".R", -1.0)):
        _add(rotations, "upperarm01" + side, _x(1.5 * a * breath) + _z(sign * 0.8 * a * breath))
    return (0.0, 0.0, 0.0)


def wave(t, duration, style, rotations):
    """The right arm raised out to the side, the forearm waving from the elbow."""
    up = _ease(t, duration, ramp=0.7)
    swing = np.sin(2 * np.pi * _cycles(1.4 * style.tempo, duration) * t + style.phase)
    _add(rotations, "upperarm01.R", _z(-125.0 * up) + _x(-15.0 * up))
    _add(rotations, "lowerarm01.R", _z(-(35.0 + 22.0 * style.amplitude * swing) * up))
    _add(rotations, "wrist.R", _z(-8.0 * swing * up))
    _add(rotations, "neck02", _z(3.0 * up))
    return (0.0, 0.0, 0.0)


def walk(t, duration, style, rotations):
    """Walking in place: knees lifting in turn, arms swinging against the legs, a little twist and bob."""
    frequency = _cycles(0.9 * style.tempo, duration)
    a = style.amplitude
    angle = 2 * np.pi * frequency * t + style.phase
    for side, shift in ((".L", 0.0), (".R", np.pi)):
        lift = max(0.0, np.sin(angle + shift))
        _add(rotations, "upperleg01" + side, _x(-38.0 * a * lift))
        _add(rotations, "lowerleg01" + side, _x(62.0 * a * lift))
        _add(rotations, "foot" + side, _x(-14.0 * a * lift))
        swing = np.sin(angle + shift + np.pi)
        _add(rotations, "upperarm01" + side, _x(-18.0 * a * swing))
        _add(rotations, "lowerarm01" + side, _x(-12.0 * a * (1 + swing) / 2))
    _add(rotations, "spine03", _y(4.0 * a * np.sin(angle)))
    _add(rotations, "neck02", _y(-4.0 * a * np.sin(angle)))
    return (0.0, 0.0, 0.0)


def dance(t, duration, style, rotations):
    """Two steps to a beat: hips swaying, knees bouncing, arms up and pumping, head on the beat."""
    beat = _cycles(1.0 * style.tempo, duration)  # swings per second (two beats each)
    a = style.amplitude
    angle = 2 * np.pi * beat * t + style.phase
    bounce = np.sin(2 * angle)
    sway = np.sin(angle)
    for side, shift, sign in ((".L", 0.0, 1.0), (".R", np.pi, -1.0)):
        bend = max(0.0, np.sin(angle + shift))
        _add(rotations, "upperleg01" + side, _x(-16.0 * a * bend) + _z(sign * 3.0))
        _add(rotations, "lowerleg01" + side, _x(28.0 * a * bend))
        pump = np.sin(2 * angle + shift)
        _add(rotations, "upperarm01" + side, _z(sign * (55.0 + 15.0 * a * pump)) + _x(-25.0))
        _add(rotations, "lowerarm01" + side, _x(-(70.0 + 20.0 * a * pump)))
    _add(rotations, "spine04", _z(-6.0 * a * sway) + _y(8.0 * a * sway))
    _add(rotations, "spine02", _z(4.0 * a * sway))
    _add(rotations, "neck02", _x(6.0 * a * bounce) + _z(3.0 * sway))
    return (0.03 * a * sway, -0.012 * a * (1 + bounce) / 2, 0.0)


def nod(t, duration, style, rotations):
    _add(rotations, "neck02", _x(9.0 * style.amplitude * np.sin(2 * np.pi * _cycles(1.3 * style.tempo, duration) * t)
                                 * _ease(t, duration, 0.4)))
    return (0.0, 0.0, 0.0)


LAYERS = {"idle": idle, "walk": walk, "dance": dance, "wave": wave, "nod": nod}


def frame_pose(t, duration, motions, style):
    """The FramePose at time t (seconds) of a clip."""
    rotations = {}
    offset = np.zeros(3)
    for name in ("idle", *[m for m in motions if m in LAYERS and m != "idle"]):
        offset += LAYERS[name](t, duration, style, rotations)
    yaw = 360.0 * t / duration if "turntable" in motions else 0.0
    blink = max((np.exp(-(((t - moment) / 0.06) ** 2)) for moment in style.blink_times), default=0.0)
    facial = {"eyeBlinkLeft": float(blink), "eyeBlinkRight": float(blink)} if blink > 0.01 else {}
    return FramePose(rotations, tuple(offset), facial, yaw)


def frames(duration, fps, prompt="", negative_prompt="", seed=0):
    """The FramePoses of a clip of `duration` seconds at `fps` frames per second."""
    count = max(1, int(round(duration * fps)))
    motions = choose(prompt, negative_prompt)
    style = Style.from_seed(seed, duration)
    return [frame_pose(k / fps, duration, motions, style) for k in range(count)]
