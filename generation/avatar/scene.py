"""What the avatar package's parts hand each other: a figure made of coloured triangle meshes, and the
names of the views and framings a render can ask for.

Units are metres; +Y is up and the figure faces +Z (its front is seen from a camera on the +Z axis), feet
at y = 0.
"""

from dataclasses import dataclass, field

import numpy as np

# camera_view: where the camera stands around the figure (seed 003's "Front", "Back", ...).
VIEWS = ("Front", "Back", "Left", "Right", "FrontLeft", "FrontRight", "BackLeft", "BackRight")
# view_mode: how much of the figure the picture holds.
VIEW_MODES = {0: "full body", 1: "upper body", 2: "head and shoulders"}


@dataclass
class Part:
    """One mesh of the figure with its material."""

    name: str  # "body", "hair", "LongSleeve", ...
    vertices: np.ndarray  # (N, 3) float32, metres
    faces: np.ndarray  # (M, 3) int32, counter-clockwise seen from outside
    color: tuple[float, float, float]  # sRGB, 0..1
    roughness: float = 0.6  # 0 glossy .. 1 matte
    cloth: bool = False  # fabric: a soft sheen at grazing angles


@dataclass
class Figure:
    """A dressed, posed avatar: what the renderer draws and the .glb holds."""

    parts: list[Part] = field(default_factory=list)

    def bounds(self):
        """(min xyz, max xyz) over every part."""
        points = np.concatenate([part.vertices for part in self.parts])
        return points.min(0), points.max(0)
