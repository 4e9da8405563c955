"""The body: anny's parametric human (MakeHuman-based, 13,718 vertices, 104 bones) shaped by phenotypes, local
changes, facial actions and bone-group scales, and posed by bone rotations, in scene.py's frame.

One anny model per process, built lazily under a lock: its data loads from ANNY_CACHE_DIR (built once, at
install, by `python -m generation.avatar.body build`). A body shape (everything but the pose) is computed once
and kept in a small cache, so the frames of a video only pay for posing: forward kinematics and skinning.

Poses are deltas in anny's "local-ref" parameterisation: a rotation per bone about its head, in axes aligned
with the world's at rest and carried along by the bone's parent; no rotation at all is anny's reference pose
(arms half lowered, elbows a little bent). Rotations given to `build_body` use scene.py's axes (+Y up, +Z the
figure's front, +X its left).
"""

import os
import sys
import threading
import time
import warnings
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
DEFAULT_CACHE_DIR = REPO / "var" / "anny"
# The one configuration the studio uses; its cache is what `build` makes.
MODEL_OPTIONS = {"local_changes": "default", "facial_actions": "all"}

# anny's frame is Z up, facing -Y; scene.py's is Y up, facing +Z: (x, y, z) -> (x, z, -y).
TO_SCENE = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])

REGIONS = ("head", "neck", "torso", "arms", "hands", "legs", "feet")


def bone_region(name):
    """The body region a bone's skin belongs to."""
    base = name.split(".")[0]
    if base in ("head", "eye", "jaw") or base.startswith(("special", "oris", "levator", "orbicularis", "oculi",
                                                          "temporalis", "risorius", "tongue")):
        return "head"
    if base.startswith("neck"):
        return "neck"
    if base.startswith(("shoulder", "upperarm", "lowerarm")):
        return "arms"
    if base.startswith(("wrist", "metacarpal", "finger")):
        return "hands"
    if base.startswith(("upperleg", "lowerleg")):
        return "legs"
    if base.startswith(("foot", "toe")):
        return "feet"
    return "torso"  # root, pelvis, spine, clavicle, breast


# body_dimension_lengths groups: the bones each scales (".s" stands for both sides) and the two points whose
# direction is the group's length axis (y); x and z are across it.
BONE_GROUPS = {
    "spine": (("spine05", "spine04", "spine03", "spine02", "spine01"), ("spine05", "neck01")),
    "neck": (("neck01", "neck02", "neck03"), ("neck01", "head")),
    "head": (("head", "eye.L", "eye.R"), ("head", None)),  # None: straight up
    "shoulder": (("clavicle.s", "shoulder01.s"), ("clavicle.s", "upperarm01.s")),
    "upper_arm": (("upperarm01.s", "upperarm02.s"), ("upperarm01.s", "lowerarm01.s")),
    "forearm": (("lowerarm01.s", "lowerarm02.s"), ("lowerarm01.s", "wrist.s")),
    "hand": (("wrist.s", "metacarpal*.s", "finger*.s"), ("wrist.s", "finger3-1.s")),
    "pelvis": (("pelvis.s",), ("pelvis.s", "upperleg01.s")),
    "thigh": (("upperleg01.s", "upperleg02.s"), ("upperleg01.s", "lowerleg01.s")),
    "shin": (("lowerleg01.s", "lowerleg02.s"), ("lowerleg01.s", "foot.s")),
    "foot": (("foot.s", "toe*.s"), ("foot.s", "toe3-1.s")),
}

POSES = ("I-Pose", "T-Pose", "A-Pose")
A_POSE_ANGLE = 45.0  # degrees of the arms from straight down
I_POSE_ANGLES = (5.0, 35.0)  # the I-pose takes the least angle in this range that keeps the arms off the body
I_POSE_CLEARANCE = 0.02  # metres between hanging hands and hips, room for sleeves and trousers

# anny's calibration of its age phenotype against years (anny/data/shape_calibration): an adult is ~0.8.
AGE_ANCHORS = ((0.0, 0.0), (1.0, 0.05), (4.0, 0.215), (11.0, 0.415), (16.0, 0.67), (18.0, 0.77), (64.0, 0.83),
               (110.0, 1.0))


