"""Finding faces in a photo and choosing the one to recognise."""

from __future__ import annotations

from dataclasses import dataclass

import dlib
import numpy as np

from .embedding import embeddings, face_chips, sharpness
from .errors import FaceTooBlurred, FaceTooSmall, NoFace, SeveralFaces
from .models import IN_USE, cnn_detector, hog_detector, landmarks

DETECTORS = ("hog", "cnn")
# How many times the photo is doubled before detecting: HOG's window is 80 px, so once doubled it finds
# faces down to about 40 px (in the decoded photo); the CNN finds faces from about 40 px at no upsampling,
# and upsampling costs it 4x per step.
DEFAULT_UPSAMPLE = {"hog": 1, "cnn": 0}

# one_face's minimums, from the shared photos (figures in __init__.py): every real photo's face is 126 px or
# more and the clip's 53 px or more; the sharpest face blurred with a 6 px radius measures 16, the softest
# usable clip frame 30, the softest real photo 74.
MIN_FACE_PX = 48
MIN_SHARPNESS = 22.0
# Where the quality terms saturate: a face this large, this sharp or this clearly detected counts as good.
GOOD_FACE_PX = 200
GOOD_SHARPNESS = 300.0
GOOD_SCORE = {"hog": 1.0, "cnn": 1.0}


@dataclass(frozen=True)
class Face:
    """One face in a photo.

    box: left, top, right, bottom in the original photo's pixels (before decode_image reduced it).
    embedding: dlib's ResNet descriptor, (128,) float32, not normalised; faces of one person lie within
        about 0.6 of each other in Euclidean distance.
    size: the box's shorter side in original pixels.
    sharpness: the variance of the Laplacian of the aligned face chip (embedding.sharpness).
    detector_score: HOG's SVM margin (about 0 to 3) or the CNN's confidence (about 0 to 1.5).
    quality: 0..1, the geometric mean of size, sharpness and detector score each divided by its "good"
        value (GOOD_FACE_PX, GOOD_SHARPNESS, GOOD_SCORE) and capped at 1: to choose the best of a person's
        photos, not to accept or refuse one (one_face's minimums do that).
    """

    box: tuple[int, int, int, int]
    embedding: np.ndarray
    size: int
    sharpness: float
    detector_score: float
    quality: float


def _detect(image: np.ndarray, detector: str, upsample: int) -> list[tuple[dlib.rectangle, float]]:
    if detector == "hog":
        model = hog_detector()
        with IN_USE["hog"]:
            rectangles, scores, _ = model.run(image, upsample, 0.0)
        return list(zip(rectangles, scores, strict=True))
    model = cnn_detector()
    with IN_USE["cnn"]:
        return [(found.rect, found.confidence) for found in model(image, upsample)]


def find_faces(image: np.ndarray, *, detector: str = "hog", upsample: int | None = None) -> list[Face]:
    """Every face in `image` (RGB uint8 HxWx3, as decode_image gives), largest first.

    `detector` is "hog" (dlib's frontal HOG detector: fast on a CPU, frontal faces) or "cnn" (dlib's MMOD
    CNN: also turned faces, several times slower on a CPU). `upsample` None: DEFAULT_UPSAMPLE.
    """
    pixels, scale = _pixels(image, detector)
    found = _detect(pixels, detector, DEFAULT_UPSAMPLE[detector] if upsample is None else upsample)
    return _describe(pixels, scale, _largest_first(_inside(found, pixels)), detector)


def _pixels(image: np.ndarray, detector: str) -> tuple[np.ndarray, float]:
    if detector not in DETECTORS:
        raise ValueError(f"unknown face detector {detector!r}; choose one of {', '.join(DETECTORS)}")
    scale = float(getattr(image, "scale", 1.0))
    pixels = np.ascontiguousarray(image, dtype=np.uint8)
    if pixels.ndim != 3 or pixels.shape[2] != 3:
        raise ValueError(f"expected an HxWx3 RGB image, got shape {pixels.shape}")
    return pixels, scale


