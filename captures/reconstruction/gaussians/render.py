"""Rendering a trained model: single views and a smooth orbit around the scene (media.video writes the orbit
as an mp4)."""

import math
from dataclasses import replace

import numpy as np
import torch

from ..scene import Camera, Scene
from .model import GaussianModel
from .rasterize import RasterOutput, rasterize


def render(model: GaussianModel, camera: Camera, background=(0.0, 0.0, 0.0), **options) -> RasterOutput:
    """Render `model` into `camera` with its active SH bands (differentiable; `options` go to `rasterize`)."""
    return rasterize(model.means, model.scales, model.quaternions, model.opacities, (model.sh_dc, model.sh_rest),
                     camera, background, sh_degree=model.active_sh_degree, **options)


@torch.no_grad()
def render_image(model: GaussianModel, camera: Camera, background=(0.0, 0.0, 0.0)) -> np.ndarray:
    """An (H, W, 3) uint8 picture of `model` from `camera`."""
    image = render(model, camera, background).image.clamp(0, 1)
    return (image.permute(1, 2, 0) * 255).round().to(torch.uint8).cpu().numpy()


def scene_center(cameras, points=None):
    """The point the cameras look at: the least-squares closest point to all optical axes. When the axes
    are near parallel (a forward-facing capture) it falls back to the median of `points`, or failing
    those, to a point in front of the cameras at their mean spread."""
    centres = np.stack([c.center for c in cameras])
    axes = np.stack([c.camera_to_world[:3, 2] for c in cameras])
    projectors = np.eye(3) - axes[:, :, None] * axes[:, None, :]  # I - d d^T per camera
    system, rhs = projectors.sum(0), (projectors @ centres[:, :, None]).sum(0)[:, 0]
    if len(cameras) > 1 and np.linalg.cond(system) < 1e4:
        return np.linalg.solve(system, rhs)
    if points is not None and len(points):
        return np.median(np.asarray(points, dtype=np.float64), axis=0)
    spread = np.linalg.norm(centres - centres.mean(0), axis=1).mean() or 1.0
    return centres.mean(0) + axes.mean(0) * spread


def up_direction(cameras):
    """The cameras' mean up vector (OpenCV cameras look along +z with y down, so up is -y)."""
    up = -np.stack([c.camera_to_world[:3, 1] for c in cameras]).sum(0)
    return up / (np.linalg.norm(up) or 1.0)


def look_at(eye, target, up):
    """OpenCV world_to_camera (4, 4) of a camera at `eye` looking at `target`, with `up` up in the image."""
    forward = np.asarray(target, float) - eye
    forward /= np.linalg.norm(forward)
    right = np.cross(forward, up)
    right /= np.linalg.norm(right)
    down = np.cross(forward, right)
    camera_to_world = np.eye(4)
    camera_to_world[:3, :3] = np.stack([right, down, forward], axis=1)
    camera_to_world[:3, 3] = eye
    return np.linalg.inv(camera_to_world)


def orbit_cameras(scene_or_cameras, n_frames, *, width=None, height=None, zoom=1.0):
    """`n_frames` cameras on a circle around the scene, for a turntable video.

    The circle is centred on the axis through `scene_center` along the cameras' mean up vector, at their
    mean height and mean distance from that axis (divided by `zoom`), starting at the first camera and
    going all the way round. Intrinsics are the first camera's, rescaled to width x height if given.
    """
    scene = scene_or_cameras if isinstance(scene_or_cameras, Scene) else Scene(list(scene_or_cameras))
    cameras = scene.cameras
    centre, up = scene_center(cameras, scene.points), up_direction(cameras)
    offsets = np.stack([c.center for c in cameras]) - centre
    heights = offsets @ up
    flat = offsets - heights[:, None] * up
    radius = np.linalg.norm(flat, axis=1).mean() / zoom
    start = flat[0] / (np.linalg.norm(flat[0]) or 1.0)
    side = np.cross(up, start)
    template = cameras[0] if width is None else cameras[0].scaled(width, height if height is not None else width)
    orbit = []
    for i in range(n_frames):
        angle = 2 * math.pi * i / n_frames
        eye = centre + heights.mean() / zoom * up + radius * (math.cos(angle) * start + math.sin(angle) * side)
        orbit.append(replace(template, name=f"orbit_{i:04d}", world_to_camera=look_at(eye, centre, up),
                             image_path=None))
    return orbit

