"""Optimising Gaussians against posed images, as the reference 3D Gaussian splatting does.

Loss (1 - 0.2) * L1 + 0.2 * (1 - SSIM); Adam (eps 1e-15) with one learning rate per parameter, the
position's decaying exponentially from 1.6e-4 to 1.6e-6 times the scene extent over the run. Every
`densify_interval` iterations within the densification window, Gaussians whose screen-space position
gradient (averaged over the views that saw them, in the reference's NDC units) exceeds the threshold
are cloned when small (max scale <= percent_dense * extent) or split in two when large; transparent
ones (opacity < 0.005) and, after the first opacity reset, huge ones (scale > 0.1 * extent) are
pruned. Opacities are reset to at most 0.01 every `opacity_reset_interval`. The SH degree rises by
one band every `sh_interval` iterations.

Run length: the reference schedule is for 30,000 iterations (densify from 500 to 15,000 every 100,
opacity reset every 3,000, a new SH band every 1,000). `TrainConfig.scheduled(iterations)` scales
those by iterations / 30,000, with densification starting at iteration 100 or later and running at
most every 20 iterations, so that gradient statistics still average over a good number of views.

`max_gaussians` caps the count: when a densification step would pass it, only the candidates with
the largest gradients are densified, and the result says the cap was hit.

No start-up explosion. The rasteriser's cost is its fragments, one per pixel of each splat's 3-sigma box,
so a few thousand splats tens of pixels wide cost minutes a step (20,000 random points on 480x480 lego:
about 760 box fragments per pixel, 30 s a step, until the optimiser had shrunk them). Three guards:
- initial scales (the kNN distance) are clamped per point to what the views can show: at most
  `max_initial_screen_fraction` of the shorter image side as 3-sigma radius in the nearest camera that
  sees the point, at least half a pixel's footprint there; and where the clamped cloud would still
  cost more than `fragment_budget` box fragments in the average view, the upper bound is lowered
  (the largest splats shrink first) until it fits (`initial_scale_bounds`);
- while densifying (from the first iteration to `densify_until`), a splat whose observed 3-sigma
  radius exceeds `max_screen_fraction` of the view's longer side has its scale capped to that
  (kept, not pruned: early on such splats are often the only ones covering a region, and pruning
  would leave a hole; densification splits them later);
- densification estimates fragments per view from the observed radii (the mean box area of each
  splat over the views that saw it) and clones (which add a copy's box) only the highest-gradient
  candidates that fit under `fragment_budget`; splits, which shrink the children, go ahead.
"""

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import torch
import torch.nn.functional as F

from ..scene import Scene
from .model import GaussianModel
from .rasterize import LOW_PASS, rasterizer_setting
from .render import render, scene_center

Report = Callable[[str, int, int], None]


