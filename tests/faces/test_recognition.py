"""faces.recognition on the real photos of ../shared/data/faces, and FaceIndex on synthetic descriptors.

Every photo is decoded and embedded once per module (HOG, as the doors use it): the whole file runs in
well under a minute on two cores.
"""

import io
import math

import numpy as np
import pytest
from PIL import Image, ImageFilter, ImageOps

from faces.recognition import (
    DEFAULT_THRESHOLD,
    FaceIndex,
    FaceTooBlurred,
    FaceTooSmall,
    Match,
    ModelsMissing,
    NoFace,
    SeveralFaces,
    UnreadableImage,
    decode_image,
    distance_for,
    find_faces,
    one_face,
    similarity,
)
from faces.recognition import models as face_models
from tests.data import needs, shared

FACES = "faces"
TRAIN = {
    "obama": ("train_obama_obama.jpg", "train_obama_obama2.jpg"),
    "biden": ("train_biden_biden.jpg", "train_biden_biden2.jpg"),
    "kit_harington": ("train_kit_harington_john1.jpeg", "train_kit_harington_john2.jpeg"),
    "rose_leslie": ("train_rose_leslie_img1.jpg", "train_rose_leslie_img2.jpg"),
    "alex_lacamoire": ("train_alex_lacamoire_img1.jpg",),
    "lin_manuel_miranda": ("enroll_lin_manuel_miranda.png",),
}
SUBJECTS = {name: label for label, name in enumerate(TRAIN, start=1)}
ALL_TRAIN = [f"{FACES}/{photo}" for photos in TRAIN.values() for photo in photos]


def photo_bytes(name: str) -> bytes:
    return shared(f"{FACES}/{name}").read_bytes()


def encoded(image: Image.Image, format="PNG", **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format, **options)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def faces_in():
    """name -> find_faces of that shared photo, computed once per module."""
    cache = {}

    def faces(name):
        if name not in cache:
            cache[name] = find_faces(decode_image(photo_bytes(name)))
        return cache[name]

    return faces


@pytest.fixture(scope="module")
def enrolled(faces_in):
    ids, embeddings, labels = [], [], []
    for person, photos in TRAIN.items():
        for photo in photos:
            ids.append(len(ids) + 1)
            embeddings.append(faces_in(photo)[0].embedding)
            labels.append(SUBJECTS[person])
    return FaceIndex(np.array(ids), np.array(embeddings), np.array(labels))


def identify(index, face):
    """The subject name accepted for `face`, or None when no one is similar enough."""
    best = index.search(face.embedding)[0]
    name = next(name for name, label in SUBJECTS.items() if label == best.label)
    return name if best.similarity >= DEFAULT_THRESHOLD else None


@needs(*ALL_TRAIN)
def test_two_photos_of_obama_are_closer_than_obama_and_biden(faces_in):
    obama = [faces_in(photo)[0].embedding for photo in TRAIN["obama"]]
    biden = [faces_in(photo)[0].embedding for photo in TRAIN["biden"]]
    same = np.linalg.norm(obama[0] - obama[1])
    other = min(np.linalg.norm(a - b) for a in obama for b in biden)
    assert same < 0.6 < other
    assert similarity(same) >= DEFAULT_THRESHOLD > similarity(other)


@needs(*ALL_TRAIN, f"{FACES}/unittest_obama3.jpg", f"{FACES}/unittest_obama_partial_face.jpg",
       f"{FACES}/unittest_32bit.png", f"{FACES}/enroll_alex_lacamoire.png")
@pytest.mark.parametrize("photo, person", [
    ("unittest_obama3.jpg", "obama"),
    ("unittest_obama_partial_face.jpg", "obama"),
    ("unittest_32bit.png", "obama"),  # RGBA
    ("enroll_alex_lacamoire.png", "alex_lacamoire"),
])
def test_held_out_photos_are_identified(faces_in, enrolled, photo, person):
    face = one_face(decode_image(photo_bytes(photo)))
    assert identify(enrolled, face) == person


@needs(*ALL_TRAIN, f"{FACES}/two_people.jpg", f"{FACES}/knn_test_obama_and_biden.jpg")
@pytest.mark.parametrize("photo", ["two_people.jpg", "knn_test_obama_and_biden.jpg"])
def test_both_faces_of_a_group_photo_are_found(faces_in, enrolled, photo):
    found = [identify(enrolled, face) for face in faces_in(photo)]
    # knn_test also holds a blurred child in a corner: a stranger, who must not be accepted.
    assert sorted(name for name in found if name) == ["biden", "obama"]


@needs(*ALL_TRAIN, f"{FACES}/short_hamilton_clip.mp4")
def test_a_video_frame_finds_the_enrolled_performer(enrolled):
    import imageio_ffmpeg

    frames = imageio_ffmpeg.read_frames(str(shared(f"{FACES}/short_hamilton_clip.mp4")))
    meta = next(frames)
    width, height = meta["size"]
    frame = next(frame for number, frame in enumerate(frames) if number == round(5 * meta["fps"]))
    face = one_face(np.frombuffer(frame, dtype=np.uint8).reshape(height, width, 3))
    assert identify(enrolled, face) == "lin_manuel_miranda"


