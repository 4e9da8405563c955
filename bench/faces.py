"""Face recognition (faces.recognition) on the shared photos of ../shared/data/faces: accuracy, speed of
detection and embedding, and speed of the search alone at 1k / 10k / 100k enrolled faces.

Accuracy: one subject per person enrolled from the train_* photos (obama, biden, kit_harington,
rose_leslie, alex_lacamoire) and enroll_lin_manuel_miranda.png; then the held-out photos, one frame a
second of short_hamilton_clip.mp4 (Lin-Manuel Miranda on stage for 8 s, then the audience, Obama among
them, out of focus), the strangers of fer_multi.jpg and fer_no_face.jpg. A face is accepted when its best
subject's similarity reaches DEFAULT_THRESHOLD.
"""

from __future__ import annotations

import io
import time
import tracemalloc

import numpy as np

from . import SHARED_DATA
from .report import Result, Stopwatch

FACES = SHARED_DATA / "faces"
TRAIN = {
    "obama": ("train_obama_obama.jpg", "train_obama_obama2.jpg"),
    "biden": ("train_biden_biden.jpg", "train_biden_biden2.jpg"),
    "kit_harington": ("train_kit_harington_john1.jpeg", "train_kit_harington_john2.jpeg"),
    "rose_leslie": ("train_rose_leslie_img1.jpg", "train_rose_leslie_img2.jpg"),
    "alex_lacamoire": ("train_alex_lacamoire_img1.jpg",),
    "lin_manuel_miranda": ("enroll_lin_manuel_miranda.png",),
}
# photo -> the people in it. One person: the largest face must be them. Several: each must be found, and
# every other face refused as a stranger.
HELD_OUT = {
    "unittest_obama3.jpg": {"obama"},
    "unittest_obama_partial_face.jpg": {"obama"},
    "unittest_32bit.png": {"obama"},
    "enroll_alex_lacamoire.png": {"alex_lacamoire"},
    "two_people.jpg": {"obama", "biden"},
    "knn_test_obama_and_biden.jpg": {"obama", "biden"},  # and an out-of-focus child: a stranger
}
CLIP = "short_hamilton_clip.mp4"
CLIP_STAGE_SECONDS = 8  # then the audience
STRANGERS = "fer_multi.jpg"
NO_FACE = "fer_no_face.jpg"
SEARCH_SIZES = (1_000, 10_000, 100_000)


def run(quick: bool = False) -> Result:
    result = Result("faces", "Face recognition: dlib HOG/CNN + ResNet descriptors, exact FaceIndex search")
    if not (FACES / NO_FACE).is_file():
        result.notes.append(f"skipped: the photos are not at {FACES}")
        return result
    from faces.recognition import DEFAULT_THRESHOLD, distance_for

    accuracy = _accuracy(result)
    _timing(result, runs=5 if quick else 20)
    _search(result, queries=20 if quick else 200)
    if not quick:
        _detector_recall(result)
    result.summary = (f"faces: top-1 {accuracy['correct']}/{accuracy['total']} enrolled faces found, "
                      f"{accuracy['strangers_accepted']} of {accuracy['strangers']} strangers accepted, "
                      f"no-face photo: {accuracy['no_face']}; threshold {DEFAULT_THRESHOLD:.0f} % "
                      f"(distance {distance_for(DEFAULT_THRESHOLD):.3f})")
    return result


