"""Speed of the differentiable rasteriser: milliseconds per view for the forward pass (with autograd on,
as in training) and the backward pass, at 100x100 and 400x400, with 10k and 100k Gaussians, for each
number of torch threads from 1 to the machine's cores.

The Gaussians stand in for a trained object: centres on a unit sphere (surfaces are what training
converges to), isotropic, as wide as training would start them (see sphere_model), opacity 0.8, random
degree-3 SH colours; the camera is 4 units away with the lego camera's field of view (focal 1.39 x
width), so the sphere covers about half the image.

These use whichever rasteriser `rasterize` picks (the native one when it is built). Then, in the notes,
old (torch, ATLAS_RASTERIZER=torch) against new (native) forward + backward per 400x400 view at 10k, 100k
and 500k Gaussians, on 1 thread and on all cores, with the speed-ups.
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


NATIVE_COUNTS = (10_000, 100_000, 500_000)
NATIVE_SIZE = 400


def time_with(setting: str, model: GaussianModel, view: Camera, repeats: int) -> float:
    """Median forward + backward ms of one view with ATLAS_RASTERIZER=`setting`."""
    before = os.environ.get("ATLAS_RASTERIZER")
    os.environ["ATLAS_RASTERIZER"] = setting
    try:
        forward, backward, _ = time_view(model, view, repeats)
    finally:
        if before is None:
            os.environ.pop("ATLAS_RASTERIZER", None)
        else:
            os.environ["ATLAS_RASTERIZER"] = before
    return forward + backward


def native_rows(repeats: int, threads: list[int]) -> tuple[list[dict], list[str]]:
    """Old (torch) against new (native) rasteriser, forward + backward per 400x400 view, 1 and all threads."""
    from captures.reconstruction.gaussians import native

    if not native.available():
        return [], [f"native rasteriser: not measured ({native.unavailable_reason()})"]
    rows, summary = [], []
    counts = (threads[0], threads[-1]) if len(threads) > 1 else (threads[0],)
    view = camera(NATIVE_SIZE)
    for count in NATIVE_COUNTS:
        model = sphere_model(count)
        ms = {}
        for n in counts:
            torch.set_num_threads(n)
            ms["torch", n] = time_with("torch", model, view, repeats)
            ms["native", n] = time_with("native", model, view, repeats)
        row = {"Gaussians": count, "image": f"{NATIVE_SIZE}x{NATIVE_SIZE}"}
        for n in counts:
            row[f"old ms ({n}t)"] = ms["torch", n]
            row[f"new ms ({n}t)"] = ms["native", n]
        for n in counts:
            row[f"new vs old ({n}t)"] = ms["torch", n] / ms["native", n]
        if len(counts) > 1:
            row[f"old {counts[-1]}t vs 1t"] = ms["torch", 1] / ms["torch", counts[-1]]
            row[f"new {counts[-1]}t vs 1t"] = ms["native", 1] / ms["native", counts[-1]]
        rows.append(row)
        if count == 100_000:
            summary.append(f"native rasteriser at 100k Gaussians, {NATIVE_SIZE}px: "
                           + ", ".join(f"{ms['torch', n] / ms['native', n]:.1f}x the torch one on {n} thread(s)"
                                       for n in counts))
    return rows, summary


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
        native, summary = native_rows(repeats, threads)
    finally:
        torch.set_num_threads(before)
    if native:
        result.notes.append("old (torch) vs new (native) rasteriser, forward + backward ms per view:")
        result.notes += ["  " + ", ".join(f"{k} {v:.1f}" if isinstance(v, float) else f"{k} {v}"
                                          for k, v in row.items()) for row in native]
    else:
        result.notes += summary
    if native and summary:
        result.summary = summary[0]
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
