"""The native CPU rasteriser and SSIM loss: a C++ torch extension (csrc/raster.cpp, csrc/ssim.cpp) with OpenMP,
built once into a kept folder.

`available()` says whether it is built and loads it (it never builds); `build()` compiles it (about 20-30 s,
once; `make install` runs it). The build folder is `$ATLAS_TORCH_EXTENSIONS_DIR`, or `<repo>/var/torch_extensions`,
in a subfolder named by a hash of the sources, the compiler flags, torch's version and this Python, so that a
change of any of them builds afresh instead of loading a stale module.

`rasterize_native` is `rasterize.rasterize` on that extension, with the same interface and output; it takes
float32 CPU tensors. It is two autograd functions: projection + SH colour (per Gaussian) giving the
projected centres (`means2d`, whose `.grad` is kept as with the torch code), conics, depths and colours; and
tiled compositing (16x16 tiles, front to back, per pixel) giving the image and alpha. Both run on
torch.get_num_threads() threads.

`ssim_native` is train.py's SSIM (its `_ssim_torch` is the reference) on the extension: one fused pass for
the value (and the per-pixel derivatives), one for the gradient of the image; see csrc/ssim.cpp.

`python -m captures.reconstruction.gaussians.native build` builds it, printing one line; it exits 1 (having
said why) when the build fails.
"""

import hashlib
import importlib.machinery
import importlib.util
import os
import platform
import sys
import time
from pathlib import Path

import torch

from ..scene import Camera

SOURCES = [Path(__file__).resolve().parent / "csrc" / name for name in ("raster.cpp", "ssim.cpp")]
CFLAGS = ["-O3", "-fopenmp", "-ffp-contract=off", "-std=c++17"]
LDFLAGS = ["-fopenmp"]
REPO = Path(__file__).resolve().parents[3]

_module = None
_error = None


def build_directory() -> Path:
    base = os.environ.get("ATLAS_TORCH_EXTENSIONS_DIR") or str(REPO / "var" / "torch_extensions")
    return Path(base) / module_name()


def module_name() -> str:
    digest = hashlib.sha256()
    for source in SOURCES:
        digest.update(source.read_bytes())
    digest.update(" ".join(CFLAGS + LDFLAGS).encode())
    digest.update(f"{torch.__version__} {sys.version} {platform.machine()}".encode())
    return f"atlas_raster_{digest.hexdigest()[:12]}"


def _load_built():
    """The extension module if its shared library is in the build folder, else None (never builds)."""
    name = module_name()
    library = build_directory() / f"{name}{importlib.machinery.EXTENSION_SUFFIXES[0]}"
    if not library.exists():
        library = build_directory() / f"{name}.so"
        if not library.exists():
            return None
    spec = importlib.util.spec_from_file_location(name, library)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def available() -> bool:
    """Whether the extension is built (and now loaded). Fast: it never compiles anything."""
    global _module, _error
    if _module is None and _error is None:
        try:
            _module = _load_built()
            if _module is None:
                _error = f"not built (run `make install`, or `python -m {__name__} build`): no {build_directory()}"
        except Exception as error:  # a broken or foreign build: say why, fall back
            _error = f"{type(error).__name__}: {error}"
    return _module is not None


def unavailable_reason() -> str | None:
    return None if available() else _error


def build(verbose: bool = False):
    """Compile the extension into its build folder (if not built yet) and load it. Raises when it cannot."""
    global _module, _error
    if available():
        return _module
    from torch.utils.cpp_extension import load

    directory = build_directory()
    directory.mkdir(parents=True, exist_ok=True)
    print(f"Building the native rasteriser into {directory} (once, about a minute) ...", flush=True)
    started = time.monotonic()
    _module = load(name=module_name(), sources=[str(s) for s in SOURCES], extra_cflags=CFLAGS,
                   extra_ldflags=LDFLAGS, build_directory=str(directory), verbose=verbose)
    _error = None
    print(f"Built the native rasteriser in {time.monotonic() - started:.0f} s.", flush=True)
    return _module


def extension():
    if not available():
        raise RuntimeError(f"the native rasteriser is not available: {_error}")
    return _module


def _camera_args(camera: Camera, near, low_pass):
    view = torch.as_tensor(camera.world_to_camera[:3], dtype=torch.float64).contiguous()
    centre = torch.as_tensor(camera.center, dtype=torch.float64).contiguous()
    return (view, centre, float(camera.fx), float(camera.fy), float(camera.cx), float(camera.cy), int(camera.width),
            int(camera.height), float(near), float(low_pass))


class _Project(torch.autograd.Function):
    @staticmethod
    def forward(ctx, means, scales, rotations, sh, sh_rest, opacities, degree, camera_args):
        out = extension().project_forward(means, scales, rotations, opacities, sh, sh_rest, degree, *camera_args)
        means2d, conics, depths, colours, radii, visible, boxes = out
        ctx.save_for_backward(means, scales, rotations, sh, sh_rest)
        ctx.degree, ctx.camera_args = degree, camera_args
        ctx.mark_non_differentiable(radii, visible, boxes)
        return means2d, conics, depths, colours, radii, visible, boxes

    @staticmethod
    def backward(ctx, g_means2d, g_conics, g_depths, g_colours, *_):
        means, scales, rotations, sh, sh_rest = ctx.saved_tensors
        empty = torch.empty(0)
        g = [empty if t is None else t.contiguous() for t in (g_means2d, g_conics, g_depths, g_colours)]
        g_means, g_scales, g_rotations, g_sh, g_rest = extension().project_backward(
            means, scales, rotations, sh, sh_rest, ctx.degree, *ctx.camera_args, *g)
        return (g_means, g_scales, g_rotations, g_sh if sh.numel() else None, g_rest if sh_rest.numel() else None,
                None, None, None)


