"""The native rasteriser (C++/OpenMP) against the torch rasteriser, which is the reference: images, alpha,
radii and visibility, and the gradients of every input, on small random scenes in float32.

Tolerances: both compute in float32 (the native projection in float64, then rounded), sum in different
orders, and the native code uses its own exp (within about 1 ulp). Pixel values are sums of a few dozen
terms in [0, 2], so they agree to 1e-5 absolute. Gradients are sums of thousands of terms of both signs
(one per fragment), with relative rounding of about 1e-6 each: they are compared with atol = 2e-4 of the
largest magnitude of that gradient plus rtol 2e-3 (a sign or indexing error shows as O(1) differences).
The cases avoid exact ties (e.g. opacity 0.99 stacks whose transmittance lands on 1e-4 exactly), where a
single rounding decides whether a fragment is drawn.
"""

import numpy as np
import pytest
import torch

from captures.reconstruction.gaussians import native
from captures.reconstruction.gaussians.rasterize import rasterize
from captures.reconstruction.gaussians.render import look_at
from captures.reconstruction.scene import Camera
from tests.data import in_ci

if not native.available():
    reason = f"the native rasteriser is not built ({native.unavailable_reason()}); `make install` builds it"
    if in_ci():
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def camera(width=64, height=48, cx=None, cy=None, eye=(0.3, -0.2, -3.0)):
    return Camera("c", width, height, 0.9 * width, 0.95 * width, width / 2 if cx is None else cx,
                  height / 2 if cy is None else cy, look_at(np.array(eye), np.zeros(3), np.array([0.0, -1.0, 0.0])))


def random_scene(n, seed, sh_coefficients=16):
    g = torch.Generator().manual_seed(seed)
    return dict(means=(torch.rand(n, 3, generator=g) - 0.5) * 2, scales=torch.rand(n, 3, generator=g) * 0.15 + 0.02,
                rotations=torch.randn(n, 4, generator=g), opacities=torch.rand(n, generator=g) * 0.9 + 0.05,
                colors=torch.randn(n, sh_coefficients, 3, generator=g) * 0.3 if sh_coefficients
                else torch.rand(n, 3, generator=g))


def render_both(scene, view, background=(0.1, 0.2, 0.3), sh_degree=None, monkeypatch=None):
    """(output, gradients) of the torch and the native rasteriser, for one weighted loss of image and alpha."""
    results = []
    for setting in ("torch", "native"):
        monkeypatch.setenv("ATLAS_RASTERIZER", setting)
        leaves = {name: tensor.clone().requires_grad_() for name, tensor in scene.items()}
        bg = torch.tensor(background, requires_grad=True)
        out = rasterize(**leaves, camera=view, background=bg, sh_degree=sh_degree)
        weights = torch.linspace(-1, 1, out.image.numel()).reshape(out.image.shape)
        ((out.image * weights).sum() + (out.alpha * weights[1]).sum() * 0.5).backward()
        grads = {name: leaf.grad for name, leaf in leaves.items()}
        grads["background"], grads["means2d"] = bg.grad, out.means2d.grad
        results.append((out, grads))
    return results


def assert_same(reference, native_result):
    (expected, expected_grads), (out, grads) = reference, native_result
    torch.testing.assert_close(out.image, expected.image, atol=1e-5, rtol=0)
    torch.testing.assert_close(out.alpha, expected.alpha, atol=1e-5, rtol=0)
    assert torch.equal(out.radii, expected.radii)
    assert torch.equal(out.visible, expected.visible)
    torch.testing.assert_close(out.depths, expected.depths, atol=1e-5, rtol=1e-6)
    torch.testing.assert_close(out.means2d, expected.means2d, atol=1e-3, rtol=1e-6)
    for name, expected_grad in expected_grads.items():
        grad = grads[name]
        if expected_grad is None:
            assert grad is None or not grad.any(), name
            continue
        scale = float(expected_grad.abs().max()) or 1.0
        torch.testing.assert_close(grad, expected_grad, atol=2e-4 * scale, rtol=2e-3, msg=lambda m, n=name: f"{n}: {m}")


