"""Files out of a render or a figure: the jpg and its thumbnail, the .glb, the mp4."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import trimesh
from PIL import Image

from media.video import write_video

from .render import srgb_to_linear, vertex_normals
from .scene import Figure


def write_jpeg(image, path, quality=90):
    """Save an (H, W, 3) uint8 picture as a JPEG. `quality` is the seed's 1..100; from 90 up the colour is
    kept at full resolution (4:4:4), since chroma subsampling smears coloured edges on flat backgrounds."""
    quality = int(min(max(quality, 1), 100))
    picture = Image.fromarray(np.asarray(image, dtype=np.uint8), "RGB")
    picture.save(path, "JPEG", quality=quality, subsampling=0 if quality >= 90 else 2, optimize=True)
    return Path(path)


def write_thumbnail(image, path, width, quality=85):
    """A JPEG `width` pixels wide with the picture's aspect ratio (LANCZOS resampling)."""
    picture = Image.fromarray(np.asarray(image, dtype=np.uint8), "RGB")
    width = max(int(width), 1)
    height = max(round(picture.height * width / picture.width), 1)
    return write_jpeg(np.asarray(picture.resize((width, height), Image.LANCZOS)), path, quality)


def write_glb(figure: Figure, path):
    """A binary glTF with one mesh per Part, each with a PBR material of its colour and roughness (glTF's
    baseColorFactor is linear, Part.color sRGB) and smooth normals like the render's."""
    scene = trimesh.Scene()
    for part in figure.parts:
        vertices = np.asarray(part.vertices, dtype=np.float32)
        faces = np.asarray(part.faces, dtype=np.int64)
        material = trimesh.visual.material.PBRMaterial(
            name=part.name, baseColorFactor=[*srgb_to_linear(part.color[:3]), 1.0], metallicFactor=0.0,
            roughnessFactor=float(part.roughness), doubleSided=bool(part.cloth))
        mesh = trimesh.Trimesh(vertices=vertices, faces=faces, vertex_normals=vertex_normals(vertices, faces),
                               visual=trimesh.visual.TextureVisuals(material=material), process=False)
        scene.add_geometry(mesh, node_name=part.name, geom_name=part.name)
    Path(path).write_bytes(trimesh.exchange.gltf.export_glb(scene, include_normals=True))
    return Path(path)


def write_mp4(frames, path, fps=30):
    """An H.264 yuv420p mp4 that browsers play (index first, so it streams): media.video's writer."""
    return Path(write_video(frames, path, fps=fps))
