"""Offscreen studio render of a Figure: moderngl on EGL (Mesa llvmpipe on the CPU, the GPU's driver where
there is one), so it runs headless on any worker.

Conventions (scene.py's: metres, +Y up, the figure faces +Z):

- `view` puts the camera around the figure at an azimuth measured from +Z towards +X: Front on +Z, Left on
  +X (the figure's own left side: a left profile, the face pointing to the image's left), Back on -Z, Right
  on -X, and the diagonals between them (FrontLeft at +Z+X, ...).
- `yaw` turns the figure counter-clockwise seen from above (about +Y), in degrees. Turning the figure is the
  same as moving the camera the other way, so `view="Front", yaw=90` is the Right view and `yaw=-90` the
  Left view.
- The studio lights move with the camera (key upper left, fill right, two rims behind, a sky/floor
  hemisphere), so every view is lit like a product shot.
- Colours are sRGB in (Part.color, `background`), lit in linear light, tone-mapped (Khronos PBR Neutral,
  which keeps albedos' hues) and encoded to sRGB per pixel; the multisample resolve and the shadow's
  darkening then work on those sRGB values (8-bit targets draw twice as fast on llvmpipe).
- The floor is the background colour itself, an endless studio sweep, darkened only by a soft contact
  shadow under the feet; pixels the figure and its shadow do not touch are exactly the background colour.
"""

from __future__ import annotations

import math

import moderngl
import numpy as np
from scipy.ndimage import gaussian_filter

from .scene import VIEW_MODES, VIEWS, Figure

# Camera azimuth per view, degrees from +Z towards +X (see the module docstring).
VIEW_AZIMUTH = {"Front": 0.0, "FrontLeft": 45.0, "Left": 90.0, "BackLeft": 135.0, "Back": 180.0,
                "BackRight": -135.0, "Right": -90.0, "FrontRight": -45.0}
assert set(VIEW_AZIMUTH) == set(VIEWS)

FOV_Y = 24.0  # degrees: a portrait lens (~55 mm on full frame), modest perspective
MARGIN = 0.04  # of the figure's height H, around the full body (view_mode 0)
# view_modes 1 and 2 as fractions of H, from the top of the head: (bottom of the picture below it, margin
# above it, narrowest half-width of the picture).
FRAMING = {1: (0.48, 0.04, 0.18), 2: (0.26, 0.035, 0.12)}
assert {0, *FRAMING} == set(VIEW_MODES)
HEAD_SHARE = 0.13  # the top 13% of a human's height is the head: frames 1 and 2 centre on it

# Lights in camera-relative axes (x right, y up, z towards the camera): direction towards the light and
# linear RGB intensity (diffuse = albedo * intensity * n.l).
LIGHTS = (
    ((-0.75, 0.50, 0.45), (1.70, 1.62, 1.52)),  # key: upper left, slightly warm, from the side for shape
    ((0.80, 0.05, 0.60), (0.16, 0.17, 0.20)),  # fill: right, low, cool
    ((0.70, 0.35, -0.62), (0.80, 0.80, 0.85)),  # rim: behind right
    ((-0.70, 0.30, -0.65), (0.50, 0.50, 0.55)),  # rim: behind left
)
SKY = (0.15, 0.155, 0.175)  # hemisphere ambient from above ...
FLOOR = (0.06, 0.055, 0.05)  # ... and bounced from the floor

SHADOW_TEXELS = 256
CONTACT_FALLOFF, CONTACT_BLUR = 0.025, 0.012  # metres: how fast the dark contact fades with height; its blur
AMBIENT_FALLOFF, AMBIENT_BLUR = 0.30, 0.10  # the broad soft occlusion of the whole lower body
CONTACT_STRENGTH, AMBIENT_STRENGTH = 0.72, 0.42


_FIGURE_VS = """
#version 330
uniform mat4 u_view_projection;
in vec3 in_position;
in vec3 in_normal;
out vec3 v_position;
out vec3 v_normal;
void main() {
    v_position = in_position;
    v_normal = in_normal;
    gl_Position = u_view_projection * vec4(in_position, 1.0);
}
"""