@dataclass
class TrainConfig:
    """Hyper-parameters, the reference's by default. Schedule fields left None are filled by `scheduled`."""

    position_lr_init: float = 1.6e-4  # times the scene extent
    position_lr_final: float = 1.6e-6  # times the scene extent
    feature_lr: float = 2.5e-3  # SH DC; the higher bands get a twentieth of it
    opacity_lr: float = 0.05
    scaling_lr: float = 5e-3
    rotation_lr: float = 1e-3
    lambda_dssim: float = 0.2
    densify_grad_threshold: float = 2e-4
    percent_dense: float = 0.01
    min_opacity: float = 0.005
    max_world_size: float = 0.1  # times the extent
    # The reference also prunes by screen radius > 20 px, but its radii are zeroed just before that test,
    # so it never fires; None keeps that behaviour, a number turns the test on.
    max_screen_size: float | None = None
    # No start-up explosion (see the module docstring). fragment_budget: box fragments (pixels of the
    # splats' 3-sigma boxes) per view that initial scales and densification's clones stay under; 8
    # million is about a second of forward pass per view on one CPU core with the torch rasteriser
    # (35 per pixel at 480x480, the CPU training size; a 100x100 view never reaches it). None: no budget.
    fragment_budget: float | None = 8_000_000
    # Densification's clones stay under fragment_budget times this. At 1 it held lego at 400 px to about 10,000
    # splats (every densification step hit the budget; 24.9 dB held out after 1,000 steps); at 4, 40,000 splats and
    # 25.7 dB in the same time; unbounded, 65,000 and 25.9 dB, slower.
    densify_budget_scale: float = 4.0
    max_initial_screen_fraction: float = 1 / 8  # initial 3-sigma radius, of the shorter image side
    max_screen_fraction: float | None = 0.5  # cap while densifying, of the longer image side; None: off
    initial_opacity: float = 0.1
    random_points: int = 20_000  # used when the scene has no points
    densify_from: int | None = None
    densify_until: int | None = None
    densify_interval: int | None = None
    opacity_reset_interval: int | None = None
    sh_interval: int | None = None

    def scheduled(self, iterations):
        """A copy with the schedule filled in for a run of `iterations` (see the module docstring)."""
        s = iterations / 30_000
        interval = self.densify_interval or max(20, round(100 * s))
        return replace(self, densify_interval=interval,
                       densify_from=self.densify_from if self.densify_from is not None else max(100, round(500 * s)),
                       densify_until=self.densify_until if self.densify_until is not None else round(15_000 * s),
                       opacity_reset_interval=self.opacity_reset_interval or max(interval, round(3_000 * s)),
                       sh_interval=self.sh_interval or max(1, round(1_000 * s)))


@dataclass
class TrainResult:
    model: GaussianModel
    iterations: int
    num_gaussians: int
    max_gaussians: int
    cap_hit: bool  # densification (or the initial points) wanted more than max_gaussians
    fragment_budget_hit: bool = False  # densification cloned fewer than it wanted, to stay under the budget
    losses: list[float] = field(default_factory=list)  # one per iteration
    seconds: float = 0.0
    device: str = "cpu"


