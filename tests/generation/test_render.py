"""The avatar renderer and its files, on a figure made of primitives: a blue capsule body, a yellow head, a
red marker on the chest and a green one on the figure's left side (+X), all in scene.py's axes."""

import imageio_ffmpeg
import numpy as np
import pytest
import trimesh
from PIL import Image

from generation.avatar.export import write_glb, write_jpeg, write_mp4, write_thumbnail
from generation.avatar.render import Renderer, vertex_normals
from generation.avatar.scene import VIEWS, Figure, Part

WIDTH, HEIGHT = 128, 192
GREY = (0.5, 0.5, 0.5)
PEACH = (1.0, 0.894, 0.859)  # seed 003's FFE4DB


def _part(name, mesh, color, **material):
    return Part(name, np.asarray(mesh.vertices, np.float32), np.asarray(mesh.faces, np.int32), color, **material)


def _upright_capsule(radius, length):
    """A capsule standing on y = 0 (trimesh builds them along Z, centred)."""
    capsule = trimesh.creation.capsule(height=length, radius=radius, count=[24, 24])
    capsule.apply_transform(trimesh.transformations.rotation_matrix(-np.pi / 2, [1, 0, 0]))
    capsule.apply_translation([0, length / 2 + radius, 0])
    return capsule


def _sphere(radius, centre):
    sphere = trimesh.creation.icosphere(subdivisions=3, radius=radius)
    sphere.apply_translation(centre)
    return sphere


@pytest.fixture(scope="module")
def figure():
    return Figure([
        _part("body", _upright_capsule(0.2, 1.0), (0.25, 0.35, 0.8), roughness=0.8, cloth=True),
        _part("head", _sphere(0.13, [0, 1.5, 0]), (0.95, 0.85, 0.1), roughness=0.5),
        _part("chest", _sphere(0.06, [0, 1.0, 0.22]), (0.9, 0.1, 0.1), roughness=0.3),  # in front of the chest
        _part("left", _sphere(0.06, [0.22, 1.0, 0]), (0.1, 0.8, 0.2), roughness=0.3),  # on the figure's left
    ])


@pytest.fixture(scope="module")
def renderer():
    with Renderer(WIDTH, HEIGHT) as shared:
        yield shared


def _red(image):
    r, g, b = (image[..., i].astype(int) for i in range(3))
    return (r > 110) & (g < 0.45 * r) & (b < 0.45 * r)


def _green(image):
    r, g, b = (image[..., i].astype(int) for i in range(3))
    return (g > 90) & (r < 0.6 * g) & (b < 0.6 * g)


def _yellow(image):
    r, g, b = (image[..., i].astype(int) for i in range(3))
    return (r > 90) & (g > 0.7 * r) & (b < 0.5 * g)


def test_normals_are_smooth_even_across_split_vertices():
    """A sphere whose triangles share no vertex (a mesh cut along seams, taken to the limit) still gets the
    sphere's radial normals, not its facets'."""
    sphere = trimesh.creation.uv_sphere(radius=0.5, count=[16, 16])
    split = sphere.vertices[sphere.faces].reshape(-1, 3)
    normals = vertex_normals(split, np.arange(len(split)).reshape(-1, 3))
    radial = split / np.linalg.norm(split, axis=1, keepdims=True)
    assert (normals * radial).sum(1).min() > np.cos(np.radians(3))


def test_render_is_an_rgb_picture_of_the_asked_size(renderer, figure):
    image = renderer.render(figure)
    assert image.shape == (HEIGHT, WIDTH, 3) and image.dtype == np.uint8
    assert _yellow(image).any() and _red(image).any()


def test_background_fills_the_corners_exactly(renderer, figure):
    expected = np.round(np.array(PEACH) * 255).astype(np.uint8)
    for view, mode in [("Front", 0), ("BackLeft", 0), ("Left", 1), ("Front", 2)]:
        image = renderer.render(figure, view=view, view_mode=mode, background=PEACH)
        for corner in (image[:4, :4], image[:4, -4:], image[-4:, :4], image[-4:, -4:]):
            assert (corner == expected).all(), (view, mode)


def test_the_chest_marker_shows_from_the_front_and_is_hidden_from_the_back(renderer, figure):
    assert _red(renderer.render(figure, view="Front", background=GREY)).sum() > 20
    assert _red(renderer.render(figure, view="Back", background=GREY)).sum() == 0


def test_left_view_looks_at_the_figures_left_side(renderer, figure):
    """Left: the camera on +X (the figure's left), the figure facing the image's left."""
    left = renderer.render(figure, view="Left", background=GREY)
    right = renderer.render(figure, view="Right", background=GREY)
    assert _green(left).sum() > 20 and _green(right).sum() == 0
    body_centre = WIDTH / 2
    assert np.nonzero(_red(left))[1].mean() < body_centre < np.nonzero(_red(right))[1].mean()


def test_diagonal_views_see_between_their_neighbours(renderer, figure):
    front_left = renderer.render(figure, view="FrontLeft", background=GREY)
    assert _red(front_left).sum() > 10 and _green(front_left).sum() > 10  # both the chest and the left side