@pytest.mark.parametrize("sh_coefficients, sh_degree", [(16, 3), (16, 1), (1, None), (0, None)])
def test_random_scenes_match_the_torch_rasteriser(monkeypatch, sh_coefficients, sh_degree):
    scene = random_scene(300, 1, sh_coefficients)
    assert_same(*render_both(scene, camera(), sh_degree=sh_degree, monkeypatch=monkeypatch))


@pytest.mark.parametrize("sh_degree", [3, 1])
def test_coefficients_in_two_parts_match_the_torch_rasteriser(monkeypatch, sh_degree):
    """The model's sh_dc and sh_rest passed as a pair (read in place by the native code, each getting its own
    contiguous gradient) against the torch rasteriser, which concatenates them."""
    scene = random_scene(300, 6, 16)
    results = []
    for setting in ("torch", "native"):
        monkeypatch.setenv("ATLAS_RASTERIZER", setting)
        leaves = {name: tensor.clone().requires_grad_() for name, tensor in scene.items() if name != "colors"}
        parts = [scene["colors"][:, :1].clone().requires_grad_(), scene["colors"][:, 1:].clone().requires_grad_()]
        bg = torch.tensor([0.3, 0.2, 0.1], requires_grad=True)
        out = rasterize(**leaves, colors=tuple(parts), camera=camera(), background=bg, sh_degree=sh_degree)
        weights = torch.linspace(-1, 1, out.image.numel()).reshape(out.image.shape)
        ((out.image * weights).sum() + (out.alpha * weights[1]).sum() * 0.5).backward()
        grads = {name: leaf.grad for name, leaf in leaves.items()}
        grads["sh_dc"], grads["sh_rest"] = parts[0].grad, parts[1].grad
        grads["background"], grads["means2d"] = bg.grad, out.means2d.grad
        results.append((out, grads))
    assert_same(*results)
    native_grads = results[1][1]
    assert native_grads["sh_rest"].is_contiguous() and native_grads["sh_rest"].shape == (300, 15, 3)
    if sh_degree == 1:  # coefficients beyond the degree get zero gradients
        assert not native_grads["sh_rest"][:, 3:].any() and native_grads["sh_rest"][:, :3].any()


@pytest.mark.parametrize("view", [camera(32, 24), camera(50, 37, cx=12.0, cy=30.0),
                                  camera(17, 61, eye=(2.5, 0.5, -1.0))],
                         ids=["small", "off-centre principal point", "tall, not a multiple of 16"])
def test_cameras_match_the_torch_rasteriser(monkeypatch, view):
    assert_same(*render_both(random_scene(200, 2), view, monkeypatch=monkeypatch))


