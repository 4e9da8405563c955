"""The native SSIM (csrc/ssim.cpp) against train.py's torch SSIM, which is the reference: the value and the
gradient of the image, in float32, on random images of odd sizes (smaller than the window too).

Tolerances: both compute in float32 with the same formula, but blur in different orders. On images with
texture the values agree to about 1e-7 relative and the gradients to a few 1e-6 of their largest magnitude,
so 1e-6 and 2e-5 are asserted (a wrong tap, border or derivative shows as 1e-3 or more). On nearly flat
bright images var = E[x^2] - mu^2 cancels: there float32 SSIM (torch's as well) is only good to about 5e-5,
and both are compared with the float64 reference instead.
"""

import pytest
import torch

from captures.reconstruction.gaussians import native
from captures.reconstruction.gaussians.train import _gaussian_window, _native_ssim, _ssim_torch, ssim
from tests.data import in_ci

if not native.available():
    reason = f"the native rasteriser is not built ({native.unavailable_reason()}); `make install` builds it"
    if in_ci():
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason, allow_module_level=True)

SHAPES = [(3, 37, 53), (3, 100, 100), (1, 16, 9), (2, 5, 3), (3, 1, 1), (3, 12, 40)]


def pair(shape, seed, flat=False):
    g = torch.Generator().manual_seed(seed)
    image = 0.97 + 0.02 * torch.rand(shape, generator=g) if flat else torch.rand(shape, generator=g)
    target = (image + 0.05 * torch.randn(shape, generator=g)).clamp(0, 1)
    return image, target


def value_and_grad(function, image, target, weight=-0.2):
    """SSIM and d(weight * SSIM)/d image (the training loss's weight by default)."""
    leaf = image.clone().requires_grad_()
    value = function(leaf, target)
    (weight * value).backward()
    return value.detach(), leaf.grad


def native_ssim(image, target):
    return native.ssim_native(image, target, _gaussian_window(11, 1.5, image))


def assert_close_grad(grad, expected, relative):
    scale = float(expected.abs().max())
    torch.testing.assert_close(grad.double(), expected.double(), atol=relative * scale, rtol=0)


@pytest.mark.parametrize("shape", SHAPES)
def test_value_and_gradient_match_the_torch_ssim(shape):
    image, target = pair(shape, seed=sum(shape))
    value, grad = value_and_grad(native_ssim, image, target)
    expected, expected_grad = value_and_grad(_ssim_torch, image, target)
    assert value.dtype == torch.float32 and value.shape == ()
    torch.testing.assert_close(value, expected, atol=0, rtol=1e-6)
    assert_close_grad(grad, expected_grad, 2e-5)
    # and the float64 reference (torch autograd), which float32 torch matches no better
    expected64, expected_grad64 = value_and_grad(_ssim_torch, image.double(), target.double())
    torch.testing.assert_close(value.double(), expected64, atol=0, rtol=1e-6)
    assert_close_grad(grad, expected_grad64, 2e-5)


@pytest.mark.parametrize("shape", [(3, 37, 53), (1, 16, 9)])
def test_nearly_flat_images_are_as_accurate_as_torch_in_float32(shape):
    image, target = pair(shape, seed=7, flat=True)
    value, grad = value_and_grad(native_ssim, image, target)
    expected, expected_grad = value_and_grad(_ssim_torch, image.double(), target.double())
    torch.testing.assert_close(value.double(), expected, atol=0, rtol=2e-4)
    assert_close_grad(grad, expected_grad, 2e-4)


def test_directional_derivative_matches_finite_differences_of_the_float64_reference():
    image, target = pair((3, 23, 31), seed=3)
    direction = torch.randn(image.shape, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    _, grad = value_and_grad(native_ssim, image, target, weight=1.0)
    eps, x, y = 1e-4, image.double(), target.double()
    numeric = (_ssim_torch(x + eps * direction, y) - _ssim_torch(x - eps * direction, y)) / (2 * eps)
    assert float((grad.double() * direction).sum()) == pytest.approx(float(numeric), rel=1e-4)


@pytest.mark.parametrize("shape", SHAPES)
def test_identical_images_give_one_and_no_gradient(shape):
    image, _ = pair(shape, seed=1)
    value, grad = value_and_grad(native_ssim, image, image.clone())
    assert value.item() == pytest.approx(1.0, abs=1e-6)
    assert grad.abs().max().item() < 1e-6


def test_same_results_on_one_and_two_threads_and_without_grad():
    image, target = pair((3, 64, 48), seed=5)
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = value_and_grad(native_ssim, image, target)
        torch.set_num_threads(2)
        two = value_and_grad(native_ssim, image, target)
    finally:
        torch.set_num_threads(threads)
    assert torch.equal(one[0], two[0]) and torch.equal(one[1], two[1])
    with torch.no_grad():
        assert torch.equal(native_ssim(image, target), one[0])


def test_non_contiguous_inputs():
    image, target = pair((3, 30, 20), seed=6)
    value, grad = value_and_grad(native_ssim, image.transpose(1, 2), target.transpose(1, 2))
    expected, expected_grad = value_and_grad(_ssim_torch, image.transpose(1, 2), target.transpose(1, 2))
    torch.testing.assert_close(value, expected, atol=0, rtol=1e-6)
    assert_close_grad(grad, expected_grad, 2e-5)


def test_ssim_takes_the_native_path_only_where_it_applies(monkeypatch):
    calls, original = [], native.ssim_native

    def spy(image, target, window):
        calls.append(image.shape)
        return original(image, target, window)

    monkeypatch.setattr(native, "ssim_native", spy)
    image, target = pair((3, 20, 24), seed=2)
    monkeypatch.setenv("ATLAS_RASTERIZER", "auto")
    torch.testing.assert_close(ssim(image, target), _ssim_torch(image, target), atol=0, rtol=1e-6)
    assert len(calls) == 1
    ssim(image.double(), target.double())  # float64: torch
    ssim(image, target, window_size=7)  # another window: torch
    ssim(image, target.clone().requires_grad_())  # the target's gradient: torch
    monkeypatch.setenv("ATLAS_RASTERIZER", "torch")
    ssim(image, target)
    assert len(calls) == 1
    monkeypatch.setenv("ATLAS_RASTERIZER", "native")
    ssim(image, target)
    assert len(calls) == 2
    assert _native_ssim(image, target, 11)
