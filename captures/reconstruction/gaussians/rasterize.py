"""A differentiable Gaussian-splat rasteriser in plain torch, on whichever device its tensors are (CPU or CUDA).

It follows the reference 3D Gaussian splatting renderer (Kerbl et al. 2023, graphdeco-inria's
diff-gaussian-rasterization):

- projection: the 3D covariance R S S^T R^T is carried to the image with the EWA approximation (the
  Jacobian of the perspective projection at the Gaussian's centre, x/z and y/z clamped to 1.3 times the
  field of view on each side of the principal point), then dilated by 0.3 px^2 as a low-pass filter;
  Gaussians closer than `near` are culled;
- colour: real spherical harmonics up to degree 3 with the reference's constants and signs, evaluated
  along the ray from the camera centre, plus 0.5 and clamped at 0;
- compositing: front to back in depth order, alpha = min(0.99, opacity * exp(-d^T conic d / 2));
  fragments with alpha < 1/255 are skipped, and a pixel stops at the first fragment that would take
  its transmittance below 1e-4 (that fragment is not blended). Fragments are drawn within 3 sigma
  (Mahalanobis distance 3); the reference's square box of side 6 sigma of the major axis also lets
  through its corners, where alpha < 0.011 * opacity.

Conventions: the camera is `scene.Camera` (OpenCV world_to_camera, pixel intrinsics). Pixel (u, v) is
the square [u, u+1) x [v, v+1), sampled at its centre (u + 0.5, v + 0.5): the convention in which a
centred principal point is cx = width / 2 (COLMAP's). Quaternions are (w, x, y, z).

How it is vectorised, and why not in 16x16 tiles: a CUDA rasteriser gives each tile a thread block and
lets its threads skip the pixels a Gaussian does not reach. Dense tensor ops cannot skip, so a tile of
side t would cost t^2 evaluations for every Gaussian touching it, most of them wasted on the small
Gaussians a trained scene is made of. Instead each Gaussian is expanded into its own fragments, one
per pixel of the bounding box of its drawable ellipse; fragments that cannot be blended are dropped;
the rest are grouped by pixel with one stable sort (they are generated in depth order, so each
pixel's run comes out front to back); transmittance is the exclusive cumulative sum of log(1 - alpha)
along each run. A first pass without gradients finds the fragments that are blended (including the
transmittance cut-off), a second pass computes only those, with autograd. The image is cut into
bands of whole rows holding about `max_pairs` box fragments each; with several bands and gradients
on, each band is checkpointed (recomputed in backward), so memory is bounded by one band however many
Gaussians there are.
"""

import math
import os
from dataclasses import dataclass

import torch
from torch.utils.checkpoint import checkpoint

from ..scene import Camera

# Real spherical harmonics, as in the reference implementation (sh_utils.py / forward.cu).
SH_C0 = 0.28209479177387814
SH_C1 = 0.4886025119029199
SH_C2 = (1.0925484305920792, -1.0925484305920792, 0.31539156525252005, -1.0925484305920792, 0.5462742152960396)
SH_C3 = (-0.5900435899266435, 2.890611442640554, -0.4570457994644658, 0.3731763325901154,
         -0.4570457994644658, 1.445305721320277, -0.5900435899266435)

ALPHA_MIN = 1.0 / 255.0  # fainter fragments are skipped
ALPHA_MAX = 0.99  # no fragment is fully opaque, so transmittance never reaches zero
T_MIN = 1e-4  # a pixel is done once its transmittance would fall below this
LOW_PASS = 0.3  # px^2 added to the screen covariance's diagonal

DEFAULT_MAX_PAIRS = 1 << 22  # fragments per band: about 200 MB of working memory at the peak


@dataclass
class RasterOutput:
    """What one rendered view gives back.

    `image` is (3, H, W); `alpha` (H, W) is the accumulated opacity (1 - final transmittance).
    Per Gaussian, in the input order: `means2d` (N, 2) the projected centres in pixels, a tensor that
    keeps its `.grad` after backward (densification reads it); `radii` (N,) the integer 3-sigma
    footprint radius in pixels, 0 where culled; `visible` (N,) those that reached the image;
    `depths` (N,) camera-space z.
    """

    image: torch.Tensor
    alpha: torch.Tensor
    means2d: torch.Tensor
    radii: torch.Tensor
    visible: torch.Tensor
    depths: torch.Tensor


