"""Gaussian splat files: the reference 3DGS `.ply`, the compact `.splat`, and plain coloured point clouds.

The `.ply` keeps what the reference implementation (graphdeco-inria/gaussian-splatting) saves and what
splat viewers read: per vertex x, y, z, nx, ny, nz, f_dc_0..2, f_rest_0..(3K-1), opacity, scale_0..2,
rot_0..3, as little-endian float32, all pre-activation: opacity is a logit, scales are natural logs,
the quaternion (w, x, y, z) is not normalised. f_rest is channel-major: f_rest[c * K + k] is
coefficient k + 1 of channel c (K = 15 for SH degree 3).

The `.splat` (antimatter15/splat's web viewer format) is 32 bytes per Gaussian: position (3 float32),
activated scales (3 float32), RGBA (4 uint8: SH DC to colour, sigmoid opacity) and the normalised
quaternion (4 uint8, q * 128 + 128), sorted by exp(scales).prod() * opacity, largest first.

numpy only, so that exports can run without torch.
"""

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from plyfile import PlyData

SH_C0 = 0.28209479177387814  # degree-0 SH constant: colour = 0.5 + SH_C0 * f_dc

SPLAT_DTYPE = np.dtype([("position", "<f4", 3), ("scale", "<f4", 3), ("rgba", "u1", 4), ("rotation", "u1", 4)])


@dataclass(kw_only=True)
class GaussianArrays:
    """Gaussians as stored on disk (pre-activation), float32: see the module docstring.

    means (N, 3); normals (N, 3) or None; sh_dc (N, 3); sh_rest (N, K, 3) with K = 0, 3, 8 or 15 for
    degree 0..3; opacities (N,) logits; scales (N, 3) logs; rotations (N, 4) quaternions (w, x, y, z).
    """

    means: np.ndarray
    normals: np.ndarray | None = None
    sh_dc: np.ndarray
    sh_rest: np.ndarray
    opacities: np.ndarray
    scales: np.ndarray
    rotations: np.ndarray

    def __post_init__(self):
        n = len(self.means)
        for name, shape in (("means", (n, 3)), ("sh_dc", (n, 3)), ("opacities", (n,)), ("scales", (n, 3)),
                            ("rotations", (n, 4))):
            setattr(self, name, _float32(getattr(self, name), shape, name))
        self.sh_rest = _float32(self.sh_rest, (n, -1, 3), "sh_rest")
        if self.normals is not None:
            self.normals = _float32(self.normals, (n, 3), "normals")

    def __len__(self):
        return len(self.means)

    @property
    def sh_degree(self):
        """The highest complete SH band present."""
        return int(np.sqrt(self.sh_rest.shape[1] + 1)) - 1

    @property
    def colors(self):
        """View-independent RGB in [0, 1] (the DC term only)."""
        return np.clip(0.5 + SH_C0 * self.sh_dc, 0.0, 1.0)


def _float32(array, shape, name):
    array = np.ascontiguousarray(array, dtype=np.float32)
    if array.ndim != len(shape) or any(want not in (-1, got) for want, got in zip(shape, array.shape, strict=True)):
        raise ValueError(f"{name} has shape {array.shape}, expected {shape}")
    return array


def ply_property_names(num_rest):
    """The standard 3DGS vertex properties, in order, for `num_rest` f_rest values (3 * K)."""
    return (["x", "y", "z", "nx", "ny", "nz", "f_dc_0", "f_dc_1", "f_dc_2"]
            + [f"f_rest_{i}" for i in range(num_rest)]
            + ["opacity", "scale_0", "scale_1", "scale_2", "rot_0", "rot_1", "rot_2", "rot_3"])


def _as_arrays(gaussians):
    """A GaussianArrays, or anything with `to_arrays()` (the torch GaussianModel)."""
    return gaussians if isinstance(gaussians, GaussianArrays) else gaussians.to_arrays()


def write_ply(path, gaussians):
    """Write the standard binary little-endian 3DGS `.ply`; missing normals are written as zeros."""
    g = _as_arrays(gaussians)
    n = len(g)
    rest = g.sh_rest.transpose(0, 2, 1).reshape(n, -1)  # channel-major, as the reference
    normals = g.normals if g.normals is not None else np.zeros((n, 3), np.float32)
    columns = np.concatenate([g.means, normals, g.sh_dc, rest, g.opacities[:, None], g.scales, g.rotations], axis=1)
    names = ply_property_names(rest.shape[1])
    header = "".join([
        "ply\nformat binary_little_endian 1.0\n", f"element vertex {n}\n",
        *(f"property float {name}\n" for name in names), "end_header\n",
    ])
    with open(path, "wb") as f:
        f.write(header.encode("ascii"))
        f.write(columns.astype("<f4", copy=False).tobytes())
    return Path(path)


