"""Comparing estimated cameras with reference poses, whose world frame and scale are their own.

Structure-from-motion recovers poses up to a similarity (rotation, translation and scale), so the
estimated camera centres are first aligned to the reference centres (Umeyama's least-squares
similarity); rotation and position errors are measured after that alignment.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Robust alignment: a camera is left out when its distance is more than this many times the median.
ROBUST_FACTOR = 3.0
ROBUST_ITERATIONS = 10


@dataclass(frozen=True)
class Similarity:
    """x_reference = scale * rotation @ x_estimated + translation."""

    scale: float
    rotation: np.ndarray  # 3x3, proper (det +1)
    translation: np.ndarray  # (3,)

    def apply(self, points) -> np.ndarray:
        points = np.asarray(points, dtype=np.float64)
        return self.scale * points @ self.rotation.T + self.translation


def align_cameras(estimated_centers, reference_centers, *, robust: bool = True) -> Similarity:
    """The similarity that maps `estimated_centers` (N,3) onto `reference_centers` (N,3) with the least
    sum of squared distances (Umeyama 1991). Needs 3 or more centres that are not all on one line.

    Least squares lets one misplaced camera drag the fit, and every other camera's error with it. With
    `robust`, cameras farther than ROBUST_FACTOR times the median distance from their reference after a
    fit are left out of the next fit, until the kept set stops changing; their errors still show in
    rotation_errors_degrees and center_errors, which measure every camera against the result.
    """
    src = np.asarray(estimated_centers, dtype=np.float64)
    dst = np.asarray(reference_centers, dtype=np.float64)
    if src.shape != dst.shape or src.ndim != 2 or src.shape[1] != 3 or len(src) < 3:
        raise ValueError("need two (N, 3) arrays of matching camera centres, N >= 3")
    kept = np.ones(len(src), dtype=bool)
    transform = _umeyama(src, dst)
    for _ in range(ROBUST_ITERATIONS if robust else 0):
        errors = center_errors(src, dst, transform)
        now = errors <= ROBUST_FACTOR * np.median(errors) + 1e-12
        if now.sum() < 3 or np.array_equal(now, kept):
            break
        kept = now
        transform = _umeyama(src[kept], dst[kept])
    return transform


def _umeyama(src: np.ndarray, dst: np.ndarray) -> Similarity:
    src_mean, dst_mean = src.mean(0), dst.mean(0)
    src_c, dst_c = src - src_mean, dst - dst_mean
    variance = (src_c**2).sum() / len(src)
    u, singular, vt = np.linalg.svd(dst_c.T @ src_c / len(src))
    if variance <= 0 or singular[1] <= 1e-12 * singular[0]:
        raise ValueError("the camera centres are all in one place or on one line; their alignment is ambiguous")
    flip = np.diag([1.0, 1.0, np.sign(np.linalg.det(u) * np.linalg.det(vt)) or 1.0])  # no reflections
    rotation = u @ flip @ vt
    scale = float(np.trace(np.diag(singular) @ flip) / variance)
    return Similarity(scale, rotation, dst_mean - scale * rotation @ src_mean)


def rotation_errors_degrees(estimated_cameras, reference_cameras, transform: Similarity) -> np.ndarray:
    """Per camera, the angle in degrees between the estimated orientation, carried into the reference
    frame by `transform`, and the reference orientation. Cameras are Camera objects or 4x4
    world-to-camera matrices (OpenCV convention), paired by position in the two lists."""
    if len(estimated_cameras) != len(reference_cameras):
        raise ValueError("the two camera lists must pair up")
    errors = []
    for estimated, reference in zip(estimated_cameras, reference_cameras, strict=True):
        # x_est = R^T (x_ref - t) / s, so the estimated camera's rotation in the reference world is R_est @ R^T.
        est_in_ref = _world_to_camera(estimated)[:3, :3] @ transform.rotation.T
        difference = est_in_ref @ _world_to_camera(reference)[:3, :3].T
        cosine = np.clip((np.trace(difference) - 1) / 2, -1.0, 1.0)
        errors.append(np.degrees(np.arccos(cosine)))
    return np.array(errors)


def center_errors(estimated_centers, reference_centers, transform: Similarity) -> np.ndarray:
    """Per camera, the distance between the aligned estimated centre and the reference centre, in the
    reference's units."""
    return np.linalg.norm(transform.apply(estimated_centers) - np.asarray(reference_centers, dtype=np.float64), axis=1)


def _world_to_camera(camera) -> np.ndarray:
    matrix = getattr(camera, "world_to_camera", camera)
    return np.asarray(matrix, dtype=np.float64)
