"""Compressed splat files of a real trained model (the donut of ../shared/data/models: Mip-Splatting, 30,000
iterations, 45,624 splats, SH degree 0): each format's size against the .ply, its write time, and how far the
splats it reads back are from the model's (the round-trip error); .ksplat files are also read by the
dashboard viewer's own parser (node), which must find every splat where we put it.

Sizes are compared with the model's own .ply (14 float32 a splat: no normals, no SH rest) and with the same
splats in the standard 3DGS .ply our pipeline writes (62 float32 a splat: normals and SH degree 3), which is
what "SOG files are 15-20x smaller than the .ply" measures. The notes compare the 2D sorts behind the SOGS
images: file order, a Morton curve laid out in rows, the shelf layout PLAS starts from, PLAS as the pipeline
runs it, and (not with --quick) PLAS on the paper's schedule.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from captures.reconstruction.formats import plas, sog
from captures.reconstruction.formats.ksplat import read_ksplat, write_ksplat
from captures.reconstruction.formats.sog import read_sog, write_sog
from captures.reconstruction.splat_io import SH_C0, GaussianArrays, read_ply, read_splat, write_ply, write_splat

from . import SHARED_DATA
from .report import Result, Stopwatch

DONUT = SHARED_DATA / "models" / "donut_3dgs_fused.ply"
ROOT = Path(__file__).resolve().parents[1]
KSPLAT_CHECK = ROOT / "tests" / "reconstruction" / "ksplat_check.mjs"


def run(quick: bool = False) -> Result:
    result = Result("formats", f"compressed splat files of a real model ({DONUT.name})")
    if not DONUT.is_file():
        result.notes.append(f"skipped: the model is not at {DONUT}")
        return result
    with tempfile.TemporaryDirectory(prefix="bench-formats-") as work:
        _run(Path(work), quick, result)
    return result


def _run(work: Path, quick: bool, result: Result) -> None:
    model = read_ply(DONUT)
    count = len(model)
    standard = work / "standard.ply"
    write_ply(standard, GaussianArrays(
        means=model.means, normals=np.zeros((count, 3)), sh_dc=model.sh_dc, sh_rest=np.zeros((count, 15, 3)),
        opacities=model.opacities, scales=model.scales, rotations=model.rotations))
    own_size, standard_size = DONUT.stat().st_size, standard.stat().st_size

    def row(name, path, seconds, errors, viewer="-"):
        size = path.stat().st_size
        result.rows.append({"format": name, "bytes": size, "bytes/splat": size / count,
                            "x smaller than its .ply": own_size / size,
                            "x smaller than a SH-3 .ply": standard_size / size, "write s": seconds, **errors,
                            "viewer reads": viewer})

    row(".ply (the model)", DONUT, None, {})
    clock = Stopwatch()
    write_splat(work / "model.splat", model)
    seconds = clock.lap()
    back = read_splat(work / "model.splat")
    # write_splat's order: largest first by volume times opacity
    volume = np.exp(model.scales.astype(np.float64)).prod(axis=1)
    order = np.argsort(-(volume * (1.0 / (1.0 + np.exp(-model.opacities.astype(np.float64))))), kind="stable")
    row(".splat", work / "model.splat", seconds, _errors(model, order, back.positions, np.log(back.scales),
                                                         back.quaternions, back.rgba / 255))

    clock.lap()
    order = write_sog(work / "model-sogs.zip", model)
    seconds = clock.lap()
    back = read_sog(work / "model-sogs.zip")
    row("SOGS .zip", work / "model-sogs.zip", seconds, _errors(model, order, back.means, back.scales,
                                                               back.rotations, _rgba(back)))
    with zipfile.ZipFile(work / "model-sogs.zip") as bundle:
        result.notes.append("SOGS files: " + ", ".join(f"{info.filename} {info.file_size:,}"
                                                      for info in bundle.infolist()))

    for level in (0, 1, 2):
        path = work / f"model-{level}.ksplat"
        clock.lap()
        order = write_ksplat(path, model, compression_level=level)
        seconds = clock.lap()
        back = read_ksplat(path)
        row(f".ksplat level {level}", path, seconds,
            _errors(model, order, back.means, back.scales, back.rotations, _rgba(back)), _viewer(path, model, order))

    result.notes += _sorts(model, work, quick)
    sogs = next(r for r in result.rows if r["format"] == "SOGS .zip")
    ksplats = [r for r in result.rows if r["format"].startswith(".ksplat")]
    result.summary = (f"formats: SOGS {sogs['x smaller than its .ply']:.1f}x smaller than the model's .ply "
                      f"({sogs['x smaller than a SH-3 .ply']:.1f}x than a standard SH-3 .ply), positions within "
                      f"{sogs['position error']} of the extent; .ksplat levels 0/1/2 "
                      + "/".join(f"{r['x smaller than its .ply']:.1f}x" for r in ksplats)
                      + "; the viewer's parser: " + "; ".join(r["viewer reads"] for r in ksplats))
    result.notes.append("errors: largest over all splats; position as a share of the model's extent, log scale "
                        "in natural-log units, rotation in degrees, colour and opacity in 8-bit levels of what a "
                        "viewer shows (clamped to 0-255). Levels 1 and 2 of .ksplat differ only in the SH rest, "
                        "which this model has none of.")


def _rgba(g):
    return np.c_[0.5 + SH_C0 * g.sh_dc, 1 / (1 + np.exp(-g.opacities.astype(np.float64)))]


def _errors(model, order, means, log_scales, rotations, rgba):
    extent = float(np.ptp(model.means, 0).max())
    unit = model.rotations[order] / np.linalg.norm(model.rotations[order], axis=1, keepdims=True)
    rotations = rotations / np.linalg.norm(rotations, axis=1, keepdims=True)
    angle = np.degrees(2 * np.arccos(np.clip(np.abs((unit * rotations).sum(1)), 0, 1)))
    # colour as a viewer shows it: clamped to 0-1
    shown, expected = np.clip(np.asarray(rgba, np.float64), 0, 1), np.clip(_rgba(model)[order], 0, 1)
    errors = {"position error": float(np.abs(means - model.means[order]).max()) / extent,
              "log-scale error": float(np.abs(log_scales - model.scales[order]).max()),
              "rotation error": float(angle.max()),
              "colour error": float(np.abs(shown[:, :3] - expected[:, :3]).max()) * 255,
              "opacity error": float(np.abs(shown[:, 3] - expected[:, 3]).max()) * 255}
    return {name: f"{value:.2g}" for name, value in errors.items()}  # two significant digits, however small


def _viewer(path, model, order):
    """The viewer's parser (node) on the file: 'all N, within E' or why it could not run."""
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "@mkkellogg" / "gaussian-splats-3d").exists():
        return "not run (no node or node_modules)"
    run = subprocess.run([node, str(KSPLAT_CHECK), str(path)], capture_output=True, text=True, cwd=ROOT,
                         timeout=600)
    if run.returncode:
        return f"FAILED: {run.stderr.strip().splitlines()[-1] if run.stderr.strip() else run.returncode}"
    read = json.loads(run.stdout)
    centres = np.reshape(read["centers"], (-1, 3))
    error = float(np.abs(centres - model.means[order]).max()) if len(centres) == len(order) else float("nan")
    return f"{read['splatCount']:,}/{len(model):,} splats, centres within {error:.0e}"


