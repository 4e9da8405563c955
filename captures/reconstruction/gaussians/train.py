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
"""

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import torch

from ..scene import Scene
from .model import GaussianModel
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

    return TrainResult(model=model, iterations=iterations, num_gaussians=len(model), max_gaussians=max_gaussians,
                       cap_hit=densifier.cap_hit, losses=losses, seconds=time.monotonic() - started,
                       device=str(device))


def ssim(image, target, window_size=11, sigma=1.5):
    """Mean SSIM of two (C, H, W) images, with the reference's 11x11 Gaussian window (sigma 1.5) and zero
    padding. The window is separable, so each blur is two products with banded matrices, which torch
    does faster than a grouped convolution at the sizes trained here."""
    x, y = image, target
    maps = torch.stack([x, y, x * x, y * y, x * y])
    rows = _gaussian_band(image.shape[1], window_size, sigma, image)
    cols = _gaussian_band(image.shape[2], window_size, sigma, image)
    mu_x, mu_y, xx, yy, xy = rows @ maps @ cols.T
    var_x, var_y, cov = xx - mu_x ** 2, yy - mu_y ** 2, xy - mu_x * mu_y
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    ssim_map = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x ** 2 + mu_y ** 2 + c1) * (var_x + var_y + c2))
    return ssim_map.mean()


def _gaussian_band(size, window_size, sigma, like):
    """(size, size) matrix whose product with a signal is its blur by a normalised 1-D Gaussian window,
    with zeros beyond the edges."""
    offsets = torch.arange(size, device=like.device)
    offsets = (offsets[None, :] - offsets[:, None]).to(like.dtype)
    band = torch.exp(-offsets ** 2 / (2 * sigma ** 2)) * (offsets.abs() <= window_size // 2)
    window_sum = torch.exp(-(torch.arange(window_size, dtype=like.dtype) - window_size // 2) ** 2 / (2 * sigma ** 2))
    return band / window_sum.sum().item()


class _Densifier:
    """Gradient statistics between densification steps, and the clone / split / prune policy."""

    def __init__(self, config, extent, max_gaussians, generator, cap_hit):
        self.config, self.extent, self.max_gaussians, self.generator = config, extent, max_gaussians, generator
        self.cap_hit = cap_hit
        self.grad_sum = self.seen = self.max_radii = None

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
        model.densify(candidates & ~big, candidates & big, optimizer, self.generator)

        prune = model.opacities < config.min_opacity
        if prune_large:
            prune |= model.scales.max(dim=1).values > config.max_world_size * self.extent
            if config.max_screen_size is not None:
                radii = torch.cat([self.max_radii, self.max_radii.new_zeros(len(model) - len(self.max_radii))])
                prune |= radii > config.max_screen_size
        model.prune(~prune, optimizer)
        self._reset(len(model), model.device)

    def _reset(self, n, device):
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
    return model, cap_hit


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