_FIGURE_FS = """
#version 330
const float PI = 3.14159265;
const int LIGHT_COUNT = %(lights)d;
uniform vec3 u_eye;
uniform vec3 u_albedo;  // linear
uniform float u_roughness;
uniform bool u_cloth;
uniform vec3 u_light_direction[LIGHT_COUNT];
uniform vec3 u_light_color[LIGHT_COUNT];
uniform vec3 u_sky;
uniform vec3 u_floor;
uniform float u_floor_y;
uniform float u_height;
in vec3 v_position;
in vec3 v_normal;
out vec4 f_color;

float ggx(float nh, float a) {
    float a2 = a * a;
    float d = nh * nh * (a2 - 1.0) + 1.0;
    return a2 / (PI * d * d);
}

float smith_visibility(float nl, float nv, float a) {  // height-correlated Smith, approximated
    return 0.5 / max(nl * (nv * (1.0 - a) + a) + nv * (nl * (1.0 - a) + a), 1e-4);
}

float charlie(float nh, float a) {  // the fabric sheen distribution (Estevez & Kulla)
    float inverse = 1.0 / a;
    float sin2 = max(1.0 - nh * nh, 0.0078125);
    return (2.0 + inverse) * pow(sin2, inverse * 0.5) / (2.0 * PI);
}

vec3 neutral_tonemap(vec3 color) {  // Khronos PBR Neutral: albedos under unit light stay as they are
    const float start = 0.76;
    const float desaturation = 0.15;
    float x = min(color.r, min(color.g, color.b));
    float offset = x < 0.08 ? x - 6.25 * x * x : 0.04;
    color -= offset;
    float peak = max(color.r, max(color.g, color.b));
    if (peak < start) return color;
    const float d = 1.0 - start;
    float new_peak = 1.0 - d * d / (peak + d - start);
    color *= new_peak / peak;
    float g = 1.0 - 1.0 / (desaturation * (peak - new_peak) + 1.0);
    return mix(color, vec3(new_peak), g);
}

void main() {
    vec3 n = normalize(v_normal);
    vec3 v = normalize(u_eye - v_position);
    if (!gl_FrontFacing) n = -n;  // single-sided cloth seen from inside
    float nv = max(dot(n, v), 1e-3);
    float rough = clamp(u_roughness, 0.04, 1.0);
    float a = rough * rough;
    // Cloth reflects little directly (f0 lower) and shows a sheen instead.
    float f0 = u_cloth ? 0.02 : 0.04;
    float wrap = u_cloth ? 0.2 : 0.1;  // a softer terminator, as light scatters into skin and fabric
    vec3 sheen_color = mix(u_albedo, vec3(1.0), 0.35) * 0.6;

    // Near the floor the surroundings are darker (a cheap ambient occlusion along the height).
    float above = clamp((v_position.y - u_floor_y) / (0.25 * u_height), 0.0, 1.0);
    float occlusion = mix(0.55, 1.0, sqrt(above));

    vec3 hemisphere = mix(u_floor, u_sky, 0.5 + 0.5 * n.y);
    vec3 color = u_albedo * hemisphere * occlusion;
    float fresnel_view = f0 + (1.0 - f0) * pow(1.0 - nv, 5.0);
    color += hemisphere * occlusion * fresnel_view * (1.0 - rough) * 0.5;  // soft environment reflection
    if (u_cloth) color += sheen_color * hemisphere * occlusion * pow(1.0 - nv, 3.0) * 0.8;

    for (int i = 0; i < LIGHT_COUNT; i++) {
        vec3 l = u_light_direction[i];
        vec3 h = normalize(l + v);
        float nl_raw = dot(n, l);
        float nl = max(nl_raw, 0.0);
        float nh = max(dot(n, h), 0.0);
        float diffuse = max((nl_raw + wrap) / (1.0 + wrap), 0.0);
        float fresnel = f0 + (1.0 - f0) * pow(1.0 - max(dot(v, h), 0.0), 5.0);
        float specular = ggx(nh, a) * smith_visibility(nl, nv, a) * fresnel * nl * PI;
        vec3 light = u_light_color[i];
        color += light * (u_albedo * diffuse * (1.0 - fresnel) + specular);
        if (u_cloth) color += light * sheen_color * charlie(nh, max(a, 0.3)) * nl / (4.0 * (nl + nv - nl * nv)) * PI;
    }
    vec3 c = clamp(neutral_tonemap(color), 0.0, 1.0);
    f_color = vec4(mix(c * 12.92, 1.055 * pow(c, vec3(1.0 / 2.4)) - 0.055, step(0.0031308, c)), 1.0);
}
"""

