"""No start-up explosion: initial scales clamped to what the views can show, oversized splats capped while
densifying, and densification's clones kept under the fragment budget (gaussians/train.py)."""

import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from captures.reconstruction.gaussians import GaussianModel, TrainConfig, render, train
from captures.reconstruction.gaussians.render import look_at
from captures.reconstruction.gaussians.train import _cap_screen_size, _Densifier, _initial_model, initial_scale_bounds
from captures.reconstruction.scene import Camera, Scene

pytestmark = pytest.mark.usefixtures("one_torch_thread")

SIZE, FOCAL = 32, 40.0


def ring_cameras(n=8, distance=3.0):
    cameras = []
    for i in range(n):
        angle = 2 * math.pi * i / n
        eye = np.array([distance * math.cos(angle), 0.8 * (-1) ** i, distance * math.sin(angle)])
        cameras.append(Camera(f"ring{i}", SIZE, SIZE, FOCAL, FOCAL, SIZE / 2, SIZE / 2,
                              look_at(eye, np.zeros(3), np.array([0.0, 1.0, 0.0]))))
    return cameras


def pixel_radii(model, cameras, centred=False):
    """(cameras, N) 3-sigma radius in pixels of each splat, 0 where it is not drawn (or, if `centred`, where
    its centre is outside the image)."""
    radii = []
    with torch.no_grad():
        for camera in cameras:
            out = render(model, camera)
            inside = ((out.means2d >= 0) & (out.means2d < SIZE)).all(1) if centred else True
            radii.append(out.radii * inside)
    return torch.stack(radii).float()


def initial(scene, **config):
    model, _ = _initial_model(scene, TrainConfig(**config).scheduled(100), 0, 100_000, torch.device("cpu"),
                              torch.Generator().manual_seed(0))
    return model


def test_initial_scales_are_clamped_to_what_the_views_show():
    rng = np.random.default_rng(0)
    cluster = rng.uniform(-0.5, 0.5, (40, 3))
    points = np.concatenate([cluster, [[0.0, 0.0, 2.2], [40.0, 0.0, 0.0]]])  # one near a camera, one far off
    scene = Scene(ring_cameras(), points, np.full((len(points), 3), 0.5))
    knn = GaussianModel.from_points(points, scene.colors).scales[:, 0].detach().numpy()
    model = initial(scene, fragment_budget=None)
    scales = model.scales[:, 0].detach().numpy()
    low, high = initial_scale_bounds(points, scene.cameras, knn)
    assert np.all(scales >= low * (1 - 1e-5)) and np.all(scales <= high * (1 + 1e-5))
    assert scales[-1] < knn[-1] / 10  # the outlier's neighbour distance (about 40) is not its size
    radii = pixel_radii(model, scene.cameras, centred=True)
    assert radii.max() <= SIZE / 8 + 1  # 1/8 of the shorter side in every view (+1: the rasteriser's ceil, low-pass)
    # at least half a pixel's footprint (3-sigma radius 1.5 px) in the view where each point is nearest
    assert torch.all(radii.max(0).values >= 1)
    assert np.allclose(scales[:40], np.clip(knn[:40], low[:40], high[:40]), rtol=1e-5)


def test_random_starting_points_are_clamped_and_the_budget_holds():
    scene = Scene(ring_cameras())
    unbudgeted = initial(scene, random_points=400, fragment_budget=None)
    budget = 25_000  # the floor, half a pixel's footprint, is a 7x7 box here: 400 * 49 = 19,600 box pixels
    model = initial(scene, random_points=400, fragment_budget=budget)
    assert len(model) == 400
    boxes = (2 * pixel_radii(unbudgeted, scene.cameras) + 1).square() * (pixel_radii(unbudgeted, scene.cameras) > 0)
    assert boxes.sum(1).mean() > 1.5 * budget  # without a budget it costs more
    radii = pixel_radii(model, scene.cameras)
    fragments = ((2 * radii + 1).square() * (radii > 0)).sum(1).mean()
    assert fragments <= 1.3 * budget  # an estimate: it ignores the projection's off-axis stretch
    assert torch.all(model.scales <= unbudgeted.scales * (1 + 1e-5))