class _Composite(torch.autograd.Function):
    @staticmethod
    def forward(ctx, means2d, conics, opacities, colours, background, depths, boxes, width, height):
        out = extension().composite_forward(means2d, conics, opacities, colours, background, depths, boxes, width,
                                            height)
        image, alpha, *saved = out  # final transmittance, ..., the tile lists of splats (see composite_forward)
        ctx.save_for_backward(background, *saved)
        ctx.count = means2d.shape[0]
        ctx.drawn = saved[3].numel()  # ids of the drawn Gaussians
        return image, alpha

    @staticmethod
    def backward(ctx, g_image, g_alpha):
        tensors = ctx.saved_tensors
        final_t = tensors[1]
        g_image = torch.zeros_like(final_t.expand(3, -1, -1)) if g_image is None else g_image.contiguous()
        g_alpha = torch.zeros_like(final_t) if g_alpha is None else g_alpha.contiguous()
        g_means2d, g_conics, g_opacities, g_colours, g_background = extension().composite_backward(
            ctx.count, *tensors, g_image, g_alpha)
        if not ctx.drawn:  # as the torch code: nothing drawn, no gradient reaches the splats
            g_means2d = g_conics = g_opacities = g_colours = None
        return g_means2d, g_conics, g_opacities, g_colours, g_background, None, None, None, None


class _SSIM(torch.autograd.Function):
    @staticmethod
    def forward(ctx, image, target, window, with_grad):
        value, *maps = extension().ssim_forward(image, target, window, with_grad)
        ctx.save_for_backward(image, target, window, *maps)
        return value

    @staticmethod
    def backward(ctx, grad):
        image, target, window, *maps = ctx.saved_tensors
        return extension().ssim_backward(image, target, window, *maps, float(grad)), None, None, None


def ssim_native(image, target, window):
    """Mean SSIM of (C, H, W) float32 CPU images with the 11-tap `window` (train.py's `_gaussian_window`),
    zero padding; differentiable in `image` only (the target is data)."""
    with_grad = torch.is_grad_enabled() and image.requires_grad  # (needs_input_grad ignores no_grad)
    return _SSIM.apply(image.contiguous(), target.detach().contiguous(), window.detach().contiguous(), with_grad)


def release_buffers():
    """Free the big buffers the extension keeps between calls (it reuses them from view to view: a fresh
    allocation of that size costs a page fault per 4 KiB each time; at most 768 MiB are kept)."""
    if _module is not None:
        _module.release_buffers()


def supports(*tensors) -> bool:
    """Whether the native code takes these tensors: float32, on the CPU."""
    return all(t.device.type == "cpu" and t.dtype == torch.float32 for t in tensors)


def rasterize_native(means, scales, rotations, opacities, colors, camera: Camera, background=None, *, sh_degree=None,
                     near=0.01, low_pass=0.3):
    """`rasterize.rasterize` on the extension (float32 CPU tensors); see that function for the interface."""
    from .rasterize import RasterOutput, _sh_degree_of

    opacities = opacities.reshape(-1).contiguous()
    background = torch.zeros(3) if background is None else background
    background = torch.as_tensor(background, dtype=torch.float32).reshape(3).contiguous()
    camera_args = _camera_args(camera, near, low_pass)
    # SH coefficients in one tensor, or in two (the model's sh_dc, sh_rest) read in place: no concatenated copy
    # each view, and each part's gradient comes back contiguous (autograd takes it as the .grad, no copy).
    sh, sh_rest = (colors[0], colors[1]) if isinstance(colors, (tuple, list)) else (colors, None)
    rgb = sh.dim() != 3
    if not rgb:
        count = sh.shape[1] + (sh_rest.shape[1] if sh_rest is not None else 0)
        degree = _sh_degree_of(count) if sh_degree is None else int(sh_degree)
        if not 0 <= degree <= 3 or (degree + 1) ** 2 > count:
            raise ValueError(f"SH degree {degree} needs {(degree + 1) ** 2} coefficients, not {count}")
        sh = sh.contiguous()
        sh_rest = torch.empty(0) if sh_rest is None else sh_rest.contiguous()
    else:
        degree, sh, sh_rest = 0, torch.empty(0), torch.empty(0)
    means2d, conics, depths, colours, radii, visible, boxes = _Project.apply(
        means.contiguous(), scales.contiguous(), rotations.contiguous(), sh, sh_rest, opacities.detach(), degree,
        camera_args)
    if means2d.requires_grad:
        means2d.retain_grad()
    if rgb:
        colours = colors.contiguous()
    image, alpha = _Composite.apply(means2d, conics, opacities, colours, background, depths.detach(), boxes,
                                    int(camera.width), int(camera.height))
    return RasterOutput(image=image, alpha=alpha, means2d=means2d, radii=radii, visible=visible, depths=depths)


def main(argv=None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] != ["build"]:
        print(f"usage: python -m {__name__} build [--verbose]")
        return 2
    if available():
        print(f"The native rasteriser is built ({build_directory()}).")
        return 0
    try:
        build(verbose="--verbose" in args)
    except Exception as error:  # one clear line: the caller (make) goes on with the torch rasteriser
        lines = [line.strip() for line in str(error).splitlines() if line.strip()]
        reason = next((line for line in lines if "error" in line.lower()), lines[-1] if lines else type(error).__name__)
        print(f"the native rasteriser could not be built: {reason[:300]}; training uses the slower torch rasteriser")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