# The view from below the floor, orthographic: each texel keeps the height of the lowest surface over it.
_FOOTPRINT_VS = """
#version 330
uniform vec4 u_box;  // centre x, centre z, 1 / half size, floor y
uniform float u_depth_scale;
in vec3 in_position;
out float v_height;
void main() {
    v_height = in_position.y - u_box.w;
    gl_Position = vec4((in_position.x - u_box.x) * u_box.z, (in_position.z - u_box.y) * u_box.z,
                       clamp(v_height * u_depth_scale, 0.0, 1.0) * 2.0 - 1.0, 1.0);
}
"""

_FOOTPRINT_FS = """
#version 330
in float v_height;
out vec4 f_height;
void main() { f_height = vec4(max(v_height, 0.0)); }
"""

# The floor: the background itself, darkened by the shadow (blended as dst * (1 - alpha)).
_FLOOR_VS = """
#version 330
uniform mat4 u_view_projection;
uniform vec4 u_box;
in vec2 in_corner;
out vec2 v_uv;
void main() {
    v_uv = in_corner * 0.5 + 0.5;
    gl_Position = u_view_projection * vec4(u_box.x + in_corner.x / u_box.z, u_box.w,
                                           u_box.y + in_corner.y / u_box.z, 1.0);
}
"""

_FLOOR_FS = """
#version 330
uniform sampler2D u_shadow;
in vec2 v_uv;
out vec4 f_color;
void main() { f_color = vec4(0.0, 0.0, 0.0, texture(u_shadow, v_uv).r); }
"""


def srgb_to_linear(color):
    c = np.asarray(color, dtype=np.float64)
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def vertex_normals(vertices, faces):
    """Smooth per-vertex normals: area-weighted face normals summed over vertices that share a position, so
    a mesh split along seams (duplicated vertices) still shades without creases."""
    v = np.asarray(vertices, dtype=np.float64)
    f = np.asarray(faces, dtype=np.int64)
    face_normals = np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]])  # length = 2 * area
    position = _same_positions(v)
    slots = position[f].reshape(-1)
    count = position.max() + 1
    summed = np.stack([np.bincount(slots, np.repeat(face_normals[:, k], 3), count) for k in range(3)], axis=1)
    normals = summed[position]
    length = np.linalg.norm(normals, axis=1, keepdims=True)
    return (normals / np.where(length > 0, length, 1.0)).astype(np.float32)


def _same_positions(v, quantum=1e-5):
    """An index per vertex, equal for vertices within `quantum` metres: the grid cell packed into one int64
    (21 bits an axis, 20 m across), which sorts ten times faster than unique rows."""
    cells = np.round((v - v.min(0)) / quantum).astype(np.int64)
    if cells.max(initial=0) >= 1 << 21:
        return np.unique(cells, axis=0, return_inverse=True)[1].reshape(-1)
    keys = (cells[:, 0] << 42) | (cells[:, 1] << 21) | cells[:, 2]
    return np.unique(keys, return_inverse=True)[1].reshape(-1)


def _rotation_y(degrees):
    t = math.radians(degrees)
    c, s = math.cos(t), math.sin(t)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def _perspective(fov_y, aspect, near, far):
    f = 1.0 / math.tan(math.radians(fov_y) / 2)
    return np.array([[f / aspect, 0, 0, 0], [0, f, 0, 0],
                     [0, 0, (far + near) / (near - far), 2 * far * near / (near - far)], [0, 0, -1, 0]])