def age_to_anny(years):
    """anny's age phenotype (0..1) for an age in years."""
    ages, values = zip(*AGE_ANCHORS, strict=True)
    return float(np.interp(years, ages, values))


def cache_dir():
    """Where anny's built model data lives: $ANNY_CACHE_DIR, else <repo>/var/anny."""
    return Path(os.environ.get("ANNY_CACHE_DIR") or DEFAULT_CACHE_DIR)


_lock = threading.RLock()
_model = None


def model():
    """The process's anny model (float32, torch skinning), built on first use."""
    global _model
    with _lock:
        if _model is None:
            import torch

            directory = cache_dir()
            os.environ["ANNY_CACHE_DIR"] = str(directory)  # anny reads it at import
            import anny
            import anny.paths

            anny.paths.set_anny_cache_path(directory)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                built = anny.Anny(**MODEL_OPTIONS, skinning_method="lbs")
            _model = built.to(torch.float32).eval()
        return _model


def _cached_files():
    return set(cache_dir().glob("v*/*.safetensors"))


# --- topology: what never changes between bodies --------------------------------------------------------------

@dataclass(frozen=True)
class Topology:
    """The mesh's connectivity and labels, shared by every body."""

    faces: np.ndarray  # (M, 3) int32, counter-clockwise from outside
    bone_names: tuple
    bone_parents: np.ndarray  # (B,) int, -1 for the root
    weights: np.ndarray  # (N, K) float32 skinning weights
    weight_bones: np.ndarray  # (N, K) int64 their bones
    region_weights: np.ndarray  # (N, len(REGIONS)) float32: how much each region's bones move each vertex
    regions: np.ndarray  # (N,) uint8 index into REGIONS of the vertex's main region
    face_uv: np.ndarray  # (M, 3, 2) texture coordinates of each face's corners
    facial_rows: dict  # facial action -> its row in anny's blendshapes

    def bone(self, name):
        return self.bone_names.index(name)


_topology = None


def topology():
    global _topology
    with _lock:
        if _topology is None:
            m = model()
            names = tuple(m.bone_labels)
            weights = m.vertex_bone_weights.detach().cpu().numpy().astype(np.float32)
            bones = m.vertex_bone_indices.detach().cpu().numpy().astype(np.int64)
            bone_region_index = np.array([REGIONS.index(bone_region(name)) for name in names])
            region_weights = np.zeros((len(weights), len(REGIONS)), np.float32)
            for k in range(weights.shape[1]):
                np.add.at(region_weights, (np.arange(len(weights)), bone_region_index[bones[:, k]]), weights[:, k])
            uv = m.texture_coordinates.detach().cpu().numpy()[m.face_texture_coordinate_indices.cpu().numpy()]
            labels = list(m.blendshape_labels)
            facial_rows = {label.split(":")[1]: labels.index(label) for label in labels
                           if label.startswith("facial_action:")}
            _topology = Topology(
                faces=m.faces.cpu().numpy().astype(np.int32),
                bone_names=names,
                bone_parents=np.asarray(m.bone_parents),
                weights=weights,
                weight_bones=bones,
                region_weights=region_weights,
                regions=region_weights.argmax(1).astype(np.uint8),
                face_uv=uv.astype(np.float32),
                facial_rows=facial_rows,
            )
        return _topology


def _bones_matching(pattern, names):
    """Bone names for a BONE_GROUPS entry: ".s" means both sides, "*" any finger/toe number."""
    sides = (".L", ".R") if pattern.endswith(".s") else ("",)
    stem = pattern[:-2] if pattern.endswith(".s") else pattern
    found = []
    for side in sides:
        if "*" in stem:
            prefix = stem.split("*")[0]
            found += [name for name in names if name.startswith(prefix) and name.endswith(side)]
        else:
            found.append(stem + side)
    return found


def _group_axes(heads, names, start, end):
    """Columns x, y, z (anny frame) of a bone group's scaling axes: y along it, z towards the front if it can."""
    head = heads[names.index(start)]
    y = np.array([0.0, 0.0, 1.0]) if end is None else heads[names.index(end)] - head
    y = y / np.linalg.norm(y)
    front, up = np.array([0.0, -1.0, 0.0]), np.array([0.0, 0.0, 1.0])
    reference = front if abs(front @ y) < 0.9 else up
    z = reference - (reference @ y) * y
    z /= np.linalg.norm(z)
    return np.stack([np.cross(y, z), y, z], 1)