def _accuracy(result: Result) -> dict:
    import imageio_ffmpeg

    from faces.recognition import (
        DEFAULT_THRESHOLD,
        FaceIndex,
        NoFace,
        decode_image,
        distance_for,
        find_faces,
        one_face,
        similarity,
    )

    names = list(TRAIN)
    ids, embeddings, labels = [], [], []
    for label, person in enumerate(names):
        for photo in TRAIN[person]:
            face = one_face(decode_image((FACES / photo).read_bytes()))
            ids.append(len(ids))
            embeddings.append(face.embedding)
            labels.append(label)
    index = FaceIndex(np.array(ids), np.array(embeddings), np.array(labels))

    counts = {"correct": 0, "total": 0, "strangers": 0, "strangers_accepted": 0}
    genuine, impostor = [], []

    def judge(source, expected: set[str], faces, *, group: bool):
        """Rows for `faces`. Alone (group False) the face must be accepted as the expected person; in a group
        every face accepted must be one of `expected`, and a face not accepted counts as a stranger."""
        for face in faces:
            matches = index.search(face.embedding, k=len(names))
            best, found = matches[0], names[matches[0].label]
            accepted = best.similarity >= DEFAULT_THRESHOLD
            impostor.extend(m.distance for m in matches if names[m.label] not in expected)
            if accepted and found in expected:
                verdict = "right"
                counts["correct"] += 1
                counts["total"] += 1
                genuine.append(best.distance)
            elif group and not accepted:
                verdict = "stranger, refused"
                counts["strangers"] += 1
            elif group:
                verdict = "STRANGER ACCEPTED"
                counts["strangers"] += 1
                counts["strangers_accepted"] += 1
            else:
                verdict = "WRONG PERSON" if accepted else "MISSED"
                counts["total"] += 1
            result.rows.append({"photo": source, "face px": face.size, "sharpness": face.sharpness,
                                "expected": "/".join(sorted(expected)) or "stranger", "nearest": found,
                                "distance": best.distance, "similarity %": best.similarity,
                                "accepted": accepted, "verdict": verdict})
            yield found if accepted else None

    for photo, expected in HELD_OUT.items():
        faces = find_faces(decode_image((FACES / photo).read_bytes()))
        group = len(expected) > 1
        found = set(judge(photo, expected, faces if group else faces[:1], group=group))
        for person in sorted(expected - found):
            counts["total"] += 1
            result.rows.append({"photo": photo, "expected": person, "verdict": "MISSED"})

    frames = imageio_ffmpeg.read_frames(str(FACES / CLIP))
    meta = next(frames)
    width, height = meta["size"]
    step = round(meta["fps"])
    for number, frame in enumerate(frames):
        if number % step:
            continue
        second = number // step
        image = np.frombuffer(frame, dtype=np.uint8).reshape(height, width, 3)
        faces = find_faces(image)
        stage = second < CLIP_STAGE_SECONDS
        if stage and not faces:
            # Not counted: a turned or tiny face the detector does not see is not a recognition error.
            result.rows.append({"photo": f"{CLIP} {second} s", "expected": "lin_manuel_miranda",
                                "verdict": "no face detected"})
        # On stage: the performer (the largest face); in the audience: Obama may be accepted, no one else.
        list(judge(f"{CLIP} {second} s", {"lin_manuel_miranda"} if stage else {"obama"},
                   faces[:1] if stage else faces, group=not stage))

    list(judge(STRANGERS, set(), find_faces(decode_image((FACES / STRANGERS).read_bytes())), group=True))
    try:
        one_face(decode_image((FACES / NO_FACE).read_bytes()))
        no_face = "a face was found (wrong)"
    except NoFace:
        no_face = "NoFace (right)"
    counts["no_face"] = no_face
    result.rows.append({"photo": NO_FACE, "expected": "no face", "verdict": no_face})

    result.notes += [
        f"genuine distances (accepted, right person): {', '.join(f'{d:.3f}' for d in sorted(genuine))}",
        f"nearest impostor distances: {', '.join(f'{d:.3f}' for d in sorted(impostor)[:8])}",
        f"largest genuine {max(genuine):.3f} ({similarity(max(genuine)):.1f} %), smallest impostor "
        f"{min(impostor):.3f} ({similarity(min(impostor)):.1f} %); threshold {DEFAULT_THRESHOLD:.0f} % = distance "
        f"{distance_for(DEFAULT_THRESHOLD):.3f}",
    ]
    return counts


def _percentiles(times: list[float]) -> tuple[float, float]:
    return float(np.percentile(times, 50)), float(np.percentile(times, 95))