def test_an_oversized_splat_is_capped_not_pruned():
    camera = ring_cameras()[0]
    means = torch.tensor([[0.0, 0.0, 0.0], [0.2, 0.1, 0.0]])
    model = GaussianModel.from_points(means, torch.full((2, 3), 0.5), sh_degree=0)
    with torch.no_grad():
        model.log_scales.copy_(torch.log(torch.tensor([[2.0, 1.0, 0.5], [0.01, 0.01, 0.01]])))
    shape = model.log_scales[0] - model.log_scales[0, 0]
    out = render(model, camera)
    assert out.radii[0] > SIZE  # covers the view
    _cap_screen_size(model, out, camera, 0.5)
    assert len(model) == 2
    assert render(model, camera).radii[0] <= SIZE / 2 + 1
    assert torch.allclose(model.log_scales[0] - model.log_scales[0, 0], shape)  # same shape
    assert torch.allclose(model.scales[1], torch.full((3,), 0.01))  # the small one untouched


def test_oversized_splats_are_capped_during_training():
    # One camera, so every step sees the same view; the initial clamp is off so that the outlier starts huge.
    camera = ring_cameras(1)[0]
    points = np.array([[0.0, 0.0, 0.0], [0.1, 0.0, 0.0], [0.0, 0.1, 0.0], [-2.0, 0.0, 0.0]])
    scene = Scene([camera], points, np.full((4, 3), 0.5))
    image = np.ones((SIZE, SIZE, 3), np.float32)
    config = TrainConfig(max_initial_screen_fraction=100.0, fragment_budget=None, densify_until=10)
    assert initial(scene, max_initial_screen_fraction=100.0, fragment_budget=None).scales.max() > 1
    radii = []
    train(scene, [image], iterations=1, sh_degree=0, config=config, save_iterations=[1],
          on_snapshot=lambda i, model: radii.append(render(model, camera).radii))
    assert len(radii[0]) == 4 and radii[0].max() <= SIZE / 2 + 2


def fake_view(n, radius, grad):
    means2d = torch.zeros(n, 2, requires_grad=True)
    means2d.grad = torch.full((n, 2), grad)
    return SimpleNamespace(visible=torch.ones(n, dtype=torch.bool), means2d=means2d,
                           radii=torch.full((n,), radius, dtype=torch.int64))


def test_densification_stops_at_the_fragment_budget():
    n, box = 10, 7 * 7  # radius 3
    means = torch.linspace(0, 1, n)[:, None].repeat(1, 3)
    camera = ring_cameras(1)[0]
    scale = TrainConfig().densify_budget_scale  # densification's budget is the start-up's times this
    for budget, grown in ((None, 2 * n), ((n + 3) * box / scale, n + 3), (n * box / scale, n)):
        model = GaussianModel.from_points(means, torch.full((n, 3), 0.5), sh_degree=0)
        with torch.no_grad():
            model.log_scales.fill_(math.log(1e-3))  # small: cloned, not split
        densifier = _Densifier(TrainConfig(fragment_budget=budget), 1.0, 1000, torch.Generator().manual_seed(0),
                               False)
        view = fake_view(n, 3, 1.0)
        view.means2d.grad[:, 0] = torch.arange(n, dtype=torch.float32)  # the last ones have the largest gradients
        for _ in range(4):
            densifier.observe(view, camera)
        densifier.densify_and_prune(model, None, prune_large=False)
        assert len(model) == grown and densifier.budget_hit == (budget is not None)
        if grown == n + 3:  # the three largest gradients were cloned
            assert torch.allclose(model.means[n:], means[-3:])


def test_a_tiny_budget_stops_densification_in_training():
    cameras = ring_cameras()
    g = torch.Generator().manual_seed(1)
    truth = GaussianModel.from_points(torch.rand(12, 3, generator=g) - 0.5, torch.rand(12, 3, generator=g),
                                      sh_degree=0)
    with torch.no_grad():
        images = [render(truth, c, torch.ones(3)).image.permute(1, 2, 0).numpy() for c in cameras]
    scene = Scene(cameras, truth.means.detach().numpy() + 0.05, np.full((12, 3), 0.5))
    schedule = dict(densify_from=5, densify_interval=5, densify_until=30, opacity_reset_interval=1000,
                    densify_grad_threshold=1e-6, min_opacity=0.0)
    free = train(scene, images, iterations=25, sh_degree=0, config=TrainConfig(**schedule, fragment_budget=None))
    tight = train(scene, images, iterations=25, sh_degree=0, config=TrainConfig(**schedule, fragment_budget=1.0))
    assert free.num_gaussians > 2 * 12 and not free.fragment_budget_hit
    assert tight.fragment_budget_hit and tight.num_gaussians < free.num_gaussians