def _scaling(heads, parents, names, bone_scales):
    """Per bone, the affine map (S, t) of rest space that scales its group about its head and carries its
    children with the lengthened parent: G_b(x) = S_b (x - h_b) + G_parent(h_b)."""
    count = len(names)
    scales = np.repeat(np.eye(3)[None], count, 0)
    for group, factors in bone_scales.items():
        bone_patterns, (start, end) = BONE_GROUPS[group]
        for side in ((".L", ".R") if start.endswith(".s") else ("",)):
            def pick(pattern, side=side):
                return pattern[:-2] + side if pattern.endswith(".s") else pattern

            axes = _group_axes(heads, names, pick(start), None if end is None else pick(end))
            matrix = axes @ np.diag(factors) @ axes.T
            for pattern in bone_patterns:
                for name in _bones_matching(pattern, names):
                    if side and not name.endswith(side):
                        continue
                    scales[names.index(name)] = matrix
    moved = heads.copy()
    for bone in range(count):  # parents come before their children in anny's order
        parent = parents[bone]
        if parent >= 0:
            moved[bone] = scales[parent] @ (heads[bone] - heads[parent]) + moved[parent]
    offsets = moved - np.einsum("bij,bj->bi", scales, heads)
    return scales, offsets, moved


# --- body shapes ----------------------------------------------------------------------------------------------

def _frozen(mapping):
    return tuple(sorted((key, tuple(value) if isinstance(value, list | tuple) else float(value))
                        for key, value in (mapping or {}).items()))


