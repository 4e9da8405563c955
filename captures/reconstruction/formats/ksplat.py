""".ksplat: the splat buffer of @mkkellogg/gaussian-splats-3d (the dashboard's viewer), written without it.

Layout as SplatBuffer (file version 0.1) of the library's 0.4.7 build reads it, little-endian throughout:

    header, 4096 bytes: u8[0] 0 and u8[1] 1 (version 0.1); u32[1] section count (max), u32[2] section count,
        u32[3] splat count (max), u32[4] splat count, u16[10] compression level, f32[6..8] scene centre,
        f32[9] f32[10] the range of 8-bit SH coefficients (level 2)
    one section header, 1024 bytes: u32[0] u32[1] splat count, u32[2] bucket size, u32[3] bucket count,
        f32[4] bucket block size, u16[10] bytes per bucket (12), u32[6] position range (32767),
        u32[7] the section's bytes, u32[8] full buckets, u32[9] partly filled buckets, u16[20] SH degree
        (the bucket fields are 0 at level 0)
    the section: (levels 1 and 2) u32 length of each partly filled bucket, f32 x3 centre of each bucket, then
        the splats, bucket by bucket: full buckets (exactly `bucket size` splats) first, then the partly
        filled ones in the order their lengths are listed

    one splat           level 0            level 1                 level 2
    centre x, y, z      f32 x3             u16 x3 in the bucket    u16 x3 in the bucket
    scale x, y, z       f32 x3 (exp'd)     f16 x3                  f16 x3
    rotation w, x, y, z f32 x4 (unit)      f16 x4                  f16 x4
    colour r, g, b, a   u8 x4 (SH DC as colour, sigmoid(opacity))
    SH rest             f32 x9 or x24      f16                     u8 between the header's range

Levels 1 and 2 store a centre as its offset from its bucket's centre: buckets are cubes of `block_size`
(5 scene units) holding up to `bucket_size` (256) splats, and u = round(offset * 32767 / (block_size / 2))
+ 32767. The SH rest (degree 1 or 2; the format has no degree 3) is per degree, channel-major: degree 1's
r0 r1 r2 g0 g1 g2 b0 b1 b2, then degree 2's r3..r7 g3..g7 b3..b7, coefficients as in the .ply's f_rest.

Splats are ordered as the library's own generator orders them (SplatBufferGenerator with its standard
partitioner: by distance from the scene centre in half-unit steps, then grouped into buckets), in one section.
"""

from pathlib import Path

import numpy as np

from ..splat_io import SH_C0, GaussianArrays, _as_arrays

HEADER_BYTES = 4096
SECTION_HEADER_BYTES = 1024
BUCKET_BYTES = 12
POSITION_RANGE = 32767
BLOCK_SIZE = 5.0
BUCKET_SIZE = 256
LEVELS = (0, 1, 2)
SH_COUNTS = {0: 0, 1: 9, 2: 24}
DEFAULT_SH_RANGE = 1.5  # what the library assumes (-1.5, 1.5) when the header leaves the range at 0
HALF_MAX = 65504.0


def splat_dtype(level, sh_degree):
    """The numpy record of one splat at compression `level` (0, 1, 2) with SH up to `sh_degree` (0-2)."""
    if level not in LEVELS or sh_degree not in SH_COUNTS:
        raise ValueError(f"no .ksplat layout for compression level {level} and SH degree {sh_degree}")
    wide = level == 0
    fields = [("center", "<f4" if wide else "<u2", 3), ("scale", "<f4" if wide else "<f2", 3),
              ("rotation", "<f4" if wide else "<f2", 4), ("color", "u1", 4)]
    if SH_COUNTS[sh_degree]:
        fields.append(("sh", ("<f4", "<f2", "u1")[level], SH_COUNTS[sh_degree]))
    return np.dtype(fields)


