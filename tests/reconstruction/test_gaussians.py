"""Gaussian splatting: the rasteriser against closed forms, a per-pixel loop and finite differences;
the model's edits; training on a synthetic scene the test renders itself; orbit cameras and video."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from captures.reconstruction.gaussians import (
    GaussianModel,
    TrainConfig,
    orbit_cameras,
    rasterize,
    render,
    render_image,
    scene_center,
    sh_to_rgb,
    ssim,
    train,
)
from captures.reconstruction.gaussians.model import mean_sq_neighbour_distance
from captures.reconstruction.gaussians.rasterize import SH_C0, quaternion_to_matrix
from captures.reconstruction.gaussians.render import look_at
from captures.reconstruction.scene import Camera, Scene
from media.video import write_video

F64 = torch.float64


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def front_camera(width=8, height=8, focal=10.0):
    """At the origin looking along +z (world = camera coordinates)."""
    return Camera("front", width, height, focal, focal, width / 2, height / 2, np.eye(4))


def ring_cameras(n=8, size=32, distance=3.0):
    """`n` cameras around the origin, alternately above and below it, all looking at it."""
    cameras = []
    for i in range(n):
        angle = 2 * math.pi * i / n
        eye = np.array([distance * math.cos(angle), 0.8 * (-1) ** i, distance * math.sin(angle)])
        cameras.append(Camera(f"ring{i}", size, size, 40.0, 40.0, size / 2, size / 2,
                              look_at(eye, np.zeros(3), np.array([0.0, 1.0, 0.0]))))
    return cameras


@pytest.fixture(scope="module")
def synthetic():
    """Twelve coloured Gaussians seen by eight cameras at 32x32 on white; the ground truth is rendered by
    the rasteriser itself. The scene's points are the true centres moved by 0.1, with grey colour."""
    g = torch.Generator().manual_seed(1)
    n = 12
    means = (torch.rand(n, 3, generator=g) - 0.5) * 1.2
    truth = dict(means=means, scales=torch.rand(n, 3, generator=g) * 0.15 + 0.08,
                 rotations=torch.randn(n, 4, generator=g), opacities=torch.rand(n, generator=g) * 0.3 + 0.7,
                 colors=torch.rand(n, 3, generator=g))
    cameras = ring_cameras()
    with torch.no_grad():
        images = [rasterize(**truth, camera=c, background=torch.ones(3)).image.permute(1, 2, 0).numpy()
                  for c in cameras]
    points = means.numpy() + np.random.default_rng(0).normal(0, 0.1, (n, 3))
    return Scene(cameras, points, np.full((n, 3), 0.5)), images


def mean_l1(model, scene, images):
    with torch.no_grad():
        return float(np.mean([(render(model, c, torch.ones(3)).image.permute(1, 2, 0) - torch.as_tensor(im))
                              .abs().mean() for c, im in zip(scene.cameras, images, strict=True)]))


# The rasteriser


def test_a_single_gaussian_matches_the_closed_form():
    """An isotropic Gaussian on the optical axis: sigma_px^2 = (f s / z)^2 + 0.3, sampled at pixel centres."""
    camera = front_camera(9, 9)  # cx = 4.5: the centre of pixel 4
    s, z, opacity, colour, background = 0.3, 3.0, 0.8, torch.tensor([0.9, 0.2, 0.1]), torch.tensor([0.0, 0.5, 1.0])
    out = rasterize(torch.tensor([[0.0, 0.0, z]]), torch.full((1, 3), s), torch.tensor([[1.0, 0, 0, 0]]),
                    torch.tensor([opacity]), colour[None], camera, background)
    variance = (camera.fx * s / z) ** 2 + 0.3
    for u, v in [(4, 4), (5, 4), (4, 6), (2, 7)]:
        d2 = (u - 4) ** 2 + (v - 4) ** 2
        alpha = opacity * math.exp(-0.5 * d2 / variance)
        alpha = alpha if alpha >= 1 / 255 and d2 / variance <= 9 else 0.0
        expected = alpha * colour + (1 - alpha) * background
        torch.testing.assert_close(out.image[:, v, u], expected, atol=1e-5, rtol=0)
    assert out.visible.tolist() == [True] and out.radii.item() == math.ceil(3 * math.sqrt(variance))
    torch.testing.assert_close(out.means2d, torch.tensor([[4.5, 4.5]]))