@needs(*ALL_TRAIN, f"{FACES}/fer_multi.jpg")
def test_strangers_are_not_accepted(faces_in, enrolled):
    strangers = faces_in("fer_multi.jpg")
    assert len(strangers) == 2
    assert [identify(enrolled, face) for face in strangers] == [None, None]


@needs(f"{FACES}/fer_no_face.jpg")
def test_a_photo_without_a_face_is_refused():
    with pytest.raises(NoFace) as refused:
        one_face(decode_image(photo_bytes("fer_no_face.jpg")))
    assert refused.value.reason == "no_face" and "No face was found" in str(refused.value)


@needs(f"{FACES}/fer_multi.jpg")
def test_several_faces_are_refused_when_exactly_one_is_needed():
    image = decode_image(photo_bytes("fer_multi.jpg"))
    with pytest.raises(SeveralFaces) as refused:
        one_face(image, exactly_one=True)
    assert refused.value.count == 2 and "2 faces" in str(refused.value)


@needs(f"{FACES}/train_obama_obama.jpg")
def test_a_blurred_face_is_refused():
    upright = ImageOps.exif_transpose(Image.open(shared(f"{FACES}/train_obama_obama.jpg"))).convert("RGB")
    assert one_face(decode_image(encoded(upright, "JPEG", quality=92))).size > 200
    blurred = encoded(upright.filter(ImageFilter.GaussianBlur(6)), "JPEG", quality=92)
    with pytest.raises(FaceTooBlurred) as refused:
        one_face(decode_image(blurred))
    assert refused.value.reason == "face_too_blurred" and refused.value.sharpness < refused.value.minimum


@needs(f"{FACES}/train_obama_obama.jpg")
def test_a_tiny_face_is_refused():
    upright = ImageOps.exif_transpose(Image.open(shared(f"{FACES}/train_obama_obama.jpg"))).convert("RGB")
    tiny = upright.resize((140, round(140 * upright.height / upright.width)), Image.Resampling.LANCZOS)
    with pytest.raises(FaceTooSmall) as refused:
        one_face(decode_image(encoded(tiny)))
    assert refused.value.size < refused.value.minimum
    assert f"{refused.value.size} px" in str(refused.value) and f"{refused.value.minimum} px" in str(refused.value)


@needs(f"{FACES}/unittest_32bit.png", f"{FACES}/train_obama_obama2.jpg")
def test_rgba_png_decodes_to_rgb_with_transparency_on_white(faces_in):
    image = decode_image(photo_bytes("unittest_32bit.png"))
    assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
    assert len(faces_in("unittest_32bit.png")) == 1
    clear = Image.new("RGBA", (40, 30), (0, 0, 0, 0))
    assert (decode_image(encoded(clear)) == 255).all()


def test_16_bit_greyscale_is_scaled_not_clipped():
    grey = Image.fromarray(np.full((20, 30), 32768, dtype=np.uint16))
    image = decode_image(encoded(grey))
    assert image.shape == (20, 30, 3) and 120 <= int(image[0, 0, 0]) <= 135


@needs(f"{FACES}/train_obama_obama2.jpg")
def test_exif_rotation_is_applied_and_boxes_are_in_the_upright_frame():
    upright = ImageOps.exif_transpose(Image.open(shared(f"{FACES}/train_obama_obama2.jpg"))).convert("RGB")
    plain = decode_image(encoded(upright, "JPEG", quality=95))
    straight = one_face(plain)
    # Orientation 6: the pixels are stored turned a quarter to the left; viewers turn them back.
    exif = Image.Exif()
    exif[0x0112] = 6
    stored = upright.transpose(Image.Transpose.ROTATE_90)
    turned = decode_image(encoded(stored, "JPEG", quality=95, exif=exif.tobytes()))
    assert turned.shape == plain.shape  # upright, reduced alike
    rotated = one_face(turned)
    assert max(abs(a - b) for a, b in zip(rotated.box, straight.box, strict=True)) <= 6


@needs(f"{FACES}/unittest_obama3.jpg")
def test_big_photos_are_reduced_but_boxes_stay_in_original_pixels(faces_in):
    data = photo_bytes("unittest_obama3.jpg")
    small = decode_image(data, max_side=512)
    assert max(small.shape[:2]) <= 512 and small.scale > 4
    full = faces_in("unittest_obama3.jpg")[0]
    reduced = find_faces(small)[0]
    assert max(abs(a - b) for a, b in zip(reduced.box, full.box, strict=True)) <= 0.1 * full.size