def frame_camera(points, view_mode, aspect, fov_y=FOV_Y):
    """Where the camera stands, on +Z looking down -Z, so the part of the figure `view_mode` asks for fills
    the picture: (eye, near, far, bottom of the picture in world y).

    The full body is fitted whole, vertex by vertex, so near parts count with their perspective. The closer
    frames take their top and bottom from the top of the head and the figure's height H (FRAMING), centre
    on the head and keep a minimum width, cropping arms held out."""
    low, high = points.min(0), points.max(0)
    height = max(high[1] - low[1], 1e-6)
    tan_y = math.tan(math.radians(fov_y) / 2)
    tan_x = tan_y * aspect
    if view_mode == 0:
        # Every vertex inside the picture, MARGIN * H from its edges, at its own depth (perspective).
        margin = MARGIN * height
        bottom = low[1] - margin
        centre_x, centre_y, centre_z = (low + high) / 2
        depth = points[:, 2] - centre_z  # towards the camera
        needed = max(np.max((np.abs(points[:, 1] - centre_y) + margin) / tan_y + depth),
                     np.max((np.abs(points[:, 0] - centre_x) + margin) / tan_x + depth))
    else:
        # Fitted at the head's depth: a hand reaching towards the camera is cropped, not shrinking the head.
        down, above, half_width = FRAMING[view_mode]
        top, bottom = high[1] + above * height, high[1] - down * height
        head = points[points[:, 1] >= high[1] - HEAD_SHARE * height]
        centre_x, centre_z = np.median(head[:, 0]), np.median(head[:, 2])
        nose = np.max(head[:, 2]) - centre_z
        needed = max((top - bottom) / 2 / tan_y, half_width * height / tan_x) + nose
        # Keep the margin above the head; a picture wider than the band reaches further down.
        centre_y = top - tan_y * (needed - nose)
        bottom = 2 * centre_y - top
    eye = np.array([centre_x, centre_y, centre_z + needed])
    reach = np.linalg.norm(points - eye, axis=1)
    near = max(reach.min() * 0.8, 0.01)
    far = reach.max() * 1.2 + 0.1
    return eye, near, far, bottom