def reference_composite(means, scales, rotations, opacities, colors, camera, background):
    """The reference algorithm, one pixel and one Gaussian at a time, from an independent projection."""
    view, t = camera.world_to_camera[:3, :3], camera.world_to_camera[:3, 3]
    fx, fy, cx, cy = camera.fx, camera.fy, camera.cx, camera.cy
    splats = []
    for m, s, q, o, c in zip(means, scales, rotations, opacities, colors, strict=True):
        x, y, z = view @ m + t
        if z <= 0.01:
            continue
        rot = quaternion_to_matrix(torch.as_tensor(q, dtype=F64)[None])[0].numpy()
        sigma = rot @ np.diag(s ** 2) @ rot.T
        # The field-of-view clamp, 1.3 times each side of the principal point.
        tx = z * np.clip(x / z, -1.3 * cx / fx, 1.3 * (camera.width - cx) / fx)
        ty = z * np.clip(y / z, -1.3 * cy / fy, 1.3 * (camera.height - cy) / fy)
        jacobian = np.array([[fx / z, 0, -fx * tx / z ** 2], [0, fy / z, -fy * ty / z ** 2]])
        cov = jacobian @ view @ sigma @ view.T @ jacobian.T + 0.3 * np.eye(2)
        splats.append((z, np.array([fx * x / z + cx, fy * y / z + cy]), np.linalg.inv(cov), o, c))
    splats.sort(key=lambda splat: splat[0])
    image = np.zeros((camera.height, camera.width, 3))
    for v in range(camera.height):
        for u in range(camera.width):
            transmittance, colour = 1.0, np.zeros(3)
            for _, centre, conic, o, c in splats:
                d = np.array([u + 0.5, v + 0.5]) - centre
                mahalanobis = d @ conic @ d
                alpha = min(0.99, o * math.exp(-0.5 * mahalanobis))
                if alpha < 1 / 255 or mahalanobis > 9:
                    continue
                if transmittance * (1 - alpha) < 1e-4:
                    break
                colour += c * alpha * transmittance
                transmittance *= 1 - alpha
            image[v, u] = colour + transmittance * background
    return image


def test_compositing_matches_a_per_pixel_loop():
    """Random Gaussians seen off-axis, one wide one centred outside the field of view (the Jacobian's clamp),
    and three wide layers near the camera: the first opaque enough for the 0.99 clamp, the second taking
    transmittance near 1e-4, so that the third is cut off."""
    rng = np.random.default_rng(3)
    n = 10
    means = np.concatenate([rng.uniform(-0.6, 0.6, (n, 3)) + [0, 0, 3.0], [[-4.5, 0.0, 3.0]],
                            [[0, 0, 1.5], [0.1, 0, 1.7], [0, 0.1, 1.9]]])
    scales = np.concatenate([rng.uniform(0.05, 0.3, (n, 3)), [[2.5, 1.0, 1.0]], np.tile([3.0, 3.0, 0.05], (3, 1))])
    rotations = np.concatenate([rng.normal(size=(n + 1, 4)), np.tile([1.0, 0, 0, 0], (3, 1))])
    opacities = np.concatenate([rng.uniform(0.02, 1.0, n), [0.8, 0.9999, 0.985, 0.5]])
    colors = rng.uniform(size=(n + 4, 3))
    background = np.array([0.1, 0.2, 0.3])
    camera = Camera("off", 12, 10, 9.0, 11.0, 5.5, 4.0,
                    look_at(np.array([0.3, -0.2, -2.0]), np.array([0.0, 0.0, 3.0]), np.array([0.0, -1.0, 0.0])))
    out = rasterize(*(torch.as_tensor(a, dtype=F64) for a in (means, scales, rotations, opacities, colors)),
                    camera, torch.as_tensor(background))
    expected = reference_composite(means, scales, rotations, opacities, colors, camera, background)
    np.testing.assert_allclose(out.image.permute(1, 2, 0).numpy(), expected, atol=1e-9)
    assert out.alpha.max() > 1 - 2e-4  # the cut-off was reached


