"""SOGS bundles: Gaussian splats as sorted 2D images (Self-Organizing Gaussians), zipped.

The version written and read here is the first SOGS layout, the one of PlayCanvas's Python compressor
(github.com/playcanvas/sogs, `sogs_compression.py`) and of @playcanvas/splat-transform's `write-sogs.ts`; the
PlayCanvas engine reads it as SOG "version 1" (its meta.json has no `version` field, and SOG version 2 replaced
the min/max ranges of scales and colours with 256-entry codebooks). Six files, at the root of the zip:

    meta.json      {"means":  {"shape": [N, 3], "dtype": "float32", "mins": [3], "maxs": [3],
                               "files": ["means_l.webp", "means_u.webp"]},
                    "scales": {"shape": [N, 3], "dtype": "float32", "mins": [3], "maxs": [3],
                               "files": ["scales.webp"]},
                    "quats":  {"shape": [N, 4], "dtype": "uint8", "encoding": "quaternion_packed",
                               "files": ["quats.webp"]},
                    "sh0":    {"shape": [N, 1, 4], "dtype": "float32", "mins": [4], "maxs": [4],
                               "files": ["sh0.webp"]}}
    means_l.webp   RGB: low bytes of x, y, z as 16 bits: round(65535 * (v - min) / (max - min)) of
    means_u.webp   RGB: their high bytes                 v = sign(p) * ln(1 + |p|) (mins/maxs are of v)
    scales.webp    RGB: the three log scales, 8 bits each between mins and maxs
    quats.webp     RGBA: the unit quaternion (w, x, y, z as the .ply's rot_0..3) with its largest component
                   made positive and dropped; the other three, times sqrt(2), mapped from [-1, 1] to 0..255;
                   A = 252 + the index of the dropped component
    sh0.webp       RGBA: f_dc_0..2 and the opacity logit, 8 bits each between mins and maxs

Every image is the same W x H grid, row-major from the top left, one splat a pixel; pixels past N are zero.
Images are lossless WebP (Pillow, `exact` so that fully transparent pixels keep their colour). Splats are laid
out by a 2D neighbourhood sort (PLAS, see plas.py) of their normalised attributes, so that neighbouring pixels
hold similar values and the images compress; the SH rest (view-dependent colour) is not kept: "sh0" only.
"""

import io
import json
import zipfile

import numpy as np
from PIL import Image

from ..splat_io import GaussianArrays, _as_arrays
from .plas import compact, grid_shape, plas_order

FILES = ("means_l.webp", "means_u.webp", "scales.webp", "quats.webp", "sh0.webp")
SQRT2 = np.sqrt(2.0)
# The rest of the quaternion's components: which three a packed pixel holds, for each dropped one.
KEPT = np.array([[1, 2, 3], [0, 2, 3], [0, 1, 3], [0, 1, 2]])


def write_sog(path, gaussians, *, seed=0, improvement_break=1e-3, device=None):
    """Writes the SOGS zip of `gaussians` (GaussianArrays or a model with to_arrays) to `path`.

    Returns the source index of each splat in the images' order (N,). `device`: where the sort runs (torch).
    """
    g = _as_arrays(gaussians)
    count = len(g)
    if count == 0:
        raise ValueError("there are no splats to write")
    height, width = grid_shape(count)
    quats = _unit_quaternions(g.rotations)
    log_means = np.sign(g.means) * np.log1p(np.abs(g.means))
    colour = np.concatenate([g.sh_dc, g.opacities[:, None]], axis=1)

    order = compact(plas_order(_sort_features(log_means, g.scales, colour, quats), (height, width), seed=seed,
                               improvement_break=improvement_break, device=device))

    def image(columns):
        pixels = np.zeros((height * width, columns.shape[1]), np.uint8)
        pixels[:count] = columns[order]
        return pixels.reshape(height, width, -1)

    means16, mean_mins, mean_maxs = _quantise(log_means, 65535)
    scales8, scale_mins, scale_maxs = _quantise(g.scales, 255)
    colour8, colour_mins, colour_maxs = _quantise(colour, 255)
    images = {
        "means_l.webp": image((means16 & 0xFF).astype(np.uint8)),
        "means_u.webp": image((means16 >> 8).astype(np.uint8)),
        "scales.webp": image(scales8.astype(np.uint8)),
        "quats.webp": image(_pack_quaternions(quats)),
        "sh0.webp": image(colour8.astype(np.uint8)),
    }
    meta = {
        "means": {"shape": [count, 3], "dtype": "float32", "mins": mean_mins, "maxs": mean_maxs,
                  "files": ["means_l.webp", "means_u.webp"]},
        "scales": {"shape": [count, 3], "dtype": "float32", "mins": scale_mins, "maxs": scale_maxs,
                   "files": ["scales.webp"]},
        "quats": {"shape": [count, 4], "dtype": "uint8", "encoding": "quaternion_packed", "files": ["quats.webp"]},
        "sh0": {"shape": [count, 1, 4], "dtype": "float32", "mins": colour_mins, "maxs": colour_maxs,
                "files": ["sh0.webp"]},
    }
    with zipfile.ZipFile(path, "w") as bundle:
        bundle.writestr("meta.json", json.dumps(meta, indent=2), compress_type=zipfile.ZIP_DEFLATED)
        for name, pixels in images.items():
            # WebP is compressed already: stored as it is.
            bundle.writestr(name, _webp(pixels), compress_type=zipfile.ZIP_STORED)
    return order


