"""Compressed splat formats: the PLAS 2D sort, SOGS zips (Self-Organizing Gaussians) and the viewer's .ksplat."""

import io
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from captures.reconstruction.formats.ksplat import read_ksplat, splat_dtype, write_ksplat
from captures.reconstruction.formats.plas import compact, grid_shape, neighbour_distance, plas_order, shelf_order
from captures.reconstruction.formats.sog import FILES, read_sog, write_sog
from captures.reconstruction.splat_io import SH_C0, GaussianArrays, read_ply
from tests.conftest import SHARED_DATA

DONUT = SHARED_DATA / "models" / "donut_3dgs_fused.ply"
ROOT = Path(__file__).resolve().parents[2]
KSPLAT_CHECK = Path(__file__).with_name("ksplat_check.mjs")
VIEWER_PACKAGE = ROOT / "node_modules" / "@mkkellogg" / "gaussian-splats-3d"


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def torus(n=1500, sh_degree=3, seed=0):
    """Splats as a trained object has them: on a surface (a torus, 3 units across), colour and size varying
    smoothly over it, random orientations, view-dependent colour small."""
    rng = np.random.default_rng(seed)
    u, v = rng.uniform(0, 2 * np.pi, n), rng.uniform(0, 2 * np.pi, n)
    means = np.stack([(1 + 0.4 * np.cos(v)) * np.cos(u), (1 + 0.4 * np.cos(v)) * np.sin(u), 0.4 * np.sin(v)], 1)
    colours = np.stack([0.5 + 0.4 * np.cos(u), 0.5 + 0.4 * np.sin(v), 0.5 + 0.3 * np.cos(u + v)], 1)
    return GaussianArrays(
        means=means + rng.normal(0, 0.01, (n, 3)), sh_dc=(colours - 0.5) / SH_C0 + rng.normal(0, 0.1, (n, 3)),
        sh_rest=rng.normal(0, 0.05, (n, (sh_degree + 1) ** 2 - 1, 3)),
        opacities=rng.normal(2, 1.5, n), scales=np.log(0.02 + 0.01 * np.cos(u))[:, None] + rng.normal(0, 0.3, (n, 3)),
        rotations=rng.normal(size=(n, 4)))


def features(g):
    columns = np.concatenate([g.means, g.scales, g.sh_dc, g.opacities[:, None]], axis=1)
    return ((columns - columns.min(0)) / np.ptp(columns, 0)).astype(np.float32)