def test_sh_colour_matches_the_reference_formula():
    """The reference's computeColorFromSH, written out term by term."""
    g = torch.Generator().manual_seed(4)
    sh = torch.randn(16, 3, generator=g, dtype=F64)
    d = torch.nn.functional.normalize(torch.randn(3, generator=g, dtype=F64), dim=0)
    x, y, z = d
    xx, yy, zz, xy, yz, xz = x * x, y * y, z * z, x * y, y * z, x * z
    c1, c2 = 0.4886025119029199, [1.0925484305920792, -1.0925484305920792, 0.31539156525252005,
                                  -1.0925484305920792, 0.5462742152960396]
    c3 = [-0.5900435899266435, 2.890611442640554, -0.4570457994644658, 0.3731763325901154, -0.4570457994644658,
          1.445305721320277, -0.5900435899266435]
    expected = (SH_C0 * sh[0] - c1 * y * sh[1] + c1 * z * sh[2] - c1 * x * sh[3]
                + c2[0] * xy * sh[4] + c2[1] * yz * sh[5] + c2[2] * (2 * zz - xx - yy) * sh[6]
                + c2[3] * xz * sh[7] + c2[4] * (xx - yy) * sh[8]
                + c3[0] * y * (3 * xx - yy) * sh[9] + c3[1] * xy * z * sh[10] + c3[2] * y * (4 * zz - xx - yy) * sh[11]
                + c3[3] * z * (2 * zz - 3 * xx - 3 * yy) * sh[12] + c3[4] * x * (4 * zz - xx - yy) * sh[13]
                + c3[5] * z * (xx - yy) * sh[14] + c3[6] * x * (xx - 3 * yy) * sh[15]) + 0.5
    torch.testing.assert_close(sh_to_rgb(sh[None], d[None], 3)[0], expected.clamp(min=0))
    torch.testing.assert_close(sh_to_rgb(sh[None], d[None], 1)[0],
                               (SH_C0 * sh[0] - c1 * y * sh[1] + c1 * z * sh[2] - c1 * x * sh[3] + 0.5).clamp(min=0))


def tiny_case():
    g = torch.Generator().manual_seed(7)
    means = torch.tensor([[0.0, 0.0, 3.0], [0.3, -0.2, 4.0], [-0.4, 0.3, 5.0]], dtype=F64)
    log_scales = torch.log(torch.tensor([[0.4, 0.25, 0.3], [0.5, 0.6, 0.2], [0.8, 0.5, 0.6]], dtype=F64))
    return dict(means=means, log_scales=log_scales, rotations=torch.randn(3, 4, generator=g, dtype=F64),
                opacity_logits=torch.tensor([0.5, 1.0, 2.0], dtype=F64),
                colors=torch.rand(3, 3, generator=g, dtype=F64))


def test_gradients_match_finite_differences():
    camera, background = front_camera(), torch.tensor([0.2, 0.3, 0.4], dtype=F64)
    inputs = tuple(t.requires_grad_() for t in tiny_case().values())

    def image(means, log_scales, rotations, opacity_logits, colors):
        return rasterize(means, log_scales.exp(), rotations, torch.sigmoid(opacity_logits), colors, camera,
                         background).image

    # Central differences of every output pixel with respect to every input.
    assert torch.autograd.gradcheck(image, inputs, eps=1e-6, atol=1e-6, rtol=1e-4)


def test_gradients_through_spherical_harmonics_match_finite_differences():
    case = tiny_case()
    camera = front_camera()
    sh = (0.3 * torch.randn(3, 16, 3, generator=torch.Generator().manual_seed(2), dtype=F64)).requires_grad_()
    means = case["means"].requires_grad_()

    def image(means, sh):
        return rasterize(means, case["log_scales"].exp(), case["rotations"], torch.sigmoid(case["opacity_logits"]),
                         sh, camera).image

    assert torch.autograd.gradcheck(image, (means, sh), eps=1e-6, atol=1e-6, rtol=1e-4)


def test_degree_zero_sh_is_the_dc_colour():
    camera = front_camera(9, 9)
    dc = torch.tensor([[[0.4, -0.2, 1.0]]])
    out = rasterize(torch.tensor([[0.0, 0.0, 3.0]]), torch.full((1, 3), 0.5), torch.tensor([[1.0, 0, 0, 0]]),
                    torch.tensor([0.99]), dc, camera)
    torch.testing.assert_close(out.image[:, 4, 4], (0.5 + SH_C0 * dc[0, 0]) * 0.99)