def _inside(found, pixels) -> list[tuple[dlib.rectangle, tuple[int, int, int, int], float]]:
    """Each detection with its box clipped to the photo (detections may reach past the edge)."""
    height, width = pixels.shape[:2]
    kept = []
    for rectangle, score in found:
        left, top = max(0, rectangle.left()), max(0, rectangle.top())
        right, bottom = min(width, rectangle.right() + 1), min(height, rectangle.bottom() + 1)
        if right > left and bottom > top:
            kept.append((rectangle, (left, top, right, bottom), float(score)))
    return kept


def _largest_first(detections):
    return sorted(detections, key=lambda found: (found[1][2] - found[1][0]) * (found[1][3] - found[1][1]),
                  reverse=True)


def _describe(pixels, scale, detections, detector) -> list[Face]:
    """Landmarks, aligned chip, descriptor and quality of each detection, in the order given."""
    if not detections:
        return []
    predictor, shapes = landmarks(), dlib.full_object_detections()
    for rectangle, _, _ in detections:
        shapes.append(predictor(pixels, rectangle))
    chips, masks = face_chips(pixels, shapes)
    vectors = embeddings(chips)
    faces = []
    for (_, box, score), chip, inside, vector in zip(detections, chips, masks, vectors, strict=True):
        original = _original(box, scale)
        size = min(original[2] - original[0], original[3] - original[1])
        sharp = sharpness(chip, inside)
        faces.append(Face(box=original, embedding=vector, size=size, sharpness=sharp, detector_score=score,
                          quality=_quality(size, sharp, score, detector)))
    return faces


def _original(box, scale) -> tuple[int, int, int, int]:
    return tuple(int(round(value * scale)) for value in box)


def _quality(size: int, sharp: float, score: float, detector: str) -> float:
    terms = [min(1.0, max(0.0, size / GOOD_FACE_PX)), min(1.0, max(0.0, sharp / GOOD_SHARPNESS)),
             min(1.0, max(0.0, score / GOOD_SCORE[detector]))]
    return round(float(np.prod(terms)) ** (1 / 3), 3)


def one_face(image: np.ndarray, *, exactly_one: bool = False, detector: str = "hog",
             min_face_px: int = MIN_FACE_PX, min_sharpness: float = MIN_SHARPNESS) -> Face:
    """The face to recognise in `image`: the largest one, or with `exactly_one` the only one.

    Only that face is described (landmarks, descriptor). HOG looks at the photo as it is first and doubles it
    only when that finds nothing: a face over 80 px, as at a kiosk, costs about two thirds of the time
    (figures in __init__.py); with `exactly_one` it always doubles, so that smaller faces are counted too.

    Raises NoFace, SeveralFaces (only with `exactly_one`), FaceTooSmall (shorter side under `min_face_px`
    original pixels) or FaceTooBlurred (sharpness under `min_sharpness`), each with a message for the
    person who took the photo.
    """
    pixels, scale = _pixels(image, detector)
    if detector == "hog" and not exactly_one:
        found = _inside(_detect(pixels, "hog", 0), pixels) or _inside(_detect(pixels, "hog", 1), pixels)
    else:
        found = _inside(_detect(pixels, detector, DEFAULT_UPSAMPLE[detector]), pixels)
    if not found:
        raise NoFace()
    if exactly_one and len(found) > 1:
        raise SeveralFaces(len(found))
    largest = _largest_first(found)[0]
    box = _original(largest[1], scale)
    size = min(box[2] - box[0], box[3] - box[1])
    if size < min_face_px:
        raise FaceTooSmall(size, min_face_px)
    [face] = _describe(pixels, scale, [largest], detector)
    if face.sharpness < min_sharpness:
        raise FaceTooBlurred(face.sharpness, min_sharpness)
    return face