def train(scene: Scene, images, *, iterations, save_iterations=(), sh_degree=3, max_gaussians=100_000,
          background="white", report: Report | None = None, seed=0, device=None,
          on_snapshot: Callable[[int, GaussianModel], None] | None = None,
          config: TrainConfig | None = None) -> TrainResult:
    """Fit Gaussians to `images` seen by `scene.cameras`, starting from `scene.points`/`scene.colors`
    (random points around the scene centre when there are none).

    images: one per camera, (H, W, 3) RGB or (H, W, 4) RGBA, float in [0, 1] (uint8 accepted), numpy or
    torch. background: "white", "black", an RGB triple, or "random" (a new random colour every
    iteration, the reference's option for synthetic data; needs RGBA images, whose alpha is then used to
    composite the target onto the same colour). device: None picks CUDA when available, else the CPU;
    the same torch code runs on either. report(stage, done, total) is called as ("training", i,
    iterations) about every 1% of the run; on_snapshot(iteration, model) after each iteration listed in
    `save_iterations`.
    """
    started = time.monotonic()
    device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    config = (config or TrainConfig()).scheduled(iterations)
    generator = torch.Generator().manual_seed(seed)
    targets = _targets(scene, images, device)
    if background == "random" and any(t.shape[0] != 4 for t in targets):
        raise ValueError("a random background needs RGBA images: the target must be composited onto it")
    extent = scene.extent

    model, cap_hit = _initial_model(scene, config, sh_degree, max_gaussians, device, generator)
    optimizer = _optimizer(model, config, extent)
    densifier = _Densifier(config, extent, max_gaussians, generator, cap_hit)
    snapshots = set(save_iterations)
    every = max(1, iterations // 100)
    losses, views = [], []
    if report:
        report("training", 0, iterations)

    for iteration in range(1, iterations + 1):
        _set_position_lr(optimizer, config, extent, iteration, iterations)
        if iteration % config.sh_interval == 0:
            model.raise_sh_degree()
        if not views:
            views = torch.randperm(len(targets), generator=generator).tolist()
        view = views.pop()
        colour = _background(background, generator, device)
        target = targets[view]
        if target.shape[0] == 4:
            target = target[:3] * target[3:] + colour[:, None, None] * (1 - target[3:])

        out = render(model, scene.cameras[view], colour)
        loss = ((1 - config.lambda_dssim) * (out.image - target).abs().mean()
                + config.lambda_dssim * (1 - ssim(out.image, target)))
        loss.backward()
        losses.append(loss.item())

        with torch.no_grad():
            densifying = iteration < config.densify_until
            if densifying:
                densifier.observe(out, scene.cameras[view])
                _cap_screen_size(model, out, scene.cameras[view], config.max_screen_fraction)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            if densifying:
                if iteration >= config.densify_from and iteration % config.densify_interval == 0:
                    densifier.densify_and_prune(model, optimizer,
                                                prune_large=iteration > config.opacity_reset_interval)
                if iteration % config.opacity_reset_interval == 0 or (
                        background == "white" and iteration == config.densify_from):
                    model.reset_opacity(optimizer=optimizer)
        if report and (iteration % every == 0 or iteration == iterations):
            report("training", iteration, iterations)
        if on_snapshot and iteration in snapshots:
            on_snapshot(iteration, model)

    _release_native_buffers()
    return TrainResult(model=model, iterations=iterations, num_gaussians=len(model), max_gaussians=max_gaussians,
                       cap_hit=densifier.cap_hit, fragment_budget_hit=densifier.budget_hit, losses=losses,
                       seconds=time.monotonic() - started, device=str(device))


def ssim(image, target, window_size=11, sigma=1.5):
    """Mean SSIM of two (C, H, W) images, with the reference's 11x11 Gaussian window (sigma 1.5) and zero
    padding, differentiable in `image`.

    Float32 CPU images go to the native code (native.py, csrc/ssim.cpp: one fused pass each way, 5x or more
    faster at 400x400 than the convolutions below, which were as slow as the native rasteriser's whole step)
    when the extension is built, unless ATLAS_RASTERIZER says `torch`; `_ssim_torch` is the reference."""
    if _native_ssim(image, target, window_size):
        from .native import ssim_native

        return ssim_native(image, target, _gaussian_window(window_size, sigma, image))
    return _ssim_torch(image, target, window_size, sigma)


def _release_native_buffers():
    """Free the native rasteriser's cached big buffers (kept between views while training; see native.py)."""
    from . import native

    native.release_buffers()  # (nothing when the extension was never loaded)


def _native_ssim(image, target, window_size):
    """Whether `ssim` goes to the native code: it has 11 taps, takes (C, H, W) float32 CPU images of one shape
    and gives the image's gradient only (a target that wants one goes to the torch code)."""
    if window_size != 11 or image.dim() != 3 or image.shape != target.shape or target.requires_grad:
        return False
    if rasterizer_setting() == "torch":
        return False
    from . import native

    return native.supports(image, target) and native.available()


def _ssim_torch(image, target, window_size=11, sigma=1.5):
    """`ssim` in torch (any device and dtype). The window is separable: each of the five local statistics is two
    depthwise 1-D convolutions (at 400x400 about 4x faster, forward and backward, than products with dense
    banded matrices, whose cost grows with the cube of the side)."""
    x, y = image, target
    channels = 5 * x.shape[0]
    maps = torch.stack([x, y, x * x, y * y, x * y]).reshape(1, channels, *x.shape[1:])
    window = _gaussian_window(window_size, sigma, x)
    pad = window_size // 2
    maps = F.conv2d(maps, window.view(1, 1, 1, -1).expand(channels, 1, 1, window_size), padding=(0, pad),
                    groups=channels)
    maps = F.conv2d(maps, window.view(1, 1, -1, 1).expand(channels, 1, window_size, 1), padding=(pad, 0),
                    groups=channels)
    mu_x, mu_y, xx, yy, xy = maps.reshape(5, *x.shape)
    var_x, var_y, cov = xx - mu_x ** 2, yy - mu_y ** 2, xy - mu_x * mu_y
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    ssim_map = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x ** 2 + mu_y ** 2 + c1) * (var_x + var_y + c2))
    return ssim_map.mean()