def _sorts(model, work, quick):
    """SOGS zip size and grid smoothness for each way of laying the splats out."""
    count = len(model)
    shape = plas.grid_shape(count)
    quats = sog._unit_quaternions(model.rotations)
    log_means = np.sign(model.means) * np.log1p(np.abs(model.means))
    features = sog._sort_features(log_means, model.scales, np.c_[model.sh_dc, model.opacities], quats)
    spare = -np.ones(shape[0] * shape[1] - count, np.int64)
    layouts = {
        "file order": lambda: np.r_[np.arange(count), spare],
        "Morton curve in rows": lambda: np.r_[np.argsort(_morton(model.means)), spare],
        "shelf (PLAS's start)": lambda: plas.shelf_order(features, shape),
        "PLAS (as the pipeline)": lambda: plas.plas_order(features, shape),
    }
    if not quick:
        layouts["PLAS, the paper's schedule"] = lambda: plas.plas_order(features, shape, initial="random",
                                                                        start_radius=None, improvement_break=1e-4)
    notes, original = [], sog.plas_order
    for name, layout in layouts.items():
        clock = Stopwatch()
        order = layout()
        seconds = clock.lap()
        try:
            sog.plas_order = lambda *args, order=order, **kwargs: order
            write_sog(work / "sorted.zip", model)
        finally:
            sog.plas_order = original
        grid = np.zeros((shape[0] * shape[1], features.shape[1]))
        grid[:count] = features[plas.compact(order)]
        smoothness = plas.neighbour_distance(grid.reshape(*shape, -1)[:count // shape[1]])
        notes.append(f"sort {name}: zip {(work / 'sorted.zip').stat().st_size:,} bytes, neighbour distance "
                     f"{smoothness:.3f}, {seconds:.1f} s")
    return notes


def _morton(means):
    q = ((means - means.min(0)) / np.ptp(means, 0) * 1023).astype(np.uint64)
    code = np.zeros(len(means), np.uint64)
    for bit in range(10):
        for axis in range(3):
            code |= ((q[:, axis] >> np.uint64(bit)) & np.uint64(1)) << np.uint64(3 * bit + axis)
    return code