def _timing(result: Result, runs: int):
    from PIL import Image, ImageOps

    from faces.recognition import decode_image, find_faces

    photo = ImageOps.exif_transpose(Image.open(FACES / "two_people.jpg")).convert("RGB")
    photo = ImageOps.fit(photo, (640, 480))
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG", quality=90)
    data = buffer.getvalue()
    big = (FACES / "unittest_obama3.jpg").read_bytes()
    cases = [("640x480 JPEG, HOG, upsample 1 (default)", data, {"detector": "hog"}, {}),
             ("640x480 JPEG, HOG, upsample 0", data, {"detector": "hog", "upsample": 0}, {}),
             ("640x480 JPEG, CNN, upsample 0", data, {"detector": "cnn"}, {}),
             ("1434x2333 JPEG at max_side 1024 (default), HOG", big, {"detector": "hog"}, {}),
             ("1434x2333 JPEG at full size, HOG", big, {"detector": "hog"}, {"max_side": 4096})]
    find_faces(decode_image(data), detector="cnn")  # loads the models: not counted
    result.notes.append("detection + embedding, decode included (p50 / p95 over "
                        f"{runs} runs, largest face box shown):")
    for name, payload, options, decoding in cases:
        times, faces = [], []
        for _ in range(runs if "CNN" not in name else max(3, runs // 2)):
            clock = time.perf_counter()
            faces = find_faces(decode_image(payload, **decoding), **options)
            times.append(time.perf_counter() - clock)
        p50, p95 = _percentiles(times)
        result.notes.append(f"  {name}: p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, {len(faces)} faces"
                            + (f", largest {faces[0].box}" if faces else ""))


def _search(result: Result, queries: int):
    from faces.recognition import FaceIndex

    try:
        import faiss
    except ImportError:
        faiss = None
    rng = np.random.default_rng(0)
    result.notes.append(f"search alone, synthetic descriptors, 1 subject per 3 faces, k=5 subjects "
                        f"(p50 / p95 over {queries} queries):")
    for size in SEARCH_SIZES:
        embeddings = rng.normal(0, 0.1, size=(size, 128)).astype(np.float32)
        ids = np.arange(size, dtype=np.int64)
        labels = ids // 3
        tracemalloc.start()
        clock = Stopwatch()
        index = FaceIndex(ids, embeddings, labels)
        build = clock.lap()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        probes = embeddings[rng.integers(0, size, queries)] + rng.normal(0, 0.02, (queries, 128)).astype(np.float32)
        times = []
        for query in probes:
            clock = time.perf_counter()
            index.search(query, k=5)
            times.append(time.perf_counter() - clock)
        p50, p95 = _percentiles(times)
        blob = len(index.to_bytes())
        line = (f"  {size:>7,} faces: FaceIndex build {build * 1000:.0f} ms, {index.nbytes / 2**20:.1f} MiB held "
                f"(peak {peak / 2**20:.1f} MiB while building), to_bytes {blob / 2**20:.1f} MiB; "
                f"search p50 {p50 * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms")
        if faiss is not None:
            clock = Stopwatch()
            flat = faiss.IndexFlatL2(128)
            flat.add(embeddings)
            faiss_build = clock.lap()
            times = []
            for query in probes:
                clock = time.perf_counter()
                flat.search(query.reshape(1, 128), 15)  # 15 faces to cover 5 subjects of 3 faces
                times.append(time.perf_counter() - clock)
            f50, f95 = _percentiles(times)
            line += (f" | faiss IndexFlatL2 build {faiss_build * 1000:.0f} ms, search p50 {f50 * 1000:.2f} ms, "
                     f"p95 {f95 * 1000:.2f} ms (faces, not deduplicated to subjects)")
        result.notes.append(line)
    if faiss is None:
        result.notes.append("  faiss is not installed: `pip install faiss-cpu==1.15.1` to compare IndexFlatL2.")


def _detector_recall(result: Result):
    from faces.recognition import decode_image, find_faces

    photos = sorted(path for path in FACES.iterdir() if path.suffix.lower() in (".jpg", ".jpeg", ".png"))
    lines = []
    for detector, upsample in (("hog", 0), ("hog", 1), ("cnn", 0)):
        clock, found = Stopwatch(), []
        for path in photos:
            found.append(len(find_faces(decode_image(path.read_bytes()), detector=detector, upsample=upsample)))
        lines.append(f"  {detector} upsample {upsample}: {sum(found)} faces in {len(photos)} photos "
                     f"({sum(1 for n in found if n)} photos with a face) in {clock.total:.1f} s")
    result.notes += ["detector recall on every shared photo (decoded at max_side 1024):", *lines]