class Shape:
    """One body at rest (anny frame): vertices and bone poses for given phenotypes, local changes, facial actions
    and bone scales, plus the reference pose's bone transforms (attachments are made in that pose)."""

    def __init__(self, phenotypes, local_changes, facial_actions, bone_scales):
        import torch

        m, topo = model(), topology()
        with _lock, torch.no_grad():
            _, phenotype_values, local_values, facial_values = m.get_tensor_inputs(
                None, dict(phenotypes), dict(local_changes), dict(facial_actions))
            coefficients = m._get_phenotype_blendshape_coefficients(phenotype_values, local_values, facial_values)
            rest = m.get_rest_model(coefficients)
        vertices = rest["rest_vertices"][0].double().numpy()
        poses = rest["rest_bone_poses"][0].double().numpy()
        scales, offsets, heads = _scaling(poses[:, :3, 3], topo.bone_parents, topo.bone_names, bone_scales or {})
        # Each vertex's blend of its bones' scalings, kept so per-frame facial deltas can be scaled the same way.
        self.linear = np.einsum("nk,nkij->nij", topo.weights, scales[topo.weight_bones])
        self.offset = np.einsum("nk,nki->ni", topo.weights, offsets[topo.weight_bones])
        self.unscaled = vertices
        self.vertices = np.einsum("nij,nj->ni", self.linear, vertices) + self.offset
        self.rest_poses = poses.copy()
        self.rest_poses[:, :3, 3] = heads
        self.reference = self._transforms({})
        self.reference_vertices = self.skin(self.vertices, self.reference)
        self._pose_cache = {}
        self.derived = {}  # what other modules make once per shape (the dresser's layout)

    def _transforms(self, deltas, root_offset=None):
        """anny's forward kinematics for {bone index: 3x3 anny-frame delta}: (B, 4, 4) rest -> posed transforms."""
        import torch

        m = model()
        count = len(self.rest_poses)
        delta = np.repeat(np.eye(4)[None], count, 0)
        for bone, rotation in deltas.items():
            delta[bone, :3, :3] = rotation
        # The root's delta places it in the world: keep it where the shape puts it (so that shape changes move
        # only what they change), plus any offset.
        delta[0, :3, 3] = self.rest_poses[0, :3, 3]
        if root_offset is not None:
            delta[0, :3, 3] += TO_SCENE.T @ np.asarray(root_offset, dtype=np.float64)
        with _lock, torch.no_grad():
            transforms, _ = m.get_bone_transforms(torch.as_tensor(delta[None], dtype=torch.float32),
                                                  torch.as_tensor(self.rest_poses[None], dtype=torch.float32))
        return transforms[0].double().numpy()

    @staticmethod
    def skin(vertices, transforms):
        """Linear blend skinning with anny's sparse weights."""
        topo = topology()
        blended = np.einsum("nk,nkij->nij", topo.weights, transforms[topo.weight_bones][:, :, :3, :])
        return np.einsum("nij,nj->ni", blended[:, :, :3], vertices) + blended[:, :, 3]

    def facial_delta(self, facial_actions):
        """Rest-space offsets of extra facial actions (anny's blendshapes are linear), scaled like the body."""
        if not facial_actions:
            return 0.0
        m, topo = model(), topology()
        delta = np.zeros_like(self.unscaled)
        for name, weight in facial_actions.items():
            if name not in topo.facial_rows:
                raise ValueError(f"unknown facial action {name!r}; anny has {sorted(topo.facial_rows)}")
            delta += weight * m.blendshapes[topo.facial_rows[name]].double().numpy()
        return np.einsum("nij,nj->ni", self.linear, delta)

    # -- the named poses --

    def reference_joint(self, name):
        """A bone's head in the reference pose, scene frame (ungrounded)."""
        bone = topology().bone(name)
        return TO_SCENE @ (self.reference[bone, :3, :3] @ self.rest_poses[bone, :3, 3] + self.reference[bone, :3, 3])

    def pose_rotations(self, pose):
        """{bone name: 3x3 scene-axes delta} putting the arms of this body in a named pose."""
        if pose not in POSES:
            raise ValueError(f"unknown pose {pose!r}; poses: {', '.join(POSES)}")
        if pose not in self._pose_cache:
            if pose == "I-Pose":
                angle = self._i_pose_angle()
            else:
                angle = 90.0 if pose == "T-Pose" else A_POSE_ANGLE
            self._pose_cache[pose] = self._arms_at(angle)
        return dict(self._pose_cache[pose])

    def _arms_at(self, degrees):
        """Both arms straight, at `degrees` from hanging down, in the body's frontal plane."""
        rotations = {}
        for side, sign in ((".L", 1.0), (".R", -1.0)):
            shoulder = self.reference_joint("upperarm01" + side)
            elbow = self.reference_joint("lowerarm01" + side)
            wrist = self.reference_joint("wrist" + side)
            radians = np.radians(degrees)
            target = np.array([sign * np.sin(radians), -np.cos(radians), 0.0])
            upper = rotation_between(elbow - shoulder, target)
            fore = rotation_between(upper @ (wrist - elbow), target)
            rotations["upperarm01" + side] = upper
            rotations["lowerarm01" + side] = upper.T @ fore @ upper
        return rotations

    def _i_pose_angle(self):
        """The least arm angle that keeps hanging arms clear of the hips and thighs (bodies differ in width)."""
        topo = topology()
        low, high = I_POSE_ANGLES
        hanging = self._arms_at(0.0)
        deltas = {topo.bone(name): TO_SCENE.T @ rotation @ TO_SCENE for name, rotation in hanging.items()}
        posed = self.skin(self.vertices, self._transforms(deltas)) @ TO_SCENE.T
        rw = topo.region_weights
        trunk = (rw[:, REGIONS.index("torso")] + rw[:, REGIONS.index("legs")]) > 0.6
        arm = (rw[:, REGIONS.index("arms")] + rw[:, REGIONS.index("hands")]) > 0.95
        for side, sign in ((".L", 1.0), (".R", -1.0)):
            shoulder = self.reference_joint("upperarm01" + side)
            body = posed[trunk & (posed[:, 0] * sign > 0)]
            limb = posed[arm & (posed[:, 0] * sign > 0)]
            # The trunk's outer edge on this side, per 2 cm of height and 3 cm of depth (a belly is not a hip).
            edge = {}
            for key, x in zip(map(tuple, np.floor(body[:, 1:] / [0.02, 0.03]).astype(int)), body[:, 0] * sign,
                              strict=True):
                edge[key] = max(edge.get(key, 0.0), x)
            upper = np.linalg.norm(self.reference_joint("lowerarm01" + side) - shoulder)
            below = limb[limb[:, 1] < shoulder[1] - upper]  # forearm and hand: the upper arm may touch the chest
            for degrees in np.arange(low, high + 0.1, 1.5):
                turn = rotation_about_z(sign * np.radians(degrees))
                moved = (below - shoulder) @ turn.T + shoulder
                cells = np.floor(moved[:, 1:] / [0.02, 0.03]).astype(int)
                reach = np.array([max(edge.get((h, d + k), -1.0) for k in (-1, 0, 1)) for h, d in cells])
                if (moved[:, 0] * sign - reach).min() > I_POSE_CLEARANCE:
                    break
            low = max(low, degrees)
        return float(low)