def _gaussian_window(window_size, sigma, like):
    """A normalised 1-D Gaussian window of `window_size` taps, on `like`'s device and dtype."""
    offsets = torch.arange(window_size, dtype=like.dtype, device=like.device) - window_size // 2
    window = torch.exp(-offsets ** 2 / (2 * sigma ** 2))
    return window / window.sum()


class _Densifier:
    """Gradient statistics between densification steps, and the clone / split / prune policy."""

    def __init__(self, config, extent, max_gaussians, generator, cap_hit):
        self.config, self.extent, self.max_gaussians, self.generator = config, extent, max_gaussians, generator
        self.cap_hit = cap_hit
        self.budget_hit = False
        self.grad_sum = self.seen = self.max_radii = self.box_sum = None
        self.views = 0

    def observe(self, out, camera):
        """Accumulate the screen-space gradient of this view for the Gaussians it saw."""
        n = len(out.visible)
        if self.grad_sum is None or len(self.grad_sum) != n:
            self._reset(n, out.visible.device)
        if out.means2d.grad is None:  # nothing was drawn
            return
        visible = out.visible
        # Pixels to the reference's NDC units (its threshold is in those), which makes it resolution-free.
        ndc = out.means2d.grad * torch.tensor([0.5 * camera.width, 0.5 * camera.height], device=visible.device,
                                              dtype=out.means2d.grad.dtype)
        self.grad_sum[visible] += ndc[visible].norm(dim=-1)
        self.seen[visible] += 1
        self.max_radii[visible] = torch.maximum(self.max_radii[visible], out.radii[visible])
        self.box_sum[visible] += (2 * out.radii[visible] + 1).to(self.box_sum.dtype).square()
        self.views += 1

    def densify_and_prune(self, model, optimizer, prune_large):
        config = self.config
        grads = self.grad_sum / self.seen.clamp(min=1)
        candidates = grads >= config.densify_grad_threshold
        big = model.scales.max(dim=1).values > config.percent_dense * self.extent
        room = self.max_gaussians - len(model)
        if int(candidates.sum()) > room:  # each clone or split adds one Gaussian
            self.cap_hit = True
            candidates = torch.zeros_like(candidates)
            if room > 0:
                candidates[torch.topk(grads, room).indices] = True
        clone, split = candidates & ~big, candidates & big
        if config.fragment_budget is not None and self.views:
            clone = self._within_budget(clone, split, grads)
        model.densify(clone, split, optimizer, self.generator)

        prune = model.opacities < config.min_opacity
        if prune_large:
            prune |= model.scales.max(dim=1).values > config.max_world_size * self.extent
            if config.max_screen_size is not None:
                radii = torch.cat([self.max_radii, self.max_radii.new_zeros(len(model) - len(self.max_radii))])
                prune |= radii > config.max_screen_size
        model.prune(~prune, optimizer)
        self._reset(len(model), model.device)

    def fragments_per_view(self):
        """Each splat's mean box fragments per view over the views observed since the last step (N,)."""
        return self.box_sum / max(self.views, 1)

    def _within_budget(self, clone, split, grads):
        """The clone candidates with the largest gradients whose boxes fit under the fragment budget.

        A clone adds a copy of its box; a split replaces one box by two at 1/1.6 the size (about 0.78 of
        it in all), so splits free room, which clones may then use."""
        area = self.fragments_per_view()
        budget = self.config.fragment_budget * self.config.densify_budget_scale
        room = budget - float(area.sum()) + (1 - 2 / 1.6 ** 2) * float(area[split].sum())
        order = torch.argsort(torch.where(clone, grads, torch.full_like(grads, -1.0)), descending=True)
        order = order[:int(clone.sum())]
        fits = torch.cumsum(area[order], 0) <= room
        if bool(fits.all()):
            return clone
        self.budget_hit = True
        kept = torch.zeros_like(clone)
        kept[order[fits]] = True
        return kept

    def _reset(self, n, device):
        self.views = 0
        self.box_sum = torch.zeros(n, dtype=torch.float64, device=device)
        self.grad_sum = torch.zeros(n, device=device)
        self.seen = torch.zeros(n, device=device)
        self.max_radii = torch.zeros(n, dtype=torch.int64, device=device)