def quaternion_to_matrix(quaternions):
    """Rotation matrices (N, 3, 3) from quaternions (N, 4) in (w, x, y, z) order, normalised here."""
    rows = _rotation_entries(quaternions)
    return torch.stack([torch.stack(row, dim=-1) for row in rows], dim=-2)


def _rotation_entries(quaternions):
    """The rotation matrix of each quaternion as a 3x3 nested list of (N,) tensors."""
    w, x, y, z = (quaternions / quaternions.norm(dim=-1, keepdim=True)).unbind(-1)
    return [[1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
            [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
            [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)]]


def sh_basis(directions, degree):
    """The real SH basis (N, (degree + 1)^2) at unit `directions` (N, 3), in the reference's order and signs."""
    columns = [torch.full_like(directions[:, 0], SH_C0)]
    if degree > 0:
        x, y, z = directions.unbind(-1)
        columns += [-SH_C1 * y, SH_C1 * z, -SH_C1 * x]
        if degree > 1:
            xx, yy, zz, xy, yz, xz = x * x, y * y, z * z, x * y, y * z, x * z
            columns += [SH_C2[0] * xy, SH_C2[1] * yz, SH_C2[2] * (2 * zz - xx - yy), SH_C2[3] * xz,
                        SH_C2[4] * (xx - yy)]
            if degree > 2:
                columns += [SH_C3[0] * y * (3 * xx - yy), SH_C3[1] * xy * z, SH_C3[2] * y * (4 * zz - xx - yy),
                            SH_C3[3] * z * (2 * zz - 3 * xx - 3 * yy), SH_C3[4] * x * (4 * zz - xx - yy),
                            SH_C3[5] * z * (xx - yy), SH_C3[6] * x * (xx - 3 * yy)]
    return torch.stack(columns, dim=-1)


def sh_to_rgb(sh, directions, degree):
    """Colour (N, 3) from SH coefficients (N, K, 3) seen along unit `directions` (N, 3), bands 0..degree.

    Includes the reference's +0.5 offset (so all-zero coefficients give mid grey) and its clamp at 0.
    """
    basis = sh_basis(directions, degree)
    return ((basis[:, :, None] * sh[:, :basis.shape[1]]).sum(1) + 0.5).clamp(min=0.0)


def rasterize(means, scales, rotations, opacities, colors, camera: Camera, background=None, *,
              sh_degree=None, near=0.01, max_pairs=DEFAULT_MAX_PAIRS, low_pass=LOW_PASS) -> RasterOutput:
    """Render N Gaussians into `camera`'s image, differentiably.

    means (N, 3) world positions; scales (N, 3) standard deviations along the local axes (activated,
    positive); rotations (N, 4) quaternions (w, x, y, z), any norm; opacities (N,) or (N, 1) in (0, 1);
    colors either (N, 3) RGB or (N, K, 3) spherical-harmonic coefficients, of which the first
    (sh_degree + 1)^2 are used (all of them when sh_degree is None), or a pair of coefficient tensors
    (N, K1, 3), (N, K2, 3) that concatenate along dim 1 to those (the model's sh_dc and sh_rest: the native
    rasteriser reads them in place, sparing a copy per view); background (3,) RGB, black by
    default. Gaussians closer than `near` (camera z) are culled, as are those whose footprint misses
    the image. `max_pairs` bounds the fragments processed at once (see the module docstring).

    Runs on the tensors' device and dtype (float64 works, for gradient checks).

    Float32 CPU tensors go to the native rasteriser (native.py) when it is built, unless the environment
    variable ATLAS_RASTERIZER says `torch` (`native` insists on it; `auto`, the default, falls back to the
    torch code below, which is the reference). The native code has no `max_pairs`: it needs no bands.
    """
    if _use_native(means, scales, rotations, opacities, colors, background):
        from .native import rasterize_native

        return rasterize_native(means, scales, rotations, opacities, colors, camera, background, sh_degree=sh_degree,
                                near=near, low_pass=low_pass)
    device, dtype = means.device, means.dtype
    if isinstance(colors, (tuple, list)):
        colors = torch.cat(list(colors), dim=1)
    opacities = opacities.reshape(-1)
    background = torch.zeros(3) if background is None else background
    background = torch.as_tensor(background, device=device, dtype=dtype)

    proj = _project(means, scales, rotations, opacities.detach(), camera, near, low_pass)
    means2d = proj.means2d
    if means2d.requires_grad:
        means2d.retain_grad()

    if colors.dim() == 3:
        degree = _sh_degree_of(colors.shape[1]) if sh_degree is None else sh_degree
        directions = means - torch.as_tensor(camera.center, device=device, dtype=dtype)
        directions = directions / directions.norm(dim=-1, keepdim=True).clamp(min=1e-12)
        colors = sh_to_rgb(colors, directions, degree)

    # One row per quantity, one column per drawn Gaussian, front to back: rows gather fast as 1-D tensors.
    order = proj.drawn.nonzero().squeeze(1)
    order = order[torch.argsort(proj.depths[order])]
    splats = torch.cat([means2d.T, proj.conics.T, opacities[None], colors.T]).index_select(1, order)
    image, transmittance = _composite(splats, proj.boxes[order], camera.width, camera.height, max_pairs)
    image = image + transmittance * background[:, None]
    shape = (camera.height, camera.width)
    return RasterOutput(image=image.reshape(3, *shape), alpha=1 - transmittance.reshape(shape), means2d=means2d,
                        radii=proj.radii, visible=proj.visible, depths=proj.depths)


RASTERIZER_SETTING = "ATLAS_RASTERIZER"  # auto (the default), native or torch


def rasterizer_setting() -> str:
    setting = os.environ.get(RASTERIZER_SETTING, "auto").strip().lower() or "auto"
    if setting not in ("auto", "native", "torch"):
        raise ValueError(f"{RASTERIZER_SETTING}={setting!r}: expected auto, native or torch")
    return setting


def _use_native(means, *tensors):
    """Whether this call goes to the native rasteriser (see `rasterize`)."""
    setting = rasterizer_setting()
    if setting == "torch":
        return False
    from . import native

    tensors = [means] + [t for item in tensors for t in (item if isinstance(item, (tuple, list)) else [item])
                         if isinstance(t, torch.Tensor)]  # (colors may be a pair of tensors)
    if setting == "native":
        if not native.supports(*tensors):
            raise ValueError(f"{RASTERIZER_SETTING}=native takes float32 CPU tensors only")
        native.extension()  # raises, saying why, when it is not built
        return True
    return native.supports(*tensors) and native.available()


def _sh_degree_of(num_coefficients):
    degree = round(num_coefficients ** 0.5) - 1
    if (degree + 1) ** 2 != num_coefficients or not 0 <= degree <= 3:
        raise ValueError(f"{num_coefficients} SH coefficients per channel is not a degree 0-3 set")
    return degree


@dataclass
class _Projection:
    means2d: torch.Tensor  # (N, 2) pixels
    conics: torch.Tensor  # (N, 3) inverse screen covariance (a, b, c): [[a, b], [b, c]]
    depths: torch.Tensor  # (N,) camera z
    radii: torch.Tensor  # (N,) the reference's 3-sigma radius, 0 where not visible
    visible: torch.Tensor  # (N,) in front and the 3-sigma footprint overlaps the image
    drawn: torch.Tensor  # (N,) visible and bright enough to leave a fragment
    boxes: torch.Tensor  # (N, 4) x0, x1, y0, y1: inclusive pixel box of the fragments, clipped to the image


def _project(means, scales, rotations, opacities, camera, near, low_pass):
    """Screen-space centres, conics and fragment boxes of all Gaussians.

    The small per-Gaussian matrices are nested lists of (N,) tensors: a few dozen vector ops are much
    faster in torch than batched products of 2x3 and 3x3 matrices, forward and backward.
    """
    device, dtype = means.device, means.dtype
    view = [[float(v) for v in row] for row in camera.world_to_camera[:3]]
    p = means @ torch.tensor([row[:3] for row in view], device=device, dtype=dtype).T
    p = p + torch.tensor([row[3] for row in view], device=device, dtype=dtype)
    depths = p[:, 2]
    in_front = depths > near
    z = torch.where(in_front, depths, torch.ones_like(depths))  # culled ones get harmless values, no inf
    fx, fy, cx, cy = camera.fx, camera.fy, camera.cx, camera.cy
    u, v = p[:, 0] / z, p[:, 1] / z
    means2d = torch.stack([fx * u + cx, fy * v + cy], dim=-1)

    # EWA: the Jacobian J of the projection at the centre (x/z, y/z clamped to 1.3x the field of view,
    # as the reference), times the camera rotation W, times the Gaussian's scaled axes R S.
    u = u.clamp(-1.3 * cx / fx, 1.3 * (camera.width - cx) / fx)
    v = v.clamp(-1.3 * cy / fy, 1.3 * (camera.height - cy) / fy)
    j00, j02, j11, j12 = fx / z, -fx * u / z, fy / z, -fy * v / z
    jw = [[j00 * view[0][k] + j02 * view[2][k] for k in range(3)],
          [j11 * view[1][k] + j12 * view[2][k] for k in range(3)]]
    axes = [[r * s for r, s in zip(row, scales.unbind(-1), strict=True)] for row in _rotation_entries(rotations)]
    t = [[_dot(row, [axes[0][j], axes[1][j], axes[2][j]]) for j in range(3)] for row in jw]
    # Screen covariance (J W R S)(J W R S)^T plus the low-pass dilation.
    a, b, c = _dot(t[0], t[0]) + low_pass, _dot(t[0], t[1]), _dot(t[1], t[1]) + low_pass
    det = a * c - b * b
    conics = torch.stack([c, -b, a], dim=-1) / det[:, None]

    with torch.no_grad():
        mid = 0.5 * (a + c)
        radii = torch.ceil(3 * (mid + (mid * mid - det).clamp(min=0.1).sqrt()).sqrt()).to(torch.int64)
        centre = means2d.detach()
        visible = in_front & (det > 0) & _overlaps(_box(centre, a, c, 9.0), camera)
        # Fragments are drawn within 3 sigma (the reference's cut) and where alpha can reach 1/255.
        level = 2 * torch.log(255 * opacities).clamp(max=4.5)
        boxes = _box(centre, a, c, level.clamp(min=0))
        drawn = visible & (level > 0) & _overlaps(boxes, camera)
        boxes = torch.stack([boxes[:, 0].clamp(min=0), boxes[:, 1].clamp(max=camera.width - 1),
                             boxes[:, 2].clamp(min=0), boxes[:, 3].clamp(max=camera.height - 1)], dim=-1)
        radii = torch.where(visible, radii, torch.zeros_like(radii))
    return _Projection(means2d, conics, depths, radii, visible, drawn, boxes)


def _dot(u, v):
    return u[0] * v[0] + u[1] * v[1] + u[2] * v[2]


def _box(centre, a, c, level):
    """Inclusive pixel box of the pixel centres (u + 0.5, v + 0.5) inside the ellipse at Mahalanobis^2 `level`."""
    half_x, half_y = (level * a).sqrt(), (level * c).sqrt()
    return torch.stack([torch.ceil(centre[:, 0] - 0.5 - half_x), torch.floor(centre[:, 0] - 0.5 + half_x),
                        torch.ceil(centre[:, 1] - 0.5 - half_y), torch.floor(centre[:, 1] - 0.5 + half_y)],
                       dim=-1).to(torch.int64)


def _overlaps(boxes, camera):
    return ((boxes[:, 0] <= boxes[:, 1]) & (boxes[:, 2] <= boxes[:, 3]) & (boxes[:, 1] >= 0)
            & (boxes[:, 0] < camera.width) & (boxes[:, 3] >= 0) & (boxes[:, 2] < camera.height))


def _composite(splats, boxes, width, height, max_pairs):
    """Blend depth-sorted splats (rows x, y, conic a b c, opacity, r, g, b) into (3, H*W) colour and (H*W,) T."""
    bands = _row_bands(boxes, height, width, max_pairs)
    use_checkpoint = len(bands) > 1 and torch.is_grad_enabled() and splats.requires_grad
    images, transmittances = [], []
    for row0, row1 in bands:
        if use_checkpoint:
            image, transmittance = checkpoint(_composite_band, splats, boxes, row0, row1, width, use_reentrant=False)
        else:
            image, transmittance = _composite_band(splats, boxes, row0, row1, width)
        images.append(image)
        transmittances.append(transmittance)
    return torch.cat(images, dim=1), torch.cat(transmittances)


def _row_bands(boxes, height, width, max_pairs):
    """Split rows 0..H into [row0, row1) bands of about `max_pairs` box fragments each.

    A band also stays under 2^24 pixels, so that pixel indices are exact in float32.
    """
    if len(boxes) == 0:
        return [(0, height)]
    widths = boxes[:, 1] - boxes[:, 0] + 1
    change = torch.zeros(height + 1, dtype=torch.int64, device=boxes.device)
    change.index_add_(0, boxes[:, 2], widths)
    change.index_add_(0, boxes[:, 3] + 1, -widths)
    per_row = change[:-1].cumsum(0)
    by_pairs = (per_row.cumsum(0) - per_row) // max_pairs
    by_pixels = torch.arange(height, device=boxes.device) // max(1, (1 << 24) // width)
    starts = torch.nonzero((torch.diff(by_pairs, prepend=by_pairs[:1] - 1) != 0)
                           | (torch.diff(by_pixels, prepend=by_pixels[:1] - 1) != 0)).squeeze(1).tolist()
    return list(zip(starts, starts[1:] + [height], strict=True))


def _composite_band(splats, boxes, row0, row1, width):
    """Composite rows [row0, row1): (3, rows * W) colour and (rows * W,) transmittance."""
    num_pixels = (row1 - row0) * width
    ids, pixels = _fragments(splats.detach(), boxes, row0, row1, width)

    # Differentiable pass over the fragments that count, grouped by pixel and front to back within it.
    x, y, a, b, c, opacity, *rgb = (row.index_select(0, ids) for row in splats)
    dx = (pixels % width).to(splats.dtype) + 0.5 - x
    dy = (pixels // width + row0).to(splats.dtype) + 0.5 - y
    alpha = (opacity * torch.exp(-0.5 * (a * dx * dx + c * dy * dy) - b * dx * dy)).clamp(max=ALPHA_MAX)
    log_keep = torch.log1p(-alpha)
    before = torch.cumsum(log_keep.double(), 0) - log_keep  # exclusive sum over all earlier fragments ...
    log_t = before - before[_run_starts(pixels, num_pixels)]  # ... minus those of earlier pixels
    weight = alpha * torch.exp(log_t).to(alpha.dtype)
    image = splats.new_zeros(3, num_pixels).index_add(1, pixels, weight * torch.stack(rgb))
    log_final = splats.new_zeros(num_pixels).index_add(0, pixels, log_keep)
    return image, torch.exp(log_final)


@torch.no_grad()
def _fragments(splats, boxes, row0, row1, width):
    """(splat, band pixel) of each fragment that gets blended, grouped by pixel, front to back in each.

    Box coordinates are small integers, exact in float32, which is the cheapest type to compute them in.
    """
    num_pixels = (row1 - row0) * width
    top, bottom = boxes[:, 2].clamp(min=row0), boxes[:, 3].clamp(max=row1 - 1)
    box_width = boxes[:, 1] - boxes[:, 0] + 1
    counts = box_width * (bottom - top + 1).clamp(min=0)
    ids = torch.repeat_interleave(torch.arange(len(counts), device=boxes.device), counts)
    offset = (torch.arange(len(ids), device=boxes.device) - (counts.cumsum(0) - counts).index_select(0, ids)).float()
    box_width = box_width.float().index_select(0, ids)
    row = torch.floor(offset / box_width)
    col = offset - row * box_width

    x, y, a, b, c, opacity = splats[:6]
    dx = col + (boxes[:, 0] + 0.5 - x).float().index_select(0, ids)
    dy = row + (top + 0.5 - y).float().index_select(0, ids)
    power = -0.5 * (a.float().index_select(0, ids) * dx * dx + c.float().index_select(0, ids) * dy * dy)
    power -= b.float().index_select(0, ids) * dx * dy
    # Blended: within 3 sigma, as the reference's footprint, and alpha >= 1/255.
    floor = torch.log(ALPHA_MIN / opacity).clamp(min=-4.5).float()
    keep = power >= floor.index_select(0, ids)
    pixels = row * width + col + ((top - row0) * width + boxes[:, 0]).float().index_select(0, ids)
    pixels = torch.where(keep, pixels, num_pixels).to(torch.int32)  # the others sort to the end, cut below

    # Ids increase with depth, so a stable sort by pixel leaves each pixel's fragments front to back.
    pixels, order = torch.sort(pixels, stable=True)
    order = order[:int(keep.sum())]
    pixels, ids = pixels[:len(order)].long(), ids.index_select(0, order)
    alpha = (opacity.float().index_select(0, ids) * torch.exp(power.index_select(0, order))).clamp(max=ALPHA_MAX)
    log_keep = torch.log1p(-alpha).double()
    through = torch.cumsum(log_keep, 0)
    first = _run_starts(pixels, num_pixels)
    # A pixel blends fragments while its transmittance stays >= T_MIN; the first to cross it ends the run.
    blended = torch.nonzero(through - (through - log_keep).index_select(0, first) >= math.log(T_MIN)).squeeze(1)
    return ids.index_select(0, blended), pixels.index_select(0, blended)


def _run_starts(pixels, num_pixels):
    """For fragments sorted by pixel, the index of the first fragment of each one's pixel."""
    counts = torch.bincount(pixels, minlength=num_pixels)
    return (counts.cumsum(0) - counts).index_select(0, pixels)