def rotation_between(a, b):
    """The smallest rotation taking direction a to direction b."""
    a = np.asarray(a, float) / np.linalg.norm(a)
    b = np.asarray(b, float) / np.linalg.norm(b)
    axis = np.cross(a, b)
    sine, cosine = np.linalg.norm(axis), float(a @ b)
    if sine < 1e-9:
        if cosine > 0:
            return np.eye(3)
        axis = np.cross(a, [1.0, 0.0, 0.0] if abs(a[0]) < 0.9 else [0.0, 1.0, 0.0])
        sine = np.linalg.norm(axis)
    axis /= sine
    return rotation_about(axis, np.arctan2(sine, cosine))


def rotation_about(axis, angle):
    """Rodrigues: rotation by `angle` radians about a unit `axis`."""
    x, y, z = np.asarray(axis, float) / np.linalg.norm(axis)
    k = np.array([[0.0, -z, y], [z, 0.0, -x], [-y, x, 0.0]])
    return np.eye(3) + np.sin(angle) * k + (1.0 - np.cos(angle)) * (k @ k)


def rotation_about_z(angle):
    return rotation_about((0.0, 0.0, 1.0), angle)


def as_matrix(rotation):
    """A 3x3 rotation from a matrix or a rotation vector (axis * radians)."""
    rotation = np.asarray(rotation, dtype=np.float64)
    if rotation.shape == (3, 3):
        return rotation
    if rotation.shape != (3,):
        raise ValueError(f"a rotation is a 3x3 matrix or a rotation vector, got shape {rotation.shape}")
    angle = np.linalg.norm(rotation)
    return np.eye(3) if angle < 1e-12 else rotation_about(rotation / angle, angle)


_shapes = OrderedDict()
SHAPE_CACHE_SIZE = 4


def body_shape(phenotypes=None, local_changes=None, facial_actions=None, bone_scales=None):
    """The Shape for these parameters, from a small cache (a video's frames share one)."""
    key = (_frozen(phenotypes), _frozen(local_changes), _frozen(facial_actions), _frozen(bone_scales))
    with _lock:
        if key in _shapes:
            _shapes.move_to_end(key)
            return _shapes[key]
    shape = Shape(phenotypes or {}, local_changes or {}, facial_actions or {}, bone_scales or {})
    with _lock:
        _shapes[key] = shape
        while len(_shapes) > SHAPE_CACHE_SIZE:
            _shapes.popitem(last=False)
    return shape


# --- posed bodies ---------------------------------------------------------------------------------------------

@dataclass
class Body:
    """A posed body in scene.py's frame, feet on y = 0."""

    vertices: np.ndarray  # (N, 3) float32
    faces: np.ndarray  # (M, 3) int32
    regions: np.ndarray  # (N,) uint8 index into REGIONS
    region_weights: np.ndarray  # (N, len(REGIONS)) float32
    bone_names: tuple
    joints: np.ndarray  # (B, 3) bone heads, posed
    transforms: np.ndarray  # (B, 4, 4): reference pose (scene frame, ungrounded) -> this pose, per bone
    reference_vertices: np.ndarray  # (N, 3) float32: the reference pose, scene frame, ungrounded
    shape: Shape

    def region_mask(self, *names):
        return np.isin(self.regions, [REGIONS.index(name) for name in names])

    def joint(self, name):
        return self.joints[self.bone_names.index(name)]

    def attach(self, bone, points):
        """Points made around the reference pose (scene frame), moved rigidly with `bone` into this pose."""
        transform = self.transforms[self.bone_names.index(bone)]
        return (np.asarray(points, np.float64) @ transform[:3, :3].T + transform[:3, 3]).astype(np.float32)