def test_gaussians_behind_the_camera_are_culled():
    camera = front_camera()
    means = torch.tensor([[0.0, 0.0, -3.0], [0.0, 0.0, 0.001], [0.0, 0.0, 3.0], [50.0, 0.0, 3.0]],
                         requires_grad=True)
    out = rasterize(means, torch.full((4, 3), 0.5), torch.tensor([[1.0, 0, 0, 0]] * 4), torch.full((4,), 0.9),
                    torch.ones(4, 3), camera)
    assert out.visible.tolist() == [False, False, True, False]  # behind, at the eye, in view, off to the side
    assert out.radii.tolist()[:2] == [0, 0] and out.radii[2] > 0 and out.radii[3] == 0
    out.image.sum().backward()
    assert means.grad[[0, 1, 3]].abs().sum() == 0 and means.grad[2].abs().sum() > 0
    assert torch.isfinite(means.grad).all()

    only_behind = rasterize(means[:1], torch.full((1, 3), 0.5), torch.tensor([[1.0, 0, 0, 0]]), torch.tensor([0.9]),
                            torch.ones(1, 3), camera, torch.tensor([0.1, 0.2, 0.3]))
    assert torch.equal(only_behind.image, torch.tensor([0.1, 0.2, 0.3])[:, None, None].expand(3, 8, 8))


def test_row_bands_give_the_same_image_and_gradients(synthetic):
    scene, _ = synthetic
    g = torch.Generator().manual_seed(5)
    params = [torch.randn(60, 3, generator=g) * 0.5, torch.rand(60, 3, generator=g) * 0.2 + 0.05,
              torch.randn(60, 4, generator=g), torch.rand(60, generator=g), torch.rand(60, 3, generator=g)]
    params = [p.double() for p in params]  # float64, so that summation order does not show

    def run(max_pairs):
        leaves = [p.clone().requires_grad_() for p in params]
        out = rasterize(*leaves, scene.cameras[0], torch.ones(3, dtype=F64), max_pairs=max_pairs)
        (out.image * torch.linspace(0, 1, out.image.numel(), dtype=F64).reshape(out.image.shape)).sum().backward()
        return out.image.detach(), [leaf.grad for leaf in leaves], out.means2d.grad

    image, grads, means2d_grad = run(1 << 22)
    banded_image, banded_grads, banded_means2d_grad = run(200)  # many bands, each checkpointed
    torch.testing.assert_close(banded_image, image)
    for a, b in zip(grads, banded_grads, strict=True):
        torch.testing.assert_close(a, b)
    torch.testing.assert_close(banded_means2d_grad, means2d_grad)


def test_ssim_matches_the_reference_convolution():
    g = torch.Generator().manual_seed(0)
    a = torch.rand(3, 23, 31, generator=g, dtype=F64)
    b = (a + 0.1 * torch.randn(a.shape, generator=g, dtype=F64)).clamp(0, 1)
    window = torch.exp(-(torch.arange(11, dtype=F64) - 5) ** 2 / 4.5)
    window = (window[:, None] * window[None, :] / window.sum() ** 2).expand(3, 1, 11, 11)

    def blur(x):
        return F.conv2d(x[None], window, padding=5, groups=3)[0]

    mu_a, mu_b = blur(a), blur(b)
    var_a, var_b, cov = blur(a * a) - mu_a ** 2, blur(b * b) - mu_b ** 2, blur(a * b) - mu_a * mu_b
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    expected = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a ** 2 + mu_b ** 2 + c1) * (var_a + var_b + c2))
    expected = expected.mean()
    torch.testing.assert_close(ssim(a, b), expected)
    assert ssim(a, a).item() == pytest.approx(1.0)


# The model


def test_from_points_sizes_gaussians_by_their_neighbours():
    grid = np.stack(np.meshgrid(*[np.arange(4) * 0.1] * 3, indexing="ij"), -1).reshape(-1, 3)
    model = GaussianModel.from_points(grid, np.full((64, 3), 0.25), sh_degree=3)
    assert len(model) == 64 and model.sh_rest.shape == (64, 15, 3) and model.active_sh_degree == 0
    torch.testing.assert_close(model.scales, torch.full((64, 3), 0.1))  # three neighbours at 0.1 each
    torch.testing.assert_close(model.opacities, torch.full((64,), 0.1))
    torch.testing.assert_close(SH_C0 * model.sh_dc[:, 0] + 0.5, torch.full((64, 3), 0.25))
    model.raise_sh_degree()
    assert model.active_sh_degree == 1