def test_yaw_turns_the_figure_counter_clockwise_seen_from_above(renderer, figure):
    """Turning the figure by +90 degrees shows its right side: the same picture as the Right view."""
    assert np.array_equal(renderer.render(figure, yaw=90.0), renderer.render(figure, view="Right"))
    assert np.array_equal(renderer.render(figure, yaw=-90.0), renderer.render(figure, view="Left"))
    assert not np.array_equal(renderer.render(figure, yaw=20.0), renderer.render(figure))


def test_closer_view_modes_frame_the_head_larger(renderer, figure):
    areas = [_yellow(renderer.render(figure, view_mode=mode, background=GREY)).sum() for mode in (0, 1, 2)]
    assert 0 < areas[0] < areas[1] < areas[2]
    assert areas[2] > 4 * areas[0]
    head = renderer.render(figure, view_mode=2, background=GREY)
    rows = np.nonzero(_yellow(head).any(1))[0]
    assert rows[0] > 0  # the top of the head is in the picture, with a margin
    assert rows[-1] < HEIGHT * 0.75  # and the shoulders below it


def test_anti_aliasing_blends_the_silhouette(figure):
    """A dark matte figure on white: multisampled edges hold in-between greys, single-sampled ones do not."""
    dark = Figure([Part(p.name, p.vertices, p.faces, (0.0, 0.0, 0.0), roughness=1.0) for p in figure.parts])

    def blended(samples):
        with Renderer(WIDTH, HEIGHT, samples=samples) as one:
            image = one.render(dark, view_mode=1, background=(1.0, 1.0, 1.0)).min(axis=2)
        return ((image > 90) & (image < 190)).sum()

    assert blended(0) == 0
    assert blended(4) > 30


def test_a_soft_shadow_grounds_the_feet(renderer, figure):
    image = renderer.render(figure, background=GREY).astype(int)
    grey = round(GREY[0] * 255)
    coloured = image.max(2) - image.min(2) > 30  # the figure; the shadow is a darker grey
    figure_rows = np.nonzero(coloured.any(1))[0]
    below_feet = image[figure_rows[-1] + 1:, WIDTH // 2 - 5: WIDTH // 2 + 5]
    assert below_feet.size and below_feet.min() < grey - 10  # darker under the figure ...
    assert (image[figure_rows[-1] + 1:, :3] == grey).all()  # ... and untouched at the sides


def test_the_renderer_is_reused_frame_after_frame(renderer, figure):
    first = renderer.render(figure, view="FrontRight", background=PEACH)
    for yaw in (10.0, 200.0):
        renderer.render(figure, yaw=yaw)
    assert np.array_equal(renderer.render(figure, view="FrontRight", background=PEACH), first)


def test_renderers_take_turns(renderer, figure):
    """Each render makes its own GL context current, so two renderers in one process do not mix."""
    before = renderer.render(figure, view="Back")
    with Renderer(64, 64) as other:
        other.render(figure)
    assert np.array_equal(renderer.render(figure, view="Back"), before)


def test_unknown_views_and_empty_figures_are_refused(renderer, figure):
    with pytest.raises(ValueError, match="unknown view"):
        renderer.render(figure, view="Top")
    with pytest.raises(ValueError, match="unknown view_mode"):
        renderer.render(figure, view_mode=3)
    with pytest.raises(ValueError, match="no triangles"):
        renderer.render(Figure([]))
    assert set(VIEWS) == {"Front", "Back", "Left", "Right", "FrontLeft", "FrontRight", "BackLeft", "BackRight"}


def test_jpeg_and_thumbnail(renderer, figure, tmp_path):
    image = renderer.render(figure, background=PEACH)
    full = write_jpeg(image, tmp_path / "avatar.jpg", quality=100)
    thumbnail = write_thumbnail(image, tmp_path / "thumb.jpg", 64)
    with Image.open(full) as decoded:
        assert decoded.format == "JPEG" and decoded.size == (WIDTH, HEIGHT)
        assert np.abs(np.asarray(decoded, dtype=int) - image).mean() < 2
    with Image.open(thumbnail) as small:
        assert small.size == (64, 96)


def test_glb_holds_one_mesh_per_part_with_its_material(figure, tmp_path):
    path = write_glb(figure, tmp_path / "avatar.glb")
    scene = trimesh.load(path)
    assert sorted(scene.geometry) == sorted(part.name for part in figure.parts)
    for part in figure.parts:
        mesh = scene.geometry[part.name]
        assert (len(mesh.vertices), len(mesh.faces)) == (len(part.vertices), len(part.faces))
        np.testing.assert_allclose(mesh.bounds, [part.vertices.min(0), part.vertices.max(0)], atol=1e-6)
        material = mesh.visual.material
        assert material.roughnessFactor == pytest.approx(part.roughness)
    red = scene.geometry["chest"].visual.material.baseColorFactor
    assert red[0] > 150 and red[1] < 10 and red[2] < 10  # stored linear: sRGB 0.1 is 0.01


def test_turntable_mp4(renderer, figure, tmp_path):
    frames = (renderer.render(figure, yaw=yaw, background=PEACH) for yaw in np.linspace(0, 360, 12, endpoint=False))
    path = write_mp4(frames, tmp_path / "turntable.mp4", fps=12)
    assert imageio_ffmpeg.count_frames_and_secs(str(path)) == (12, 1.0)
    reader = imageio_ffmpeg.read_frames(str(path))
    assert next(reader)["size"] == (WIDTH, HEIGHT)
    reader.close()