def laid_out(values, order, shape):
    """The (H, W, C) grid of `values` in a layout's reading order, full rows only (spare cells are in the last)."""
    height, width = shape
    cells = np.zeros((height * width, values.shape[1]))
    rows = compact(order)
    cells[:len(rows)] = values[rows]
    return cells.reshape(height, width, -1)[:len(rows) // width]


def morton_order(means, cells):
    """Rows by their 3D Morton code (10 bits an axis), the 1D order some writers lay out instead of a 2D sort."""
    q = ((means - means.min(0)) / np.ptp(means, 0) * 1023).astype(np.uint64)
    code = np.zeros(len(means), np.uint64)
    for bit in range(10):
        for axis in range(3):
            code |= ((q[:, axis] >> np.uint64(bit)) & np.uint64(1)) << np.uint64(3 * bit + axis)
    return np.r_[np.argsort(code), -np.ones(cells - len(means), np.int64)]


# --- PLAS ---------------------------------------------------------------------------------------------------


def test_plas_lays_every_splat_out_once_and_puts_alike_splats_side_by_side():
    g = torus(1500)
    values = features(g)
    shape = grid_shape(len(g))
    assert shape == (39, 39)  # 1521 cells for 1500 splats: 21 spare
    order = plas_order(values, shape)
    assert order.shape == (1521,) and np.count_nonzero(order < 0) == 21
    assert sorted(compact(order).tolist()) == list(range(1500))

    def distance(layout):
        return neighbour_distance(laid_out(values, layout, shape))

    shuffled = np.r_[np.random.default_rng(1).permutation(1500), -np.ones(21, np.int64)]
    sorted_2d, by_morton, by_shelf = distance(order), distance(morton_order(g.means, 1521)), distance(
        shelf_order(values, shape))
    # The sort's refinement does the work: far better than the quick shelf layout it starts from, than a Morton
    # curve laid out in rows, and than no order at all.
    assert sorted_2d < 0.75 * by_shelf and sorted_2d < 0.75 * by_morton and sorted_2d < 0.25 * distance(shuffled)
    # The paper's own schedule (random start, radius from half the grid) sorts as well.
    assert distance(plas_order(values, shape, initial="random", start_radius=None)) < 0.75 * by_morton
    assert np.array_equal(plas_order(values, shape), order)  # seeded: the same layout every time


def test_plas_handles_grids_too_small_to_sort():
    assert grid_shape(0) == (1, 1) and grid_shape(1) == (1, 1) and grid_shape(5) == (2, 3)
    assert plas_order(np.zeros((0, 3)), (1, 1)).tolist() == [-1]
    assert sorted(compact(plas_order(np.eye(3), (2, 2))).tolist()) == [0, 1, 2]
    with pytest.raises(ValueError, match="fewer than 10 cells"):
        plas_order(np.zeros((10, 2)), (3, 3))


# --- SOGS ---------------------------------------------------------------------------------------------------


def webp_pixels(data):
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "WEBP"
        return np.asarray(image.convert("RGBA"))


def test_a_sogs_zip_holds_the_six_files_of_the_layout(tmp_path):
    g = torus(1000)
    order = write_sog(tmp_path / "model.zip", g)
    with zipfile.ZipFile(tmp_path / "model.zip") as bundle:
        assert sorted(bundle.namelist()) == sorted(["meta.json", *FILES])
        meta = json.loads(bundle.read("meta.json"))
        images = {name: bundle.read(name) for name in FILES}
    assert set(meta) == {"means", "scales", "quats", "sh0"}
    assert meta["means"]["shape"] == [1000, 3] and meta["means"]["files"] == ["means_l.webp", "means_u.webp"]
    assert meta["scales"]["shape"] == [1000, 3] and meta["scales"]["files"] == ["scales.webp"]
    assert meta["quats"] == {"shape": [1000, 4], "dtype": "uint8", "encoding": "quaternion_packed",
                             "files": ["quats.webp"]}
    assert meta["sh0"]["shape"] == [1000, 1, 4] and meta["sh0"]["files"] == ["sh0.webp"]
    assert len(meta["sh0"]["mins"]) == len(meta["sh0"]["maxs"]) == 4
    log_means = np.sign(g.means) * np.log1p(np.abs(g.means))
    np.testing.assert_allclose(meta["means"]["mins"], log_means.min(0), rtol=1e-6)
    np.testing.assert_allclose(meta["means"]["maxs"], log_means.max(0), rtol=1e-6)

    for name, data in images.items():
        assert data[:4] == b"RIFF" and data[8:16] == b"WEBPVP8L", f"{name} is not lossless WebP"
        assert webp_pixels(data).shape[:2] == (32, 32)  # 1024 pixels for 1000 splats
    quats = webp_pixels(images["quats.webp"]).reshape(-1, 4)
    assert set(np.unique(quats[:1000, 3])) <= {252, 253, 254, 255} and not quats[1000:].any()
    # The images are in the sort's order: pixel i holds splat order[i]
    assert sorted(order.tolist()) == list(range(1000))
    opacity = webp_pixels(images["sh0.webp"]).reshape(-1, 4)[:1000, 3]
    low, high = meta["sh0"]["mins"][3], meta["sh0"]["maxs"][3]
    np.testing.assert_array_equal(opacity, np.rint((g.opacities[order] - low) / (high - low) * 255))


def test_a_sogs_zip_reads_back_within_its_quantisation(tmp_path):
    g = torus(1200)
    order = write_sog(tmp_path / "model.zip", g)
    back = read_sog(tmp_path / "model.zip")
    assert len(back) == 1200 and back.sh_rest.shape == (1200, 0, 3)
    source = GaussianArrays(means=g.means[order], sh_dc=g.sh_dc[order], sh_rest=g.sh_rest[order],
                            opacities=g.opacities[order], scales=g.scales[order], rotations=g.rotations[order])
    # positions: 16 bits over the log-transformed range, so at most half a step there, stretched by exp
    log_span = np.ptp(np.sign(g.means) * np.log1p(np.abs(g.means)), 0)
    assert np.all(np.abs(back.means - source.means) <= (np.abs(source.means) + 1) * log_span / 65535 / 2 + 1e-6)
    # scales, colours and opacity: 8 bits over each column's range
    assert np.all(np.abs(back.scales - source.scales) <= np.ptp(g.scales, 0) / 255 / 2 + 1e-5)
    assert np.all(np.abs(back.sh_dc - source.sh_dc) <= np.ptp(g.sh_dc, 0) / 255 / 2 + 1e-5)
    assert np.all(np.abs(back.opacities - source.opacities) <= np.ptp(g.opacities) / 255 / 2 + 1e-5)
    # rotations: the same rotation (q or -q) to within a degree
    unit = source.rotations / np.linalg.norm(source.rotations, axis=1, keepdims=True)
    np.testing.assert_allclose(np.linalg.norm(back.rotations, axis=1), 1, atol=1e-5)
    angle = np.degrees(2 * np.arccos(np.clip(np.abs((unit * back.rotations).sum(1)), 0, 1)))
    assert angle.max() < 1.0


def test_a_sogs_zip_of_one_splat_keeps_its_flat_ranges_exactly(tmp_path):
    g = GaussianArrays(means=[[0.5, -2.0, 3.0]], sh_dc=[[0.1, 0.2, 0.3]], sh_rest=np.zeros((1, 0, 3)),
                       opacities=[1.5], scales=[[-4.0, -4.5, -5.0]], rotations=[[0.0, 0.0, -1.0, 0.0]])
    assert write_sog(tmp_path / "one.zip", g).tolist() == [0]
    back = read_sog(tmp_path / "one.zip")
    np.testing.assert_allclose(back.means, g.means, rtol=1e-6)
    np.testing.assert_allclose(back.scales, g.scales)
    np.testing.assert_allclose(back.sh_dc, g.sh_dc)
    np.testing.assert_allclose(back.opacities, g.opacities)
    # -q, its largest component made positive; a kept 0 comes back as the nearest level, 0.5 / 255 * sqrt(2) off
    np.testing.assert_allclose(back.rotations, [[0.0, 0.0, 1.0, 0.0]], atol=0.0028)


@pytest.mark.skipif(not DONUT.exists(), reason=f"real model not found at {DONUT}")
def test_a_real_model_compresses_and_reads_back(tmp_path):
    donut = read_ply(DONUT)
    keep = np.argsort(np.linalg.norm(donut.means - donut.means[0], axis=1))[:4000]  # one piece of the donut
    g = GaussianArrays(means=donut.means[keep], sh_dc=donut.sh_dc[keep], sh_rest=donut.sh_rest[keep],
                       opacities=donut.opacities[keep], scales=donut.scales[keep], rotations=donut.rotations[keep])
    order = write_sog(tmp_path / "donut.zip", g)
    back = read_sog(tmp_path / "donut.zip")
    # 14 float32 a splat in the .ply, about 13 bytes in the zip
    assert (tmp_path / "donut.zip").stat().st_size < 4000 * 14 * 4 / 3
    assert np.abs(back.means - g.means[order]).max() < 1e-4 * np.ptp(g.means, 0).max()
    assert np.abs(back.sh_dc - g.sh_dc[order]).max() <= np.ptp(g.sh_dc, 0).max() / 510 + 1e-5


# --- .ksplat -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("level", "bytes_per_splat"), [(0, 44 + 24 * 4), (1, 24 + 24 * 2), (2, 24 + 24)])
def test_a_ksplat_has_the_libraries_layout_and_reads_back(tmp_path, level, bytes_per_splat):
    g = torus(700)
    g.means *= 4  # 12 units across: several 5-unit buckets
    order = write_ksplat(tmp_path / "model.ksplat", g, compression_level=level, bucket_size=64)
    data = (tmp_path / "model.ksplat").read_bytes()
    assert splat_dtype(level, 2).itemsize == bytes_per_splat  # SH up to degree 2, the format's most
    header = np.frombuffer(data[:4096], np.uint8)
    assert header[:2].tolist() == [0, 1] and header[4:20].view("<u4").tolist() == [1, 1, 700, 700]
    assert int(header[20:22].view("<u2")[0]) == level
    section = np.frombuffer(data[4096:5120], np.uint8)
    words = section[:40].view("<u4")
    assert int(section[40:42].view("<u2")[0]) == 2
    if level:
        full, partial, buckets = int(words[8]), int(words[9]), int(words[3])
        assert words[2] == 64 and full >= 1 and partial >= 1 and buckets == full + partial
        assert len(data) == 5120 + partial * 4 + buckets * 12 + 700 * bytes_per_splat == 5120 + words[7]
    else:
        assert words[2:4].tolist() == [0, 0] and len(data) == 5120 + 700 * bytes_per_splat
    assert sorted(order.tolist()) == list(range(700))

    back = read_ksplat(tmp_path / "model.ksplat")
    position_step = 0 if level == 0 else 2.5 / 32767
    assert np.abs(back.means - g.means[order]).max() <= position_step / 2 + 1e-5
    half = 0 if level == 0 else 2 ** -11  # float16's relative precision
    np.testing.assert_allclose(np.exp(back.scales), np.exp(g.scales[order]), rtol=half + 1e-6)
    unit = g.rotations[order] / np.linalg.norm(g.rotations[order], axis=1, keepdims=True)
    np.testing.assert_allclose(back.rotations, unit, atol=half + 1e-6)
    colour = np.clip(np.rint(np.c_[0.5 + SH_C0 * g.sh_dc[order], 1 / (1 + np.exp(-g.opacities[order]))] * 255), 0,
                     255)
    # 8-bit colour and opacity read back as the same levels (0 and 255 opacity as half a level in: no logit is
    # infinite)
    read = np.c_[0.5 + SH_C0 * back.sh_dc, 1 / (1 + np.exp(-back.opacities))] * 255
    np.testing.assert_array_equal(np.rint(read[:, :3]), colour[:, :3])
    np.testing.assert_allclose(read[:, 3], np.clip(colour[:, 3], 0.5, 254.5), atol=1e-3)
    rest = g.sh_rest[order][:, :8]
    sh_step = {0: 1e-6, 1: 2 ** -11 * np.abs(rest).max(), 2: np.ptp(rest) / 255 / 2 + 1e-6}[level]
    assert back.sh_rest.shape == (700, 8, 3) and np.abs(back.sh_rest - rest).max() <= sh_step


def test_a_ksplat_keeps_the_sh_asked_for(tmp_path):
    write_ksplat(tmp_path / "plain.ksplat", torus(50), compression_level=1, sh_degree=0)
    assert (tmp_path / "plain.ksplat").stat().st_size == 5120 + 4 + 12 + 50 * 24  # one partly filled bucket
    assert read_ksplat(tmp_path / "plain.ksplat").sh_rest.shape == (50, 0, 3)
    write_ksplat(tmp_path / "one.ksplat", torus(50, sh_degree=1), compression_level=0)
    assert read_ksplat(tmp_path / "one.ksplat").sh_rest.shape == (50, 3, 3)


def viewer_reads(path):
    """What the dashboard's splat viewer reads from a .ksplat: its own parser, run in node."""
    node = shutil.which("node")
    if node is None or not (VIEWER_PACKAGE / "build").exists():
        pytest.skip("node or node_modules/@mkkellogg/gaussian-splats-3d is missing: run `npm ci` (make install)")
    run = subprocess.run([node, str(KSPLAT_CHECK), str(path)], capture_output=True, text=True, timeout=120,
                         cwd=ROOT)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


@pytest.mark.parametrize("level", [0, 1, 2])
def test_the_viewers_own_parser_reads_our_ksplat(tmp_path, level):
    g = torus(600)
    g.means *= 4
    order = write_ksplat(tmp_path / "model.ksplat", g, compression_level=level, bucket_size=64)
    ours = read_ksplat(tmp_path / "model.ksplat")
    viewer = viewer_reads(tmp_path / "model.ksplat")
    assert viewer["splatCount"] == 600 and viewer["compressionLevel"] == level and viewer["shDegree"] == 2
    centres = np.reshape(viewer["centers"], (-1, 3))
    assert np.abs(centres - g.means[order]).max() <= (0 if level == 0 else 2.5 / 32767 / 2) + 1e-5
    np.testing.assert_allclose(centres, ours.means, atol=1e-5)
    np.testing.assert_allclose(np.reshape(viewer["scales"], (-1, 3)), np.exp(ours.scales), rtol=1e-5)
    # the viewer hands rotations out as (x, y, z, w), with w made positive
    w_first = np.roll(np.reshape(viewer["rotations"], (-1, 4)), 1, axis=1)
    np.testing.assert_allclose(w_first, ours.rotations * np.where(ours.rotations[:, :1] < 0, -1, 1), atol=1e-3)
    colour = np.c_[0.5 + SH_C0 * ours.sh_dc, 1 / (1 + np.exp(-ours.opacities))] * 255
    viewer_colour = np.reshape(viewer["colors"], (-1, 4))
    np.testing.assert_allclose(viewer_colour[:, :3], colour[:, :3], atol=1e-3)
    np.testing.assert_allclose(viewer_colour[:, 3], colour[:, 3], atol=0.5)  # ours reads 0 and 255 half a level in
    # its SH come out coefficient by coefficient, r g b each (8-bit at level 2, read with the header's range)
    sh = np.reshape(viewer["sh"], (-1, 8, 3))
    if level == 2:
        low, high = viewer["shRange"]
        sh = sh / 255 * (high - low) + low
    np.testing.assert_allclose(sh, ours.sh_rest, atol=1e-5)