def _targets(scene, images, device):
    """Images as (C, H, W) float tensors on `device`, checked against their cameras."""
    if len(images) != len(scene.cameras):
        raise ValueError(f"{len(images)} images for {len(scene.cameras)} cameras")
    targets = []
    for camera, image in zip(scene.cameras, images, strict=True):
        image = torch.as_tensor(np.asarray(image) if not torch.is_tensor(image) else image)
        image = image.float() / 255 if image.dtype == torch.uint8 else image.float()
        if image.shape[:2] != (camera.height, camera.width) or image.shape[2] not in (3, 4):
            raise ValueError(f"image for camera {camera.name} is {tuple(image.shape)}, "
                             f"expected ({camera.height}, {camera.width}, 3 or 4)")
        targets.append(image.permute(2, 0, 1).contiguous().to(device))
    return targets


def _initial_model(scene, config, sh_degree, max_gaussians, device, generator):
    """The SfM points, subsampled to the cap if needed, or random points in a cube around the scene centre
    (half-size a third of the cameras' mean distance to it: an object-centred capture) when there are none."""
    points, colors = np.asarray(scene.points, dtype=np.float64), np.asarray(scene.colors, dtype=np.float64)
    cap_hit = len(points) > max_gaussians
    if len(points) == 0:
        centre = scene_center(scene.cameras)
        half = np.mean([np.linalg.norm(c.center - centre) for c in scene.cameras]) / 3
        n = min(config.random_points, max_gaussians)
        points = centre + (torch.rand(n, 3, generator=generator, dtype=torch.float64).numpy() * 2 - 1) * half
        colors = np.full((n, 3), 0.5)
    elif cap_hit:
        chosen = torch.randperm(len(points), generator=generator)[:max_gaussians].numpy()
        points, colors = points[chosen], colors[chosen]
    model = GaussianModel.from_points(points, colors, sh_degree=sh_degree, opacity=config.initial_opacity,
                                      device=device)
    low, high = initial_scale_bounds(points, scene.cameras, model.scales[:, 0].detach().cpu().numpy(),
                                     max_fraction=config.max_initial_screen_fraction,
                                     fragment_budget=config.fragment_budget)
    with torch.no_grad():  # the kNN scales, clamped to what the views can show
        bounds = [torch.as_tensor(np.log(b), dtype=model.log_scales.dtype, device=device)[:, None]
                  for b in (low, high)]
        model.log_scales.copy_(torch.minimum(torch.maximum(model.log_scales, bounds[0]), bounds[1]))
    return model, cap_hit


