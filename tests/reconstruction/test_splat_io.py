"""Splat files: the 3DGS .ply (ours and other layouts), the 32-byte .splat, and plain point clouds."""

import numpy as np
import pytest
import torch
from plyfile import PlyData, PlyElement

from captures.reconstruction.gaussians import GaussianModel, render_image
from captures.reconstruction.scene import Camera
from captures.reconstruction.splat_io import (
    SH_C0,
    GaussianArrays,
    ply_property_names,
    read_ply,
    read_splat,
    write_ply,
    write_point_cloud_ply,
    write_splat,
)
from tests.data import SHARED_DATA, needs

DONUT = SHARED_DATA / "models" / "donut_3dgs_fused.ply"


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def random_arrays(n=50, sh_degree=3, seed=0):
    rng = np.random.default_rng(seed)
    return GaussianArrays(
        means=rng.normal(size=(n, 3)), normals=np.zeros((n, 3)), sh_dc=rng.normal(size=(n, 3)),
        sh_rest=rng.normal(size=(n, (sh_degree + 1) ** 2 - 1, 3)) * 0.1, opacities=rng.normal(size=n) * 3,
        scales=rng.normal(size=(n, 3)) - 3, rotations=rng.normal(size=(n, 4)))


def assert_same(a: GaussianArrays, b: GaussianArrays):
    for name in ("means", "normals", "sh_dc", "sh_rest", "opacities", "scales", "rotations"):
        x, y = getattr(a, name), getattr(b, name)
        assert (x is None) == (y is None), name
        if x is not None:
            assert x.shape == y.shape and np.array_equal(x, y), name


def test_ply_round_trips_exactly(tmp_path):
    arrays = random_arrays()
    assert_same(read_ply(write_ply(tmp_path / "g.ply", arrays)), arrays)


def test_ply_round_trips_a_model(tmp_path):
    model = GaussianModel.from_points(np.random.default_rng(1).normal(size=(30, 3)),
                                      np.random.default_rng(2).random((30, 3)), sh_degree=2)
    arrays = read_ply(write_ply(tmp_path / "g.ply", model))
    assert_same(arrays, model.to_arrays())
    assert arrays.sh_degree == 2 and arrays.sh_rest.shape == (30, 8, 3)


def test_ply_has_the_standard_properties_in_order(tmp_path):
    path = write_ply(tmp_path / "g.ply", random_arrays(n=7))
    ply = PlyData.read(str(path))
    assert ply.header.splitlines()[1] == "format binary_little_endian 1.0"
    vertex = ply["vertex"]
    names = [p.name for p in vertex.properties]
    assert names == (["x", "y", "z", "nx", "ny", "nz", "f_dc_0", "f_dc_1", "f_dc_2"]
                     + [f"f_rest_{i}" for i in range(45)]
                     + ["opacity", "scale_0", "scale_1", "scale_2", "rot_0", "rot_1", "rot_2", "rot_3"])
    assert names == ply_property_names(45)
    assert all(p.val_dtype in ("f4", "float32", "float") for p in vertex.properties)
    assert len(vertex.data) == 7


def test_f_rest_is_channel_major_as_the_reference(tmp_path):
    arrays = random_arrays(n=3, sh_degree=1)
    vertex = PlyData.read(str(write_ply(tmp_path / "g.ply", arrays)))["vertex"].data
    # f_rest[c * K + k] is coefficient k + 1 of channel c, K = 3 for degree 1.
    assert vertex["f_rest_4"][1] == np.float32(arrays.sh_rest[1, 1, 1])
    assert vertex["f_rest_6"][2] == np.float32(arrays.sh_rest[2, 0, 2])