def write_ksplat(path, gaussians, *, compression_level=1, sh_degree=None, block_size=BLOCK_SIZE,
                 bucket_size=BUCKET_SIZE):
    """Writes `gaussians` (GaussianArrays or a model with to_arrays) as a .ksplat at `compression_level`.

    sh_degree: the SH rest to keep, at most 2 (the format's most) and the model's; None keeps all it can.
    Returns the source index of each splat in the file's order (N,).
    """
    g = _as_arrays(gaussians)
    count = len(g)
    sh_degree = min(g.sh_degree, 2) if sh_degree is None else min(sh_degree, g.sh_degree)
    record = splat_dtype(compression_level, sh_degree)
    order, lengths, centers = _buckets(g.means.astype(np.float64), block_size, bucket_size)
    centers = centers.astype("<f4")
    bucketed = compression_level >= 1
    full = int(np.count_nonzero(lengths == bucket_size))
    partial_lengths = lengths[full:].astype("<u4")

    splats = np.zeros(count, record)
    means = g.means[order].astype(np.float64)
    if bucketed:
        owner = np.repeat(np.arange(len(lengths)), lengths)
        offsets = means - centers[owner].astype(np.float64)
        scaled = np.floor(offsets * (POSITION_RANGE / (block_size / 2)) + 0.5) + POSITION_RANGE
        splats["center"] = np.clip(scaled, 0, 2 * POSITION_RANGE + 1)
    else:
        splats["center"] = means
    scales = np.exp(g.scales[order].astype(np.float64))
    splats["scale"] = scales if compression_level == 0 else np.minimum(scales, HALF_MAX)
    rotations = g.rotations[order].astype(np.float64)
    norms = np.linalg.norm(rotations, axis=1, keepdims=True)
    splats["rotation"] = np.where(norms > 0, rotations / np.where(norms > 0, norms, 1), [1.0, 0.0, 0.0, 0.0])
    opacity = 1 / (1 + np.exp(-g.opacities[order].astype(np.float64)))
    colour = np.concatenate([0.5 + SH_C0 * g.sh_dc[order].astype(np.float64), opacity[:, None]], axis=1)
    splats["color"] = np.clip(np.rint(colour * 255), 0, 255)

    sh_low, sh_high = -DEFAULT_SH_RANGE, DEFAULT_SH_RANGE
    if sh_degree:
        rest = g.sh_rest[order]
        sh = np.concatenate([rest[:, first:last].transpose(0, 2, 1).reshape(count, -1)
                             for first, last in ((0, 3), (3, 8))[:sh_degree]], axis=1).astype(np.float64)
        if compression_level == 2:
            # The library reads a range of exactly 0 as "unset"; the range must also hold every value.
            sh_low = min(float(sh.min(initial=0.0)), -1e-6)
            sh_high = max(float(sh.max(initial=0.0)), 1e-6)
            splats["sh"] = np.clip(np.rint((sh - sh_low) / (sh_high - sh_low) * 255), 0, 255)
        else:
            splats["sh"] = sh

    bucket_bytes = (len(partial_lengths) * 4 + len(lengths) * BUCKET_BYTES) if bucketed else 0
    section_bytes = bucket_bytes + count * record.itemsize
    header = np.zeros(HEADER_BYTES, np.uint8)
    header[0], header[1] = 0, 1
    header[4:20].view("<u4")[:] = [1, 1, count, count]
    header[20:22].view("<u2")[0] = compression_level
    header[24:44].view("<f4")[:] = [0.0, 0.0, 0.0, sh_low, sh_high]  # the standard generator's scene centre
    section = np.zeros(SECTION_HEADER_BYTES, np.uint8)
    words = section[:40].view("<u4")
    words[0] = words[1] = count
    words[7] = section_bytes
    if bucketed:
        words[2], words[3] = bucket_size, len(lengths)
        section[16:20].view("<f4")[0] = block_size
        section[20:22].view("<u2")[0] = BUCKET_BYTES
        words[6], words[8], words[9] = POSITION_RANGE, full, len(partial_lengths)
    section[40:42].view("<u2")[0] = sh_degree
    with open(path, "wb") as f:
        f.write(header.tobytes())
        f.write(section.tobytes())
        if bucketed:
            f.write(partial_lengths.tobytes())
            f.write(centers.tobytes())
        f.write(splats.tobytes())
    return order


