"""Pure face recognition: photos to faces, faces to 128-d dlib descriptors, descriptors to subjects.
Never imports Django.

decode_image (bytes -> upright RGB, reduced to DEFAULT_MAX_SIDE) -> find_faces / one_face (dlib HOG or CNN
detector, 5 landmarks, aligned 150x150 chip, ResNet descriptor) -> FaceIndex.search (exact, per subject)
-> similarity percent against DEFAULT_THRESHOLD.

Measured on ../shared/data/faces (2 CPU cores; bench/faces.py prints these again), HOG upsample 1, photos
decoded at 1024 px, one subject per person enrolled from the train_* photos and enroll_lin_manuel_miranda:

- Same person (held-out photos, both faces of two_people and knn_test, Lin-Manuel Miranda in 6 frames of
  short_hamilton_clip): distances 0.040 to 0.545. The two train photos of Obama: 0.354; Obama to Biden: 0.811.
- Nearest strangers: 0.655 (a clip frame of Miranda to Obama), 0.703 and 0.717 (the two fer_multi faces),
  0.770 (an out-of-focus child in knn_test). So similarity() puts 50 % at 0.65 and DEFAULT_THRESHOLD 75 %
  at 0.595: 14/14 enrolled faces accepted (lowest 89.2 %), 0 of 4 strangers (highest 47.7 %).
  With the CNN detector the distances are within 0.03 of these, but it also finds a profile face in the clip
  (a turned head, 2 s in) whose nearest subject is a stranger at 0.618 (65.5 %): refused, with less margin.
- Decoding at 1024 px instead of full size gives the same faces and identities (also at 1600 px), and
  the largest photo (1434x2333) takes 425 ms instead of 1626 ms.
- Detection + embedding of a 640x480 photo: HOG upsample 1 about 480 ms, upsample 0 about 320 ms, CNN about
  3000 ms. HOG without upsampling misses the two 45 px faces of fer_multi (as does the CNN without
  upsampling); otherwise all three find the same faces in every photo. Hence HOG, upsample 1 by default.
- Sharpness (detection.MIN_SHARPNESS = 22): the real photos measure 74 to 1430, the clip's frames of
  Miranda 30 to 185; the same photos Gaussian-blurred with a 6 px radius 2 to 16 (8 px: 1 to 8; 4 px: up
  to 39), and an out-of-focus audience frame 2.
- Size (detection.MIN_FACE_PX = 48): faces in the real photos are 126 px and up, in the 640x360 clip 53
  px and up; the 45 px faces of the 277x363 fer_multi are refused as too small to recognise reliably.
- FaceIndex.search at 100,000 faces: about 6 ms (faiss IndexFlatL2: about 12 ms), 51 MiB.
"""

from .detection import DEFAULT_UPSAMPLE, DETECTORS, MIN_FACE_PX, MIN_SHARPNESS, Face, find_faces, one_face
from .errors import FaceError, FaceTooBlurred, FaceTooSmall, NoFace, SeveralFaces, UnreadableImage
from .images import DEFAULT_MAX_SIDE, DecodedImage, decode_image
from .index import FaceIndex, Match
from .models import ModelsMissing
from .similarity import DEFAULT_THRESHOLD, distance_for, similarity

__all__ = [
    "DEFAULT_MAX_SIDE", "DEFAULT_THRESHOLD", "DEFAULT_UPSAMPLE", "DETECTORS", "MIN_FACE_PX", "MIN_SHARPNESS",
    "DecodedImage", "Face", "FaceError", "FaceIndex", "FaceTooBlurred", "FaceTooSmall", "Match",
    "ModelsMissing", "NoFace", "SeveralFaces", "UnreadableImage", "decode_image", "distance_for",
    "find_faces", "one_face", "similarity",
]