def test_neighbour_distances_match_brute_force():
    points = torch.rand(500, 3, generator=torch.Generator().manual_seed(3))
    squared = torch.cdist(points.double(), points.double()).square().fill_diagonal_(float("inf"))
    expected = squared.topk(3, dim=1, largest=False).values.mean(1).float()
    torch.testing.assert_close(mean_sq_neighbour_distance(points), expected)


def test_densify_and_prune_keep_the_optimizer_aligned():
    g = torch.Generator().manual_seed(0)
    model = GaussianModel.from_points(torch.randn(6, 3, generator=g).numpy(), np.full((6, 3), 0.5), sh_degree=1)
    optimizer = torch.optim.Adam(list(model.parameters().values()), lr=0.01)
    sum(p.square().sum() for p in model.parameters().values()).backward()
    optimizer.step()
    before = {name: p.detach().clone() for name, p in model.parameters().items()}
    moments = optimizer.state[model.means]["exp_avg"].clone()

    clone = torch.tensor([True, False, False, False, False, False])
    split = torch.tensor([False, False, True, False, False, False])
    model.densify(clone, split, optimizer, g)
    assert len(model) == 6 + 1 + 2 - 1
    kept = [0, 1, 3, 4, 5]
    torch.testing.assert_close(model.means[:5], before["means"][kept])
    torch.testing.assert_close(model.means[5], before["means"][0])  # the clone
    torch.testing.assert_close(model.log_scales[6:], before["log_scales"][[2, 2]] - math.log(1.6))
    assert not torch.equal(model.means[6], model.means[7])  # the two halves are sampled apart
    state = optimizer.state[model.means]
    assert all(p in optimizer.state for p in model.parameters().values())
    torch.testing.assert_close(state["exp_avg"][:5], moments[kept])
    assert state["exp_avg"][5:].abs().sum() == 0

    model.prune(torch.tensor([True, False, True, True, True, True, True, False]), optimizer)
    assert len(model) == 6 and optimizer.state[model.sh_rest]["exp_avg_sq"].shape == (6, 3, 3)
    model.reset_opacity(optimizer=optimizer)
    assert model.opacities.max() <= 0.01 + 1e-6
    optimizer.step()  # the optimizer still works on the replaced parameters


# Training


def test_training_reduces_the_loss_and_snapshots(synthetic):
    scene, images = synthetic
    initial = mean_l1(GaussianModel.from_points(scene.points, scene.colors, sh_degree=1), scene, images)
    reports, snapshots = [], []
    result = train(scene, images, iterations=200, sh_degree=1, save_iterations=(50, 100, 200),
                   report=lambda *args: reports.append(args),
                   on_snapshot=lambda i, model: snapshots.append((i, len(model), model.active_sh_degree)))
    final = mean_l1(result.model, scene, images)
    assert final < 0.6 * initial
    assert result.losses[-1] < result.losses[0] and len(result.losses) == 200
    assert [i for i, _, _ in snapshots] == [50, 100, 200] and snapshots[-1][2] == 1
    assert reports[0] == ("training", 0, 200) and reports[-1] == ("training", 200, 200)
    assert all(stage == "training" and 0 <= done <= total == 200 for stage, done, total in reports)
    assert 3 <= len(reports) <= 202
    assert result.num_gaussians == len(result.model) and not result.cap_hit and result.device == "cpu"


def aggressive_densification():
    return TrainConfig(densify_from=5, densify_interval=5, densify_until=60, opacity_reset_interval=1000,
                       densify_grad_threshold=1e-6)


def test_densification_grows_the_model(synthetic):
    scene, images = synthetic
    result = train(scene, images, iterations=30, sh_degree=0, config=aggressive_densification())
    assert result.num_gaussians > 2 * len(scene.points) and not result.cap_hit


