"""What every reconstruction step hands the next: cameras with their images, and a starting point cloud.

Conventions, the same everywhere in this package: a camera's `world_to_camera` is a 4x4 matrix in
OpenCV's convention (x right, y down, z forward, looking along +z); intrinsics are in pixels of the
camera's own width and height; colours are float RGB in [0, 1].
"""

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

# NeRF/Blender and LLFF poses are camera-to-world in OpenGL's convention (y up, looking along -z).
OPENGL_TO_OPENCV = np.diag([1.0, -1.0, -1.0, 1.0])


@dataclass
class Camera:
    name: str
    width: int
    height: int
    fx: float
    fy: float
    cx: float
    cy: float
    world_to_camera: np.ndarray
    image_path: Path | None = None

    @property
    def camera_to_world(self):
        return np.linalg.inv(self.world_to_camera)

    @property
    def center(self):
        return self.camera_to_world[:3, 3]

    @classmethod
    def from_opengl_camera_to_world(cls, name, c2w, width, height, fx, fy=None, cx=None, cy=None, image_path=None):
        c2w = np.asarray(c2w, dtype=np.float64)
        if c2w.shape == (3, 4):
            c2w = np.vstack([c2w, [0, 0, 0, 1]])
        w2c = np.linalg.inv(c2w @ OPENGL_TO_OPENCV)
        return cls(name, int(width), int(height), float(fx), float(fy if fy is not None else fx),
                   float(cx if cx is not None else width / 2), float(cy if cy is not None else height / 2),
                   w2c, image_path)

    def scaled(self, width, height):
        """The same camera seen at another resolution."""
        sx, sy = width / self.width, height / self.height
        return replace(self, width=int(width), height=int(height), fx=self.fx * sx, fy=self.fy * sy,
                       cx=self.cx * sx, cy=self.cy * sy)


@dataclass
class Scene:
    cameras: list[Camera]
    points: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    colors: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))

    @property
    def extent(self):
        """The radius of the camera centres around their mean: the scene's scale for learning rates."""
        centers = np.stack([c.center for c in self.cameras])
        return float(np.linalg.norm(centers - centers.mean(0), axis=1).max() * 1.1) or 1.0
