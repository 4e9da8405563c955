"""Aligned face chips, their sharpness, and dlib's 128-d descriptors.

Each face is cut out as dlib aligns it for its ResNet (5 landmarks, a 150x150 chip with 25 % padding), so
the sharpness is measured on the same pixels the descriptor is computed from, at the same scale whatever the
face's size in the photo.
"""

from __future__ import annotations

import dlib
import numpy as np

from .models import IN_USE, encoder

CHIP_SIZE = 150  # what dlib's ResNet was trained on
CHIP_PADDING = 0.25
# The inner part of the chip: the face without the padding's background, whose sharpness (a tree, a
# wall's texture) says nothing about the face.
_INNER = slice(25, 125)


def face_chips(image: np.ndarray, shapes) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """One aligned 150x150 RGB chip per landmark set (a dlib.full_object_detections), and for each a
    boolean mask of the chip's pixels that lie inside the photo (a face at the edge has black beyond it)."""
    if len(shapes) == 0:
        return [], []
    chips = list(dlib.get_face_chips(image, shapes, size=CHIP_SIZE, padding=CHIP_PADDING))
    inside = np.full(image.shape, 255, dtype=np.uint8)
    masks = [chip[:, :, 0] > 127 for chip in dlib.get_face_chips(inside, shapes, size=CHIP_SIZE,
                                                                  padding=CHIP_PADDING)]
    return chips, masks


def sharpness(chip: np.ndarray, inside: np.ndarray | None = None) -> float:
    """Variance of the 4-neighbour Laplacian over the chip's inner part, in grey levels (0..255).

    Only pixels whose whole neighbourhood lies inside the photo (`inside`) count: the edge between a cut
    face and the black beyond the photo would otherwise read as sharp detail (measured: a face cut by the
    photo's edge, blurred with a 6 px radius, still measured 521). A sharp face photo measures in the
    hundreds; blur removes the fine detail the Laplacian responds to, so the variance falls quickly
    (measured figures in faces/recognition/__init__.py).
    """
    grey = chip[_INNER, _INNER].astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    laplacian = (grey[:-2, 1:-1] + grey[2:, 1:-1] + grey[1:-1, :-2] + grey[1:-1, 2:] - 4.0 * grey[1:-1, 1:-1])
    if inside is None:
        return float(laplacian.var())
    mask = inside[_INNER, _INNER]
    mask = mask[:-2, 1:-1] & mask[2:, 1:-1] & mask[1:-1, :-2] & mask[1:-1, 2:] & mask[1:-1, 1:-1]
    return float(laplacian[mask].var()) if mask.sum() >= 100 else 0.0


def embeddings(chips: list[np.ndarray]) -> np.ndarray:
    """(n, 128) float32 descriptors of aligned chips, in one batch through the network."""
    if not chips:
        return np.zeros((0, 128), dtype=np.float32)
    model = encoder()
    with IN_USE["encoder"]:
        vectors = model.compute_face_descriptor(chips)
    return np.asarray([np.asarray(vector) for vector in vectors], dtype=np.float32)