def build_body(phenotypes=None, local_changes=None, facial_actions=None, bone_scales=None, pose="A-Pose",
               rotations=None, root_offset=None, extra_facial_actions=None, ground=True):
    """A posed body.

    phenotypes: anny phenotypes (gender, age, muscle, weight, height, proportions; 0..1, 0.5 average).
    local_changes: anny local changes (-1..1) by name, e.g. {"stomach-pregnant-incr": 0.5}.
    facial_actions: ARKit-style facial actions (0..1), e.g. {"mouthSmileLeft": 0.8}.
    bone_scales: {BONE_GROUPS name: (x, y, z)}, y along the bones.
    pose: one of POSES (arms straight down, out sideways, or at 45 degrees), or None for anny's reference pose.
    rotations: {bone name: rotation (3x3 or rotation vector, scene axes)} applied after the pose's own, e.g. for
        a frame of motion; each turns the bone about its head in its parent's carried axes.
    root_offset: (3,) metres moving the whole body (scene axes), e.g. a bob while walking.
    extra_facial_actions: facial actions added for this pose only (a blink), without a new shape.
    ground: put the lowest point on y = 0.
    """
    shape = body_shape(phenotypes, local_changes, facial_actions, bone_scales)
    topo = topology()
    named = shape.pose_rotations(pose) if pose is not None else {}
    for name, rotation in (rotations or {}).items():
        if name not in topo.bone_names:
            raise ValueError(f"unknown bone {name!r}")
        named[name] = as_matrix(rotation) @ named.get(name, np.eye(3))
    deltas = {topo.bone(name): TO_SCENE.T @ rotation @ TO_SCENE for name, rotation in named.items()}
    transforms = shape._transforms(deltas, root_offset)
    rest = shape.vertices + shape.facial_delta(extra_facial_actions)
    vertices = shape.skin(rest, transforms) @ TO_SCENE.T
    heads = np.einsum("bij,bj->bi", transforms[:, :3, :3], shape.rest_poses[:, :3, 3]) + transforms[:, :3, 3]
    joints = heads @ TO_SCENE.T
    lift = -vertices[:, 1].min() if ground else 0.0
    vertices[:, 1] += lift
    joints[:, 1] += lift
    # reference (scene) -> rest (anny) -> posed (anny) -> scene, lifted.
    to_scene = np.eye(4)
    to_scene[:3, :3] = TO_SCENE
    lifted = to_scene.copy()
    lifted[1, 3] = lift
    inverse_reference = np.linalg.inv(shape.reference)
    attach = lifted[None] @ transforms @ inverse_reference @ np.linalg.inv(to_scene)[None]
    return Body(
        vertices=vertices.astype(np.float32),
        faces=topo.faces,
        regions=topo.regions,
        region_weights=topo.region_weights,
        bone_names=topo.bone_names,
        joints=joints.astype(np.float32),
        transforms=attach.astype(np.float64),
        reference_vertices=(shape.reference_vertices @ TO_SCENE.T).astype(np.float32),
        shape=shape,
    )


# --- command line ---------------------------------------------------------------------------------------------

def _build_cache():
    """Load anny's model data for MODEL_OPTIONS from the cache, building it there first if it is not yet."""
    directory = cache_dir()
    before = _cached_files()
    print(f"anny model data in {directory}: loading, or building it once (a few minutes, about 1.2 GB)...",
          flush=True)
    started = time.monotonic()
    done = threading.Event()

    def progress():
        while not done.wait(15):
            print(f"  ... {time.monotonic() - started:.0f} s", flush=True)

    ticker = threading.Thread(target=progress, daemon=True)
    ticker.start()
    try:
        model()
    finally:
        done.set()
    made = sorted(path.name for path in _cached_files() - before)
    what = f"built ({', '.join(made)})" if made else "already built"
    print(f"anny model data: {what}, ready in {time.monotonic() - started:.0f} s", flush=True)
    return 0


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv != ["build"]:
        print("usage: python -m generation.avatar.body build   (anny's model data into $ANNY_CACHE_DIR, "
              f"default {DEFAULT_CACHE_DIR})", file=sys.stderr)
        return 2
    return _build_cache()


if __name__ == "__main__":
    sys.exit(main())