class Renderer:
    """One GL context and its framebuffers, reused for every frame (a video renders hundreds)."""

    def __init__(self, width, height, samples=4):
        self.width, self.height = int(width), int(height)
        self.ctx = moderngl.create_standalone_context(backend="egl")
        self.samples = max(0, min(int(samples), self.ctx.max_samples))
        size = (self.width, self.height)
        self._resources = []

        def keep(resource):
            self._resources.append(resource)
            return resource

        # sRGB colour, multisampled, resolved into a plain framebuffer that is read back.
        self._msaa = keep(self.ctx.framebuffer(keep(self.ctx.renderbuffer(size, 4, samples=self.samples)),
                                               keep(self.ctx.depth_renderbuffer(size, samples=self.samples))))
        self._output = keep(self.ctx.framebuffer(keep(self.ctx.renderbuffer(size, 4))))
        footprint = (SHADOW_TEXELS, SHADOW_TEXELS)
        self._footprint = keep(self.ctx.framebuffer(keep(self.ctx.renderbuffer(footprint, 1, dtype="f4")),
                                                    keep(self.ctx.depth_renderbuffer(footprint))))
        self._shadow = keep(self.ctx.texture(footprint, 1, dtype="f4"))
        self._shadow.repeat_x = self._shadow.repeat_y = False

        self._figure_program = keep(self.ctx.program(vertex_shader=_FIGURE_VS,
                                                     fragment_shader=_FIGURE_FS % {"lights": len(LIGHTS)}))
        self._footprint_program = keep(self.ctx.program(vertex_shader=_FOOTPRINT_VS, fragment_shader=_FOOTPRINT_FS))
        self._floor_program = keep(self.ctx.program(vertex_shader=_FLOOR_VS, fragment_shader=_FLOOR_FS))
        corners = np.array([-1, -1, 1, -1, -1, 1, 1, 1], dtype="f4")
        self._floor = keep(self.ctx.vertex_array(self._floor_program,
                                                 [(keep(self.ctx.buffer(corners.tobytes())), "2f", "in_corner")]))

        program = self._figure_program
        directions = np.array([d for d, _ in LIGHTS], dtype="f4")
        program["u_light_direction"].write((directions / np.linalg.norm(directions, axis=1, keepdims=True)).tobytes())
        program["u_light_color"].write(np.array([c for _, c in LIGHTS], dtype="f4").tobytes())
        program["u_sky"].value, program["u_floor"].value = SKY, FLOOR

    def render(self, figure: Figure, *, view="Front", view_mode=0, background=(1.0, 1.0, 1.0), yaw=0.0):
        """An (H, W, 3) uint8 sRGB picture of `figure`; `background` is sRGB in 0..1 (see the module
        docstring for the views, yaw and the lights)."""
        if view not in VIEW_AZIMUTH:
            raise ValueError(f"unknown view {view!r}: one of {', '.join(VIEWS)}")
        if view_mode not in VIEW_MODES:
            raise ValueError(f"unknown view_mode {view_mode!r}: one of {sorted(VIEW_MODES)}")
        parts = [part for part in figure.parts if len(part.faces)]
        if not parts:
            raise ValueError("the figure has no triangles to draw")
        with self.ctx:  # make this context current: another Renderer may have been used since
            return self._draw(parts, view, view_mode, background, yaw)

    def _draw(self, parts, view, view_mode, background, yaw):
        # Turn the figure rather than the camera: the camera and its lights stay on +Z.
        rotation = _rotation_y(yaw - VIEW_AZIMUTH[view]).astype(np.float32)
        meshes = [(part, np.asarray(part.vertices, np.float32) @ rotation.T) for part in parts]
        points = np.concatenate([vertices for _, vertices in meshes])
        floor_y, height = float(points[:, 1].min()), float(np.ptp(points[:, 1]))
        eye, near, far, bottom = frame_camera(points, view_mode, self.width / self.height)
        view_matrix = np.eye(4)
        view_matrix[:3, 3] = -eye
        view_projection = _perspective(FOV_Y, self.width / self.height, near, far) @ view_matrix
        matrix_bytes = view_projection.T.astype("f4").tobytes()  # GL is column-major

        self.ctx.enable(moderngl.DEPTH_TEST)
        self.ctx.disable(moderngl.CULL_FACE | moderngl.BLEND)
        arrays = []
        try:
            for part, vertices in meshes:
                interleaved = np.hstack([vertices, vertex_normals(vertices, part.faces)]).astype("f4")
                vbo = self.ctx.buffer(interleaved.tobytes())
                ibo = self.ctx.buffer(np.asarray(part.faces, dtype="i4").tobytes())
                arrays.append((part, vbo, ibo,
                               self.ctx.vertex_array(self._figure_program, [(vbo, "3f 3f", "in_position", "in_normal")],
                                                     index_buffer=ibo),
                               self.ctx.vertex_array(self._footprint_program, [(vbo, "3f 12x", "in_position")],
                                                     index_buffer=ibo)))
            shadow_box = None
            if bottom < floor_y + 0.02 * height:  # the floor is in the picture
                shadow_box = self._draw_footprint(points, floor_y, [footprint for *_, footprint in arrays])

            # 8-bit sRGB in, stored exactly: pixels nothing touches keep the background colour to the bit.
            background = np.round(np.clip(np.asarray(background, dtype=np.float64)[:3], 0.0, 1.0) * 255) / 255
            self._msaa.use()
            self._msaa.clear(*background, 1.0, depth=1.0)
            if shadow_box is not None:
                # The shadow is painted on the floor first, untested and unrecorded in depth: it never
                # hides the figure, and nothing of the figure is below the floor.
                self.ctx.disable(moderngl.DEPTH_TEST)
                self.ctx.enable(moderngl.BLEND)
                self.ctx.blend_func = moderngl.ZERO, moderngl.ONE_MINUS_SRC_ALPHA
                self._shadow.use(0)
                self._floor_program["u_shadow"].value = 0
                self._floor_program["u_box"].value = shadow_box
                self._floor_program["u_view_projection"].write(matrix_bytes)
                self._floor.render(moderngl.TRIANGLE_STRIP)
                self.ctx.disable(moderngl.BLEND)
                self.ctx.enable(moderngl.DEPTH_TEST)
            program = self._figure_program
            program["u_view_projection"].write(matrix_bytes)
            program["u_eye"].value = tuple(eye)
            program["u_floor_y"].value, program["u_height"].value = floor_y, max(height, 1e-6)
            for part, _, _, figure_array, _ in arrays:
                program["u_albedo"].value = tuple(srgb_to_linear(part.color[:3]))
                program["u_roughness"].value = float(part.roughness)
                program["u_cloth"].value = bool(part.cloth)
                figure_array.render(moderngl.TRIANGLES)
        finally:
            for _, vbo, ibo, figure_array, footprint_array in arrays:
                for resource in (figure_array, footprint_array, vbo, ibo):
                    resource.release()

        self.ctx.copy_framebuffer(self._output, self._msaa)  # the MSAA resolve
        data = self._output.read(components=3, alignment=1)
        return np.flipud(np.frombuffer(data, np.uint8).reshape(self.height, self.width, 3)).copy()

    def _draw_footprint(self, points, floor_y, footprint_arrays):
        """Render the figure from under the floor into the shadow texture: a sharp dark contact where a
        surface touches the floor, and a broad faint occlusion under the rest of the lower body.
        Returns the floor square it covers (centre x, centre z, 1 / half size, floor y)."""
        low, high = points.min(0), points.max(0)
        pad = 3.5 * AMBIENT_BLUR + 0.02
        half = max(high[0] - low[0], high[2] - low[2]) / 2 + pad
        box = ((low[0] + high[0]) / 2, (low[2] + high[2]) / 2, 1.0 / half, floor_y)
        program = self._footprint_program
        program["u_box"].value = box
        program["u_depth_scale"].value = 1.0 / max(high[1] - floor_y, 1e-6)
        self._footprint.use()
        self._footprint.clear(1e4, 1e4, 1e4, 1e4, depth=1.0)  # nothing above: no shadow
        for array in footprint_arrays:
            array.render(moderngl.TRIANGLES)
        lowest = np.frombuffer(self._footprint.read(components=1, dtype="f4"), np.float32)
        lowest = lowest.reshape(SHADOW_TEXELS, SHADOW_TEXELS).astype(np.float64)
        texel = 2 * half / SHADOW_TEXELS

        def blurred(image, sigma):
            return gaussian_filter(image, sigma / texel, mode="constant")

        contact = blurred(np.exp(-lowest / CONTACT_FALLOFF), CONTACT_BLUR)
        ambient = blurred(np.exp(-lowest / AMBIENT_FALLOFF), AMBIENT_BLUR)
        shadow = 1 - (1 - CONTACT_STRENGTH * contact) * (1 - AMBIENT_STRENGTH * ambient)
        # Fade the square's border to exactly nothing, so the floor never shows an edge.
        edge = np.minimum(np.arange(SHADOW_TEXELS), np.arange(SHADOW_TEXELS)[::-1]) / (0.08 * SHADOW_TEXELS)
        edge = np.clip(edge, 0, 1)
        shadow *= edge[:, None] * edge[None, :]
        shadow[shadow < 1 / 512] = 0.0
        self._shadow.write(shadow.astype("f4").tobytes())
        return box

    def close(self):
        if self.ctx is None:
            return
        with self.ctx:
            for resource in reversed(self._resources):
                resource.release()
        self._resources = []
        self.ctx.release()
        self.ctx = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