def initial_scale_bounds(points, cameras, scales, *, max_fraction=1 / 8, fragment_budget=None, min_pixels=0.5,
                         max_cameras=32, near=0.01):
    """Per-point (low, high) bounds (N,) on the initial world scale (standard deviation) of isotropic
    splats at `points` whose unclamped scales are `scales` (N,), from what the cameras can show.

    Each point is measured in the nearest camera that sees it (the one where it looks largest, counting
    as seen a centre up to half the image beyond its edges; failing any, the nearest with it in front):
    low is `min_pixels` of its pixel footprint there, high a 3-sigma radius of `max_fraction` of that
    image's shorter side. When `fragment_budget` is given and the splats, clamped so, would still have
    more 3-sigma box pixels than that in the average camera, the high bound's radius is lowered
    (bisection; the largest splats are the ones that shrink) until they fit or it meets low (the
    estimate runs about a fifth low: it ignores the projection's off-axis stretch). At most
    `max_cameras` cameras, evenly spaced, are used."""
    points = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    scales = np.asarray(scales, dtype=np.float64).reshape(-1)
    n = len(points)
    if n == 0 or not cameras:
        return np.zeros(n), np.full(n, np.inf)
    cameras = [cameras[i] for i in np.unique(np.linspace(0, len(cameras) - 1, min(len(cameras), max_cameras))
                                              .round().astype(int))]
    # pixels per world unit at each point in each camera (0 where behind), and whether it is in view
    zoom = np.zeros((len(cameras), n))
    seen = np.zeros((len(cameras), n), dtype=bool)
    for j, camera in enumerate(cameras):
        local = points @ camera.world_to_camera[:3, :3].T + camera.world_to_camera[:3, 3]
        z = local[:, 2]
        front = z > near
        zoom[j, front] = 0.5 * (camera.fx + camera.fy) / z[front]
        with np.errstate(divide="ignore", invalid="ignore"):
            u = camera.fx * local[:, 0] / z + camera.cx
            v = camera.fy * local[:, 1] / z + camera.cy
        # in view, or near enough its edge (half the image) for a splat to reach in
        seen[j] = front & (np.abs(u - camera.width / 2) <= camera.width) & (
            np.abs(v - camera.height / 2) <= camera.height)
    nearest = np.where(seen.any(0), np.where(seen, zoom, 0).max(0), zoom.max(0))
    nearest = np.where(nearest > 0, nearest, np.median(nearest[nearest > 0]) if (nearest > 0).any() else 1.0)
    shorter = np.median([min(c.width, c.height) for c in cameras])
    low = min_pixels / nearest
    clamped = np.clip(scales, low, None)

    def high_for(radius):  # the world scale whose 3-sigma radius is `radius` px in the nearest camera
        return np.maximum(radius / (3 * nearest), low)

    def fragments(radius):  # box pixels per camera, on average, with the upper bound at `radius`
        s = np.minimum(clamped, high_for(radius))
        r = np.ceil(3 * np.sqrt((s[None, :] * zoom) ** 2 + LOW_PASS))  # as the rasteriser's radii
        return float(np.where(seen, (2 * r + 1) ** 2, 0).sum(1).mean())

    radius = max_fraction * shorter
    if fragment_budget is not None and fragments(radius) > fragment_budget:
        lo, hi = 3 * min_pixels, radius
        for _ in range(30):
            mid = math.sqrt(lo * hi)
            lo, hi = (mid, hi) if fragments(mid) <= fragment_budget else (lo, mid)
        radius = lo
    return low, high_for(radius)


@torch.no_grad()
def _cap_screen_size(model, out, camera, fraction):
    """Shrink the splats whose 3-sigma radius in this view is over `fraction` of its longer side to that
    size (all three axes by the same factor, so their shape is kept)."""
    if fraction is None:
        return
    limit = fraction * max(camera.width, camera.height)
    radii = out.radii.to(model.log_scales.dtype)
    over = radii > limit
    if len(radii) == len(model) and bool(over.any()):
        model.log_scales[over] -= torch.log(radii[over] / limit)[:, None]


def _optimizer(model, config, extent):
    lrs = {"means": config.position_lr_init * extent, "sh_dc": config.feature_lr,
           "sh_rest": config.feature_lr / 20, "opacity_logits": config.opacity_lr,
           "log_scales": config.scaling_lr, "quaternions": config.rotation_lr}
    groups = [{"params": [param], "lr": lrs[name], "name": name} for name, param in model.parameters().items()]
    return torch.optim.Adam(groups, lr=0.0, eps=1e-15)


def _set_position_lr(optimizer, config, extent, iteration, iterations):
    """Log-linear decay from the initial to the final position learning rate over the run."""
    t = min(max(iteration / iterations, 0.0), 1.0)
    lr = math.exp((1 - t) * math.log(config.position_lr_init) + t * math.log(config.position_lr_final)) * extent
    for group in optimizer.param_groups:
        if group["name"] == "means":
            group["lr"] = lr


def _background(background, generator, device):
    if background == "random":
        return torch.rand(3, generator=generator).to(device)
    colour = {"white": (1.0, 1.0, 1.0), "black": (0.0, 0.0, 0.0)}.get(background, background)
    return torch.as_tensor(colour, dtype=torch.float32, device=device)