def read_ply(path) -> GaussianArrays:
    """Read a 3DGS `.ply`: ours, the reference's, or variants without normals or with fewer f_rest
    (any multiple of 3, e.g. none for SH degree 0), binary (either endianness) or ASCII."""
    vertex = PlyData.read(str(path))["vertex"].data
    names = set(vertex.dtype.names)
    required = ["x", "y", "z", "f_dc_0", "f_dc_1", "f_dc_2", "opacity", "scale_0", "scale_1", "scale_2",
                "rot_0", "rot_1", "rot_2", "rot_3"]
    missing = [name for name in required if name not in names]
    if missing:
        raise ValueError(f"{path} is not a Gaussian splat .ply: no {', '.join(missing)}")
    rest_ids = sorted(int(m.group(1)) for name in names if (m := re.fullmatch(r"f_rest_(\d+)", name)))
    if rest_ids != list(range(len(rest_ids))) or len(rest_ids) % 3:
        raise ValueError(f"{path}: f_rest properties must be f_rest_0..f_rest_(3K-1), found {len(rest_ids)}")

    def stack(*keys):
        return np.stack([np.asarray(vertex[key], dtype=np.float32) for key in keys], axis=-1)

    n = len(vertex)
    rest = stack(*(f"f_rest_{i}" for i in rest_ids)) if rest_ids else np.zeros((n, 0), np.float32)
    has_normals = {"nx", "ny", "nz"} <= names
    return GaussianArrays(
        means=stack("x", "y", "z"),
        normals=stack("nx", "ny", "nz") if has_normals else None,
        sh_dc=stack("f_dc_0", "f_dc_1", "f_dc_2"),
        sh_rest=rest.reshape(n, 3, -1).transpose(0, 2, 1),
        opacities=np.asarray(vertex["opacity"], dtype=np.float32),
        scales=stack("scale_0", "scale_1", "scale_2"),
        rotations=stack("rot_0", "rot_1", "rot_2", "rot_3"),
    )


def write_splat(path, gaussians):
    """Write the 32-byte-per-Gaussian `.splat` of the antimatter15 web viewer (see the module docstring)."""
    g = _as_arrays(gaussians)
    scales = np.exp(g.scales.astype(np.float64))
    opacity = 1.0 / (1.0 + np.exp(-g.opacities.astype(np.float64)))
    order = np.argsort(-(scales.prod(axis=1) * opacity), kind="stable")
    quaternions = g.rotations / np.maximum(np.linalg.norm(g.rotations, axis=1, keepdims=True), 1e-12)
    records = np.empty(len(g), SPLAT_DTYPE)
    records["position"] = g.means[order]
    records["scale"] = scales[order]
    records["rgba"] = _to_uint8(np.concatenate([g.colors, opacity[:, None]], axis=1)[order] * 255)
    records["rotation"] = _to_uint8(quaternions[order] * 128 + 128)
    with open(path, "wb") as f:
        f.write(records.tobytes())
    return Path(path)


@dataclass
class SplatArrays:
    """A decoded `.splat`: positions and scales (N, 3) float32, rgba and rotations (N, 4) uint8."""

    positions: np.ndarray
    scales: np.ndarray
    rgba: np.ndarray
    rotations: np.ndarray

    @property
    def quaternions(self):
        """The (w, x, y, z) quaternions back in [-1, 1], to 1/128."""
        return (self.rotations.astype(np.float32) - 128) / 128


def read_splat(path) -> SplatArrays:
    data = Path(path).read_bytes()
    if len(data) % SPLAT_DTYPE.itemsize:
        raise ValueError(f"{path} is not a .splat: {len(data)} bytes is not a multiple of 32")
    records = np.frombuffer(data, SPLAT_DTYPE)
    return SplatArrays(records["position"].copy(), records["scale"].copy(), records["rgba"].copy(),
                       records["rotation"].copy())


def write_point_cloud_ply(path, points, colors):
    """A plain coloured point cloud: x, y, z float32 and red, green, blue uchar, binary little-endian.

    `colors` are float RGB in [0, 1] (the package's convention), or already uint8.
    """
    points = np.asarray(points, dtype=np.float32).reshape(-1, 3)
    colors = np.asarray(colors)
    colors = colors if colors.dtype == np.uint8 else _to_uint8(colors * 255)
    records = np.empty(len(points), [("x", "<f4"), ("y", "<f4"), ("z", "<f4"),
                                     ("red", "u1"), ("green", "u1"), ("blue", "u1")])
    for i, axis in enumerate("xyz"):
        records[axis] = points[:, i]
    for i, channel in enumerate(("red", "green", "blue")):
        records[channel] = colors.reshape(-1, 3)[:, i]
    header = "".join([
        "ply\nformat binary_little_endian 1.0\n", f"element vertex {len(points)}\n",
        "property float x\nproperty float y\nproperty float z\n",
        "property uchar red\nproperty uchar green\nproperty uchar blue\n", "end_header\n",
    ])
    with open(path, "wb") as f:
        f.write(header.encode("ascii"))
        f.write(records.tobytes())
    return Path(path)


def _to_uint8(values):
    return np.clip(np.rint(values), 0, 255).astype(np.uint8)