def test_reads_ascii_plys_without_normals_and_with_fewer_bands(tmp_path):
    arrays = random_arrays(n=5, sh_degree=1)
    rest = arrays.sh_rest.transpose(0, 2, 1).reshape(5, -1)
    columns = {"x": arrays.means[:, 0], "y": arrays.means[:, 1], "z": arrays.means[:, 2]}
    columns |= {f"f_dc_{i}": arrays.sh_dc[:, i] for i in range(3)}
    columns |= {f"f_rest_{i}": rest[:, i] for i in range(9)}
    columns |= {"opacity": arrays.opacities} | {f"scale_{i}": arrays.scales[:, i] for i in range(3)}
    columns |= {f"rot_{i}": arrays.rotations[:, i] for i in range(4)}
    records = np.empty(5, [(name, "f4") for name in columns])
    for name, values in columns.items():
        records[name] = values
    path = tmp_path / "ascii.ply"
    PlyData([PlyElement.describe(records, "vertex")], text=True).write(str(path))

    read = read_ply(path)
    assert read.normals is None and read.sh_degree == 1
    assert read.sh_rest.shape == (5, 3, 3)
    np.testing.assert_allclose(read.sh_rest, arrays.sh_rest, rtol=1e-6)
    np.testing.assert_allclose(read.means, arrays.means, rtol=1e-6)


def test_rejects_a_ply_that_is_not_a_splat(tmp_path):
    path = write_point_cloud_ply(tmp_path / "points.ply", np.zeros((4, 3)), np.zeros((4, 3)))
    with pytest.raises(ValueError, match="not a Gaussian splat"):
        read_ply(path)


@needs(DONUT)
def test_reads_the_donut_layout_and_renders_it():
    arrays = read_ply(DONUT)
    assert len(arrays) == 45624
    assert arrays.normals is None and arrays.sh_degree == 0 and arrays.sh_rest.shape == (45624, 0, 3)
    assert np.isfinite(arrays.means).all()

    model = GaussianModel.from_arrays(arrays)
    centre = arrays.means.mean(0)
    extent = np.abs(arrays.means - centre).max()
    world_to_camera = np.eye(4)
    world_to_camera[:3, 3] = -centre + [0, 0, 3 * extent]  # looking along +z at the donut
    camera = Camera("front", 48, 48, 40.0, 40.0, 24.0, 24.0, world_to_camera)
    image = render_image(model, camera)
    assert image.shape == (48, 48, 3)
    assert image[20:28, :].any() and not image[:2, :2].any()  # something in the middle, black corners


def test_splat_is_32_bytes_per_gaussian_and_decodes(tmp_path):
    arrays = random_arrays(n=40)
    path = write_splat(tmp_path / "g.splat", arrays)
    assert path.stat().st_size == 32 * 40

    splat = read_splat(path)
    scales = np.exp(arrays.scales)
    opacity = 1 / (1 + np.exp(-arrays.opacities))
    importance = scales.prod(1) * opacity
    order = np.argsort(-importance)
    assert np.all(np.diff(importance[order]) <= 0)
    np.testing.assert_array_equal(splat.positions, arrays.means[order])
    np.testing.assert_allclose(splat.scales, scales[order], rtol=1e-6)
    rgb = np.clip(0.5 + SH_C0 * arrays.sh_dc, 0, 1) * 255
    assert np.abs(splat.rgba[:, :3].astype(float) - rgb[order]).max() <= 0.5
    assert np.abs(splat.rgba[:, 3].astype(float) - opacity[order] * 255).max() <= 0.5
    unit = arrays.rotations / np.linalg.norm(arrays.rotations, axis=1, keepdims=True)
    assert np.abs(splat.quaternions - unit[order]).max() <= 1 / 128


def test_point_cloud_ply(tmp_path):
    points = np.random.default_rng(0).normal(size=(10, 3))
    colors = np.linspace(0, 1, 30).reshape(10, 3)
    vertex = PlyData.read(str(write_point_cloud_ply(tmp_path / "p.ply", points, colors)))["vertex"]
    assert [p.name for p in vertex.properties] == ["x", "y", "z", "red", "green", "blue"]
    assert vertex["red"].dtype == np.uint8
    np.testing.assert_allclose(vertex["x"], points[:, 0], rtol=1e-6)
    np.testing.assert_array_equal(vertex["blue"], np.rint(colors[:, 2] * 255).astype(np.uint8))


def test_model_from_arrays_keeps_values_and_bands():
    arrays = random_arrays(n=6, sh_degree=2)
    model = GaussianModel.from_arrays(arrays)
    assert model.max_sh_degree == model.active_sh_degree == 2
    assert torch.equal(model.opacity_logits, torch.as_tensor(arrays.opacities))
    assert_same(model.to_arrays(), arrays)
