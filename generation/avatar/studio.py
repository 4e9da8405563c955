"""The avatar studio's two products from one AvatarSpec: a picture (jpg, thumbnail, glb) and a clip (mp4,
thumbnail, glb). `figure_for` dresses the posed body into a scene.Figure; rendering and file writing are the
renderer's and exporter's (render.py, export.py), imported where they are used so the rest of the package needs
no OpenGL.

`report(stage, done, total)` hears about the stages "body", "render" (a picture) or "frames" (a clip), and
"encode".
"""

from pathlib import Path

import numpy as np

from . import dressing, motion
from .body import build_body
from .scene import Figure, Part


def look_for(spec):
    """The dresser's look for a spec: skin, hair and garments."""
    return dressing.Look(skin=tuple(spec.skin_color), hair_style=spec.hairstyle_name,
                         hair_color=tuple(spec.hair_color), garments=tuple(spec.garments))


def body_for(spec, frame_pose=None):
    """The spec's posed body, in one frame of motion if given."""
    frame_pose = frame_pose or motion.FramePose()
    return build_body(spec.phenotypes, spec.local_changes, spec.facial_actions, spec.bone_scales, pose=spec.pose,
                      rotations=frame_pose.rotations, root_offset=frame_pose.offset,
                      extra_facial_actions=frame_pose.facial_actions)


def figure_for(spec, frame_pose=None):
    """The dressed figure for a spec (in one frame of motion if given), shoes on the floor (y = 0)."""
    body = body_for(spec, frame_pose)
    parts = dressing.dresser(body.shape, look_for(spec)).dress(body)
    lowest = min(float(part.vertices[:, 1].min()) for part in parts)
    lift = np.array([0.0, -lowest, 0.0], np.float32)
    return Figure([Part(p.name, p.vertices + lift, p.faces, p.color, p.roughness, p.cloth) for p in parts])


def _reporter(report):
    return report if report is not None else (lambda stage, done, total: None)


def _renderer_name(renderer):
    """What drew the pictures (the GL renderer string, e.g. llvmpipe or a GPU), for the item's method line."""
    try:
        name = str(renderer.ctx.info["GL_RENDERER"])
    except (AttributeError, KeyError, TypeError):
        name = ""
    return name or type(renderer).__name__


def make_image(spec, out_dir, *, width=512, height=768, report=None):
    """avatar.jpg, its thumbnail and avatar.glb in out_dir."""
    from .export import write_glb, write_jpeg, write_thumbnail
    from .render import Renderer

    report = _reporter(report)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    report("body", 0, 1)
    figure = figure_for(spec)
    report("body", 1, 1)
    report("render", 0, 1)
    renderer = Renderer(width, height)
    try:
        image = renderer.render(figure, view=spec.camera_view, view_mode=spec.view_mode, background=spec.background)
    finally:
        renderer.close()
    report("render", 1, 1)
    report("encode", 0, 3)
    paths = {"image": out / "avatar.jpg", "thumbnail": out / "thumbnail.jpg", "glb": out / "avatar.glb"}
    write_jpeg(image, paths["image"], spec.quality)
    report("encode", 1, 3)
    write_thumbnail(image, paths["thumbnail"], spec.thumbnail_width, spec.quality)
    report("encode", 2, 3)
    write_glb(figure, paths["glb"])
    report("encode", 3, 3)
    return paths


def make_video(spec, out_dir, *, width=512, height=768, fps=24, report=None):
    """avatar.mp4 (the prompt's motion, spec.duration seconds), a thumbnail of its first frame and avatar.glb of
    the still pose, in out_dir."""
    from .export import write_glb, write_mp4, write_thumbnail
    from .render import Renderer

    report = _reporter(report)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    report("body", 0, 1)
    poses = motion.frames(spec.duration, fps, spec.prompt, spec.negative_prompt, spec.seed)
    still = figure_for(spec)
    report("body", 1, 1)
    paths = {"video": out / "avatar.mp4", "thumbnail": out / "thumbnail.jpg", "glb": out / "avatar.glb"}
    renderer = Renderer(width, height)
    name = _renderer_name(renderer)
    first = []

    def pictures():
        for index, pose in enumerate(poses):
            image = renderer.render(figure_for(spec, pose), view=spec.camera_view, view_mode=spec.view_mode,
                                    background=spec.background, yaw=pose.yaw)
            if index == 0:
                first.append(image)
            report("frames", index + 1, len(poses))
            yield image

    try:
        report("frames", 0, len(poses))
        write_mp4(pictures(), paths["video"], fps)
    finally:
        renderer.close()
    report("encode", 0, 2)
    write_thumbnail(first[0], paths["thumbnail"], spec.thumbnail_width, spec.quality)
    report("encode", 1, 2)
    write_glb(still, paths["glb"])
    report("encode", 2, 2)
    return {**paths, "frames": len(poses), "renderer": name}