def test_culled_off_screen_huge_and_opaque_splats(monkeypatch):
    """Splats behind the camera, nearer than `near`, off to the side, one huge splat covering the view, and a
    stack of opaque wide splats in front that ends most pixels at the T < 1e-4 cut-off."""
    scene = random_scene(120, 3, 16)
    view = camera(48, 40, eye=(0.0, 0.0, -3.0))
    eye = torch.tensor([0.0, 0.0, -3.0])
    extra_means = torch.stack([eye + torch.tensor([0.0, 0.0, -1.0]),  # behind
                               eye + torch.tensor([0.0, 0.0, 0.005]),  # nearer than near
                               torch.tensor([30.0, 0.0, 0.0]),  # far off to the side
                               torch.tensor([0.1, -0.1, 2.0]),  # huge, behind the others
                               *[torch.tensor([0.05 * k, -0.03 * k, -1.6 + 0.15 * k]) for k in range(5)]])
    n = len(extra_means)
    scene["means"] = torch.cat([scene["means"], extra_means])
    scene["scales"] = torch.cat([scene["scales"], torch.tensor([[0.3, 0.3, 0.3]] * 3 + [[8.0, 6.0, 0.5]]
                                                               + [[0.5, 0.4, 0.05]] * 5)])
    rotations = torch.cat([torch.randn(4, 4, generator=torch.Generator().manual_seed(9)),
                           torch.tensor([1.0, 0.1, -0.1, 0.05]).expand(5, 4)])  # the stack faces the camera
    scene["rotations"] = torch.cat([scene["rotations"], rotations])
    opacities = torch.tensor([0.9, 0.9, 0.9, 0.7, 0.93, 0.96, 0.91, 0.97, 0.94])
    scene["opacities"] = torch.cat([scene["opacities"], opacities])
    scene["colors"] = torch.cat([scene["colors"], torch.randn(n, 16, 3, generator=torch.Generator().manual_seed(8))])
    reference, result = render_both(scene, view, monkeypatch=monkeypatch)
    assert_same(reference, result)
    out = result[0]
    assert out.visible[-n:-n + 3].tolist() == [False, False, False] and out.visible[-n + 3:].all()
    assert (out.alpha > 1 - 2e-4).float().mean() > 0.05  # the cut-off is reached in the middle of the view
    assert not result[1]["means"][-n:-n + 3].any()


def test_nothing_drawn_leaves_no_means2d_gradient(monkeypatch):
    monkeypatch.setenv("ATLAS_RASTERIZER", "native")
    means = torch.tensor([[0.0, 0.0, -5.0]], requires_grad=True)  # behind the camera
    out = rasterize(means, torch.full((1, 3), 0.5), torch.tensor([[1.0, 0, 0, 0]]), torch.tensor([0.9]),
                    torch.ones(1, 3), camera(16, 16), torch.tensor([0.1, 0.2, 0.3]))
    out.image.sum().backward()
    assert torch.equal(out.image, torch.tensor([0.1, 0.2, 0.3])[:, None, None].expand(3, 16, 16))
    assert out.means2d.grad is None and not means.grad.any()


def test_thread_counts_give_the_same_result(monkeypatch):
    """The per-pair gradients are reduced in a fixed order, so the thread count changes nothing."""
    monkeypatch.setenv("ATLAS_RASTERIZER", "native")
    scene, view = random_scene(400, 4), camera(80, 64)
    before = torch.get_num_threads()
    results = []
    try:
        for threads in (1, 2):
            torch.set_num_threads(threads)
            leaves = {name: tensor.clone().requires_grad_() for name, tensor in scene.items()}
            out = rasterize(**leaves, camera=view)
            (out.image * torch.linspace(0, 1, out.image.numel()).reshape(out.image.shape)).sum().backward()
            results.append([out.image] + [leaf.grad for leaf in leaves.values()])
    finally:
        torch.set_num_threads(before)
    for a, b in zip(*results, strict=True):
        assert torch.equal(a, b)


def test_the_setting_chooses_the_rasteriser(monkeypatch):
    scene, view = random_scene(50, 5), camera(32, 24)
    scene["means"].requires_grad_()
    for setting, float32, float64 in [("auto", "_CompositeBackward", "ViewBackward0"),
                                      ("torch", "ViewBackward0", "ViewBackward0")]:
        monkeypatch.setenv("ATLAS_RASTERIZER", setting)
        assert type(rasterize(**scene, camera=view).image.grad_fn).__name__ == float32
        scene64 = {k: v.detach().double().requires_grad_() for k, v in scene.items()}
        assert type(rasterize(**scene64, camera=view).image.grad_fn).__name__ == float64
    monkeypatch.setenv("ATLAS_RASTERIZER", "native")
    with pytest.raises(ValueError, match="float32"):
        rasterize(**{k: v.double() for k, v in scene.items()}, camera=view)
    monkeypatch.setenv("ATLAS_RASTERIZER", "fast")
    with pytest.raises(ValueError, match="auto, native or torch"):
        rasterize(**scene, camera=view)
