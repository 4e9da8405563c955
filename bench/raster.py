"""Speed of the differentiable rasteriser: milliseconds per view for the forward pass (with autograd on,
as in training) and the backward pass, at 100x100 and 400x400, with 10k and 100k Gaussians, for each
number of torch threads from 1 to the machine's cores.

The Gaussians stand in for a trained object: centres on a unit sphere (surfaces are what training
converges to), isotropic, as wide as training would start them (see sphere_model), opacity 0.8, random
degree-3 SH colours; the camera is 4 units away with the lego camera's field of view (focal 1.39 x
width), so the sphere covers about half the image.
"""

from __future__ import annotations

import math
import os
import statistics
import time

import numpy as np
import torch

from captures.reconstruction.gaussians import GaussianModel, render
from captures.reconstruction.gaussians.rasterize import SH_C0
from captures.reconstruction.gaussians.render import look_at
from captures.reconstruction.scene import Camera

from .report import Result, Stopwatch, load_average

SIZES = (100, 400)
COUNTS = (10_000, 100_000)
LEGO_FOCAL = 1.3889  # focal / width of the lego camera
DISTANCE = 4.0
OPACITY = 0.8
REPEATS = 5
QUICK_REPEATS = 1
TIME_LIMIT_S = 20.0  # per measured configuration: fewer repeats when one view is slow


def thread_counts() -> list[int]:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    counts, n = [], 1
    while n < cores:
        counts.append(n)
        n *= 2
    return counts + [cores]


def sphere_model(count: int, seed: int = 0) -> GaussianModel:
    """`count` Gaussians at random on the unit sphere, each as wide as three quarters of their mean spacing
    there (sqrt(4 pi / count)): what GaussianModel.from_points gives such points, without its neighbour
    search, which costs more than the measurements themselves at 100k points."""
    rng = np.random.default_rng(seed)
    points = rng.normal(size=(count, 3))
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    log_scale = math.log(0.75 * math.sqrt(4 * math.pi / count))
    quaternions = np.zeros((count, 4))
    quaternions[:, 0] = 1
    colours = rng.uniform(0, 1, (count, 3))
    return GaussianModel(
        torch.as_tensor(points, dtype=torch.float32),
        torch.full((count, 3), log_scale),
        torch.as_tensor(quaternions, dtype=torch.float32),
        torch.full((count,), math.log(OPACITY / (1 - OPACITY))),
        torch.as_tensor((colours - 0.5) / SH_C0, dtype=torch.float32)[:, None, :],
        torch.as_tensor(rng.normal(0, 0.1, (count, 15, 3)), dtype=torch.float32),
        active_sh_degree=3,
    )


def camera(size: int) -> Camera:
    eye = np.array([DISTANCE * 0.6, -DISTANCE * 0.48, DISTANCE * 0.64])
    eye *= DISTANCE / np.linalg.norm(eye)
    focal = LEGO_FOCAL * size
    return Camera(f"{size}px", size, size, focal, focal, size / 2, size / 2,
                  look_at(eye, np.zeros(3), np.array([0.0, 0.0, 1.0])))


def time_view(model: GaussianModel, view: Camera, repeats: int) -> tuple[float, float, int]:
    """Median forward and backward milliseconds over `repeats` runs after one warm-up, and the number of
    Gaussians drawn."""
    forward, backward = [], []
    target = torch.full((3, view.height, view.width), 0.5)
    budget = time.monotonic() + TIME_LIMIT_S
    for attempt in range(repeats + 1):
        started = time.perf_counter()
        out = render(model, view, (1.0, 1.0, 1.0))
        middle = time.perf_counter()
        (out.image - target).abs().mean().backward()
        ended = time.perf_counter()
        for parameter in model.parameters().values():
            parameter.grad = None
        if attempt:  # the first run warms up allocators and caches
            forward.append(middle - started)
            backward.append(ended - middle)
            if time.monotonic() > budget:
                break
    return 1000 * statistics.median(forward), 1000 * statistics.median(backward), int(out.visible.sum())


def run(quick: bool = False) -> Result:
    result = Result("raster", "rasteriser speed, ms per view (forward with autograd, then backward)")
    clock = Stopwatch()
    repeats = QUICK_REPEATS if quick else REPEATS
    threads = thread_counts()
    busy = load_average()
    before = torch.get_num_threads()
    try:
        for count in COUNTS:
            model = sphere_model(count)
            for size in SIZES:
                view = camera(size)
                timings = {}
                for n in threads:
                    torch.set_num_threads(n)
                    timings[n] = time_view(model, view, repeats)
                single = timings[threads[0]]
                for n in threads:
                    fwd, bwd, drawn = timings[n]
                    result.rows.append({"Gaussians": count, "image": f"{size}x{size}", "visible": drawn,
                                        "threads": n, "forward ms": fwd, "backward ms": bwd,
                                        "total ms": fwd + bwd, "views/s": 1000 / (fwd + bwd),
                                        "backward / forward": bwd / fwd,
                                        "speed-up vs 1 thread": (single[0] + single[1]) / (fwd + bwd)})
    finally:
        torch.set_num_threads(before)
    result.notes += [
        f"median of {repeats} run{'s' if repeats > 1 else ''} after a warm-up (fewer when a configuration "
        f"passes {TIME_LIMIT_S:.0f} s); "
        f"{clock.total:.0f} s in all.",
        "Gaussians on a unit sphere seen from 4 units with the lego camera's field of view; 'visible' counts "
        "those whose footprint reaches the image.",
    ]
    if busy > threads[-1] - 0.5:
        result.notes.append(f"the machine was busy with other work when this started (load average {busy:.1f} on "
                            f"{threads[-1]} cores): more threads than free cores measure contention, not scaling.")
    return result
