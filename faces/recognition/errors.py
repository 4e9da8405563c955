"""The errors the recognition package raises when the photo itself is the problem.

``str(error)`` is a sentence for the person holding the camera: what is wrong and what to do about it, so a
door can show it as it is. ``reason`` is a short stable code for programs (an API's error field, a log).
Programming errors and missing model files stay ordinary exceptions.
"""

from __future__ import annotations


class FaceError(Exception):
    """The photo cannot be used to recognise a face."""

    reason = "face"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class UnreadableImage(FaceError):
    """The bytes are not a JPEG, PNG or WEBP picture that can be decoded (or it is over the pixel limit)."""

    reason = "unreadable_image"


class NoFace(FaceError):
    reason = "no_face"

    def __init__(self, message: str | None = None):
        super().__init__(message or "No face was found in the image. Take the photo facing the camera, "
                                    "with the whole face in the picture and in good light.")


class SeveralFaces(FaceError):
    reason = "several_faces"

    def __init__(self, count: int):
        self.count = count
        super().__init__(f"{count} faces were found in the image; exactly one is needed. "
                         "Take the photo with only one person in view.")


class FaceTooSmall(FaceError):
    reason = "face_too_small"

    def __init__(self, size: int, minimum: int):
        self.size, self.minimum = size, minimum
        super().__init__(f"The face is only {size} px across; at least {minimum} px is needed. "
                         "Move closer to the camera or use a larger photo.")


class FaceTooBlurred(FaceError):
    reason = "face_too_blurred"

    def __init__(self, sharpness: float, minimum: float):
        self.sharpness, self.minimum = sharpness, minimum
        super().__init__(f"The face is too blurred to recognise (sharpness {sharpness:.0f}, at least "
                         f"{minimum:.0f} is needed). Hold the camera still, focus on the face and use more light.")