def read_ksplat(path) -> GaussianArrays:
    """Reads a .ksplat (any section count, levels 0-2) back into Gaussians in the file's order: pre-activation
    values as in the .ply (log scales, opacity logits, f_dc from the 8-bit colour), SH rest up to degree 2."""
    data = Path(path).read_bytes()
    if len(data) < HEADER_BYTES:
        raise ValueError(f"{path} is not a .ksplat: shorter than its {HEADER_BYTES}-byte header")
    header = np.frombuffer(data, np.uint8, HEADER_BYTES)
    major, minor = int(header[0]), int(header[1])
    if (major, minor) < (0, 1):
        raise ValueError(f"{path} is .ksplat version {major}.{minor}; 0.1 or later is read here")
    section_count = int(header[4:8].view("<u4")[0])
    level = int(header[20:22].view("<u2")[0])
    sh_low, sh_high = (float(v) for v in header[36:44].view("<f4"))
    sh_low, sh_high = sh_low or -DEFAULT_SH_RANGE, sh_high or DEFAULT_SH_RANGE
    base = HEADER_BYTES + section_count * SECTION_HEADER_BYTES
    parts = []
    for number in range(section_count):
        start = HEADER_BYTES + number * SECTION_HEADER_BYTES
        section = np.frombuffer(data, np.uint8, SECTION_HEADER_BYTES, start)
        words = section[:40].view("<u4")
        count, bucket_size, bucket_count = int(words[1]), int(words[2]), int(words[3])
        block_size = float(section[16:20].view("<f4")[0])
        position_range = int(words[6]) or POSITION_RANGE
        full, partial = int(words[8]), int(words[9])
        sh_degree = int(section[40:42].view("<u2")[0])
        record = splat_dtype(level, sh_degree)
        bucket_bytes = partial * 4 + bucket_count * int(section[20:22].view("<u2")[0])
        splats = np.frombuffer(data, record, count, base + bucket_bytes)
        if level >= 1:
            lengths = np.frombuffer(data, "<u4", partial, base)
            centers = np.frombuffer(data, "<f4", bucket_count * 3, base + partial * 4).reshape(-1, 3)
            owner = np.repeat(np.arange(bucket_count), np.r_[np.full(full, bucket_size), lengths].astype(np.int64))
            step = (block_size / 2) / position_range
            means = (splats["center"].astype(np.float64) - position_range) * step + centers[owner]
        else:
            means = splats["center"].astype(np.float64)
        parts.append(_decoded(splats, means, sh_degree, level, sh_low, sh_high))
        base += int(words[7])
    if not parts:
        raise ValueError(f"{path} holds no sections")
    degree = min(part.sh_rest.shape[1] for part in parts)
    return GaussianArrays(
        **{name: np.concatenate([getattr(part, name) for part in parts])
           for name in ("means", "sh_dc", "opacities", "scales", "rotations")},
        sh_rest=np.concatenate([part.sh_rest[:, :degree] for part in parts]))


def _decoded(splats, means, sh_degree, level, sh_low, sh_high):
    count = len(splats)
    colour = splats["color"].astype(np.float64) / 255
    alpha = np.clip(colour[:, 3], 0.5 / 255, 1 - 0.5 / 255)  # 0 and 255 are "at most half a level away"
    rest = np.zeros((count, 0, 3), np.float32)
    if sh_degree:
        sh = splats["sh"].astype(np.float64)
        if level == 2:
            sh = sh / 255 * (sh_high - sh_low) + sh_low
        blocks, first = [], 0
        for size in (3, 5)[:sh_degree]:
            blocks.append(sh[:, first:first + 3 * size].reshape(count, 3, size).transpose(0, 2, 1))
            first += 3 * size
        rest = np.concatenate(blocks, axis=1)
    return GaussianArrays(
        means=means, sh_dc=(colour[:, :3] - 0.5) / SH_C0, sh_rest=rest, opacities=np.log(alpha / (1 - alpha)),
        scales=np.log(np.maximum(splats["scale"].astype(np.float64), 1e-30)),
        rotations=splats["rotation"].astype(np.float64))


def _buckets(means, block_size, bucket_size):
    """The file order and its buckets, as the library's standard generator makes them: splats by distance from
    the origin in half-unit steps (stable), then into the `block_size` cube each falls in; a cube's splats fill
    buckets of `bucket_size` in that order. The full buckets come first, in the order they filled, then the
    partly filled ones by cube. Returns (order: source indices in file order, each bucket's length, each
    bucket's centre)."""
    count = len(means)
    if count == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros((0, 3))
    by_distance = np.argsort(np.square(np.floor(means / 0.5) * 0.5).sum(axis=1), kind="stable")
    low = means.min(axis=0)
    cubes, cube = np.unique(np.floor((means[by_distance] - low) / block_size).astype(np.int64), axis=0,
                            return_inverse=True)
    cube = cube.reshape(-1)
    # each splat's rank among the earlier splats of its cube
    grouped = np.argsort(cube, kind="stable")
    counts = np.bincount(cube)
    rank = np.empty(count, np.int64)
    rank[grouped] = np.arange(count) - np.repeat(np.cumsum(counts) - counts, counts)
    chunk = rank // bucket_size
    partial = chunk >= (counts // bucket_size)[cube]
    bucket = cube * (int(chunk.max()) + 1) + chunk
    filled_at = np.zeros(int(bucket.max()) + 1, np.int64)
    np.maximum.at(filled_at, bucket, np.arange(count))  # a full bucket is complete when its last splat arrives
    bucket_rank = np.where(partial, cube, filled_at[bucket])
    placed = np.lexsort((np.arange(count), bucket_rank, partial))
    starts = np.r_[0, np.flatnonzero(np.diff(bucket[placed])) + 1]
    lengths = np.diff(np.r_[starts, count])
    centres = cubes[cube[placed[starts]]] * block_size + low + block_size / 2
    return by_distance[placed], lengths, centres