def read_sog(path) -> GaussianArrays:
    """Reads a SOGS zip (the layout above) back into Gaussians, in the images' order: pre-activation values as
    in the .ply (log scales, opacity logits, f_dc), no SH rest, no normals."""
    with zipfile.ZipFile(path) as bundle:
        meta = json.loads(bundle.read("meta.json"))
        if "version" in meta:
            raise ValueError(f"{path} is SOG version {meta['version']}; only the first SOGS layout is read here")

        def pixels(name, channels):
            with Image.open(io.BytesIO(bundle.read(name))) as picture:
                return np.asarray(picture.convert("RGBA")).reshape(-1, 4)[:, :channels]

        count = int(meta["means"]["shape"][0])
        low, high = (pixels(name, 3)[:count].astype(np.uint32) for name in meta["means"]["files"])
        log_means = _dequantise(low | (high << 8), meta["means"], 65535)
        scales = _dequantise(pixels(meta["scales"]["files"][0], 3)[:count], meta["scales"], 255)
        colour = _dequantise(pixels(meta["sh0"]["files"][0], 4)[:count], meta["sh0"], 255)
        rotations = _unpack_quaternions(pixels(meta["quats"]["files"][0], 4)[:count])
    return GaussianArrays(
        means=np.sign(log_means) * np.expm1(np.abs(log_means)), sh_dc=colour[:, :3],
        sh_rest=np.zeros((count, 0, 3), np.float32), opacities=colour[:, 3], scales=scales, rotations=rotations)


def _sort_features(log_means, scales, colour, quats):
    """What the sort compares: every attribute the images hold, each column scaled to [0, 1] as it is quantised,
    so that no attribute outweighs the others by its units."""
    columns = np.concatenate([log_means, scales, colour, quats], axis=1).astype(np.float64)
    low, span = columns.min(axis=0), np.ptp(columns, axis=0)
    return ((columns - low) / np.where(span > 0, span, 1)).astype(np.float32)


def _quantise(values, top):
    """values (N, C) -> integers 0..top per column between the column's min and max, and those as lists."""
    values = values.astype(np.float64)
    mins, maxs = values.min(axis=0), values.max(axis=0)
    span = np.where(maxs > mins, maxs - mins, 1.0)
    levels = np.rint((values - mins) / span * top).astype(np.uint32)
    return levels, mins.tolist(), maxs.tolist()


def _dequantise(levels, entry, top):
    mins, maxs = np.asarray(entry["mins"], np.float64), np.asarray(entry["maxs"], np.float64)
    return (mins + (maxs - mins) * levels.astype(np.float64) / top).astype(np.float32)


def _unit_quaternions(rotations):
    rotations = rotations.astype(np.float64)
    norms = np.linalg.norm(rotations, axis=1, keepdims=True)
    unit = np.where(norms > 0, rotations / np.where(norms > 0, norms, 1), [1.0, 0.0, 0.0, 0.0])
    # q and -q are one rotation: the largest component made positive, as the packing needs.
    largest = np.abs(unit).argmax(axis=1)
    return unit * np.where(unit[np.arange(len(unit)), largest] < 0, -1.0, 1.0)[:, None]


def _pack_quaternions(quats):
    largest = np.abs(quats).argmax(axis=1)
    kept = np.take_along_axis(quats, KEPT[largest], axis=1)
    packed = np.empty((len(quats), 4), np.uint8)
    packed[:, :3] = np.clip(np.rint((kept * SQRT2 * 0.5 + 0.5) * 255), 0, 255)
    packed[:, 3] = 252 + largest
    return packed


def _unpack_quaternions(packed):
    largest = packed[:, 3].astype(np.int64) - 252
    if len(packed) and (largest.min() < 0 or largest.max() > 3):
        raise ValueError("quats.webp holds a pixel whose alpha is not 252-255")
    kept = (packed[:, :3].astype(np.float64) / 255 * 2 - 1) / SQRT2
    quats = np.zeros((len(packed), 4))
    np.put_along_axis(quats, KEPT[largest], kept, axis=1)
    quats[np.arange(len(packed)), largest] = np.sqrt(np.clip(1 - np.square(kept).sum(axis=1), 0, None))
    return quats.astype(np.float32)


def _webp(pixels):
    buffer = io.BytesIO()
    # Lossless WebP's quality is its effort: 75 with method 4 came within 0.1% of the smallest files (100 and 6)
    # on a real 45k-splat model, in a sixth of the time.
    Image.fromarray(pixels).save(buffer, format="WEBP", lossless=True, quality=75, method=4, exact=True)
    return buffer.getvalue()