@pytest.mark.parametrize("data", [b"", b"\x00\x01garbage" * 100, b"Just some notes, not a photo.\n",
                                  b"\x89PNG\r\n\x1a\n" + b"\x00" * 64])
def test_what_is_not_a_photo_is_unreadable(data):
    with pytest.raises(UnreadableImage) as refused:
        decode_image(data)
    assert refused.value.reason == "unreadable_image" and str(refused.value).endswith(".")


def test_a_photo_over_the_pixel_limit_is_unreadable():
    with pytest.raises(UnreadableImage, match="megapixels"):
        decode_image(encoded(Image.new("RGB", (400, 300))), max_pixels=100_000)


@needs(f"{FACES}/enroll_alex_lacamoire.png")
def test_the_cnn_detector_finds_the_same_face(faces_in):
    image = decode_image(photo_bytes("enroll_alex_lacamoire.png"))
    cnn = find_faces(image, detector="cnn")
    hog = faces_in("enroll_alex_lacamoire.png")
    assert len(cnn) == 1 and np.linalg.norm(cnn[0].embedding - hog[0].embedding) < 0.2
    assert cnn[0].embedding.shape == (128,) and cnn[0].embedding.dtype == np.float32
    assert 0 < cnn[0].quality <= 1


def test_an_unknown_detector_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown face detector"):
        find_faces(np.zeros((10, 10, 3), np.uint8), detector="haar")


def test_missing_model_files_say_how_to_install_them(monkeypatch):
    monkeypatch.setattr(face_models.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModelsMissing, match="pip install"):
        face_models.models_folder()


def test_similarity_is_a_decreasing_percentage_and_distance_for_inverts_it():
    distances = np.linspace(0, 1.5, 61)
    percents = [similarity(d) for d in distances]
    assert percents[0] == 100.0 and percents[-1] == 0.0
    assert all(a >= b for a, b in zip(percents, percents[1:], strict=False))
    for percent in (10.0, 50.0, DEFAULT_THRESHOLD, 90.0):
        assert similarity(distance_for(percent)) == pytest.approx(percent, abs=0.1)
    assert distance_for(100) == 0.0 and math.isinf(distance_for(0))
    assert similarity(0.6) >= 50  # dlib's customary threshold reads as more alike than not


# FaceIndex on synthetic descriptors


def synthetic(count=50, seed=0):
    rng = np.random.default_rng(seed)
    embeddings = rng.normal(0, 0.1, size=(count, 128)).astype(np.float32)
    ids = np.arange(1000, 1000 + count, dtype=np.int64)
    labels = (np.arange(count) % 10).astype(np.int64) + 1  # 10 subjects, 5 faces each
    return ids, embeddings, labels


def test_search_finds_the_nearest_subject_by_its_best_face():
    ids, embeddings, labels = synthetic()
    index = FaceIndex(ids, embeddings, labels)
    query = embeddings[17] + 0.001
    best = index.search(query)
    assert best == [Match(label=int(labels[17]), face_id=int(ids[17]), distance=pytest.approx(0.001 * math.sqrt(128),
                                                                                              rel=1e-3),
                          similarity=100.0)]
    top = index.search(query, k=20)
    assert len(top) == 10 and len({match.label for match in top}) == 10  # one row per subject
    assert [m.distance for m in top] == sorted(m.distance for m in top)
    for match in top:  # each subject by its nearest face
        rows = labels == match.label
        assert match.distance == pytest.approx(float(np.linalg.norm(embeddings[rows] - query, axis=1).min()),
                                               rel=1e-5)


def test_search_respects_allowed_labels():
    ids, embeddings, labels = synthetic()
    index = FaceIndex(ids, embeddings, labels)
    found = index.search(embeddings[17], k=5, allowed_labels=np.array([2, 3]))
    assert sorted(match.label for match in found) == [2, 3] and labels[17] not in (2, 3)
    assert index.search(embeddings[17], allowed_labels=np.array([99])) == []


def test_the_index_round_trips_through_bytes():
    ids, embeddings, labels = synthetic()
    index = FaceIndex(ids, embeddings, labels)
    data = index.to_bytes()
    assert len(data) < 50 * (128 * 4 + 16) + 512
    copy = FaceIndex.from_bytes(data)
    assert len(copy) == 50
    assert copy.search(embeddings[3], k=3) == index.search(embeddings[3], k=3)
    with pytest.raises(ValueError):
        FaceIndex.from_bytes(b"not an index")
    with pytest.raises(ValueError, match="version"):
        FaceIndex.from_bytes(data[:12] + b"\x09\x00" + data[14:])


def test_an_empty_index_finds_no_one():
    index = FaceIndex(np.zeros(0, np.int64), np.zeros((0, 128), np.float32), np.zeros(0, np.int64))
    assert len(index) == 0 and index.search(np.zeros(128, np.float32), k=3) == []
    assert len(FaceIndex.from_bytes(index.to_bytes())) == 0