def test_the_gaussian_cap_holds(synthetic):
    scene, images = synthetic
    counts = []
    result = train(scene, images, iterations=40, sh_degree=0, max_gaussians=20, save_iterations=range(1, 41),
                   config=aggressive_densification(), on_snapshot=lambda i, model: counts.append(len(model)))
    assert result.cap_hit and max(counts) <= 20 and result.num_gaussians <= 20 and result.max_gaussians == 20
    assert max(counts) == 20  # it does grow up to the cap


def test_too_many_points_are_subsampled_to_the_cap(synthetic):
    scene, images = synthetic
    result = train(scene, images, iterations=2, max_gaussians=5)
    assert result.num_gaussians == 5 and result.cap_hit


def test_random_background_needs_alpha(synthetic):
    scene, images = synthetic
    with pytest.raises(ValueError, match="RGBA"):
        train(scene, images, iterations=1, background="random")
    rgba = [np.concatenate([im, np.ones((*im.shape[:2], 1), np.float32)], axis=-1) for im in images]
    assert len(train(scene, rgba, iterations=3, background="random").losses) == 3


def test_training_starts_from_random_points_without_sfm(synthetic):
    scene, images = synthetic
    bare = Scene(scene.cameras)
    result = train(bare, images, iterations=2, sh_degree=0, config=TrainConfig(random_points=300))
    assert result.num_gaussians == 300
    assert np.abs(result.model.means.detach().numpy()).max() < 1.2  # around the centre the cameras look at


# Rendering an orbit


def test_orbit_cameras_circle_the_scene_centre(synthetic):
    scene, _ = synthetic
    np.testing.assert_allclose(scene_center(scene.cameras), np.zeros(3), atol=1e-9)
    orbit = orbit_cameras(scene, 12, width=20, height=16)
    assert len(orbit) == 12 and (orbit[0].width, orbit[0].height) == (20, 16)
    for camera in orbit:
        x, y, z = camera.world_to_camera[:3] @ [0, 0, 0, 1.0]
        assert z > 0 and abs(x) < 1e-9 and abs(y) < 1e-9  # the centre is straight ahead
        _, y_up, _ = camera.world_to_camera[:3] @ [0, 1.0, 0, 1.0]
        assert y_up < 0  # world up is image up (OpenCV y points down)
    radii = [np.linalg.norm(c.center[[0, 2]]) for c in orbit]
    np.testing.assert_allclose(radii, 3.0)
    np.testing.assert_allclose(orbit[0].center, [3.0, 0.0, 0.0], atol=1e-9)  # mean height 0, from camera 0
    assert len({tuple(np.round(c.center, 6)) for c in orbit}) == 12


def test_render_image_and_write_video(synthetic, tmp_path):
    scene, _ = synthetic
    model = GaussianModel.from_points(scene.points, np.random.default_rng(0).random((12, 3)))
    frames = [render_image(model, camera, (1, 1, 1)) for camera in orbit_cameras(scene, 6, width=21, height=15)]
    assert frames[0].shape == (15, 21, 3) and frames[0].dtype == np.uint8
    assert (frames[0] < 255).any()  # the Gaussians show up against the white background
    path = write_video(frames, tmp_path / "orbit.mp4", fps=6)
    data = path.read_bytes()
    assert data[4:8] == b"ftyp" and b"moov" in data[:4096]  # an mp4, index first for streaming


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device: the CUDA path is the same torch code")
def test_cuda_renders_and_trains_like_the_cpu(synthetic):
    scene, images = synthetic
    model = GaussianModel.from_points(scene.points, np.random.default_rng(0).random((12, 3)), sh_degree=1)
    on_gpu = GaussianModel.from_arrays(model.to_arrays(), device="cuda")
    for camera in scene.cameras[:3]:
        cpu, gpu = render(model, camera, (1, 1, 1)), render(on_gpu, camera, (1, 1, 1))
        cpu.image.sum().backward()
        gpu.image.sum().backward()
        torch.testing.assert_close(gpu.image.cpu(), cpu.image, atol=1e-4, rtol=1e-4)
        torch.testing.assert_close(on_gpu.means.grad.cpu(), model.means.grad, atol=1e-3, rtol=1e-3)
    result = train(scene, images, iterations=30, sh_degree=1, device="cuda", config=aggressive_densification())
    assert result.device.startswith("cuda") and result.model.means.is_cuda and result.losses[-1] < result.losses[0]
