"""Face ID's writes: projects, enrolled people and their faces, and recognising a face (check-in, search)."""

import io
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from PIL import Image

from core.errors import Conflict, Invalid, NotFound
from gallery import services as gallery

from . import recognition
from .conditions import Condition
from .index import forget, project_index
from .models import Face, FaceProject, PeopleImport, Recognition, Subject

IMAGE_SUFFIXES = {"JPEG": ".jpg", "MPO": ".jpg", "PNG": ".png", "WEBP": ".webp"}


# --- projects -----------------------------------------------------------------------------------

def create_project(owner, *, name, match_threshold=None, group=None, save_recognition_images=False):
    return FaceProject.objects.create(
        owner=owner, name=name, group=group, save_recognition_images=save_recognition_images,
        match_threshold=recognition.DEFAULT_THRESHOLD if match_threshold is None else match_threshold,
    )


def update_project(project, **changes):
    """Changes the project's name, match_threshold, group or save_recognition_images."""
    for name, value in changes.items():
        setattr(project, name, value)
    project.save()
    return project


def delete_project(project):
    """Deletes the project with its people, faces, log and every stored photo (signals)."""
    number = project.pk
    project.delete()
    transaction.on_commit(lambda: forget(number))


# --- people -------------------------------------------------------------------------------------

def import_people(project, archive, *, user, status="APPROVED", save_images=False):
    """Queues a worker job that enrols every photo in `archive` (an uploaded .zip); see pipelines/people_import.
    An archive over people_import.MAX_ARCHIVE_BYTES is refused (Invalid) before anything is stored."""
    from .pipelines.people_import import MAX_ARCHIVE_BYTES

    if archive.size is not None and archive.size > MAX_ARCHIVE_BYTES:
        raise Invalid(f"archive: the file is {archive.size / 1024**3:.1f} GB; an import takes at most "
                      f"{MAX_ARCHIVE_BYTES / 1024**3:g} GB. Split the photos into several .zip files.")
    with transaction.atomic():
        people_import = PeopleImport.objects.create(project=project, uploaded_by=user,
                                                    original_filename=(archive.name or "")[:255])
        people_import.archive.save("people.zip", archive, save=True)
        item = gallery.create_item(owner=user, name=f"Import into {project.name}"[:200], pipeline="faces-import",
                                   parameters={"status": status, "save_images": save_images},
                                   source=people_import)
    return people_import, item


def add_subject(project, *, group_id=None, registrant="", status="", properties=None):
    if project.subjects.count() >= settings.FACE_MAX_SUBJECTS:
        raise Conflict(f"The project already has {settings.FACE_MAX_SUBJECTS} people, the most it may hold. "
                       "Delete people who left, or make another project.")
    return Subject.objects.create(project=project, group_id=group_id, registrant=registrant or "",
                                  status=status or "", properties=properties or {})


def update_subject(subject, **changes):
    for name, value in changes.items():
        setattr(subject, name, value)
    subject.save()
    return subject


@transaction.atomic
def delete_subject(subject):
    """Deletes the person, their faces and stored photos; the recognition log keeps its lines, unnamed."""
    project = subject.project
    had_faces = subject.faces.exists()
    subject.delete()  # faces' stored photos leave with their rows (signals)
    if had_faces:
        project.faces_changed()
    return timezone.now()


# --- faces --------------------------------------------------------------------------------------

def read_face(data, *, exactly_one=False):
    """The face in a photo's bytes, or the request's 400 (unreadable) or 409 (no usable face)."""
    try:
        image = recognition.decode_image(data, max_pixels=settings.IMAGE_MAX_PIXELS)
    except recognition.UnreadableImage as exc:
        raise Invalid(f"image: {exc}") from None
    try:
        return recognition.one_face(image, exactly_one=exactly_one, detector=settings.FACE_DETECTOR)
    except recognition.FaceError as exc:
        raise Conflict(str(exc)) from None


def enrol_face(subject, data, *, save_image=False, exactly_one=False):
    found = read_face(data, exactly_one=exactly_one)
    if subject.faces.count() >= settings.FACE_MAX_PER_PERSON:
        raise Conflict(f"This person already has {settings.FACE_MAX_PER_PERSON} faces, the most one may have. "
                       "Delete one before adding another.")
    with transaction.atomic():
        face = Face(subject=subject)
        _set_face(face, found)
        face.save()
        if save_image:
            face.image.save(f"face{image_suffix(data)}", ContentFile(data), save=True)
        subject.project.faces_changed()
        Subject.objects.filter(pk=subject.pk).update(updated_at=timezone.now())
    return face


def change_face(face, *, data=None, save_image=None):
    """A new photo for the face (its descriptor is replaced), and/or keeping or dropping its stored photo.

    save_image left out keeps the photo stored as it was: replaced by the new one if one was stored.
    """
    found = read_face(data) if data is not None else None
    keep = bool(face.image) if save_image is None else save_image
    if keep and found is None and not face.image:
        raise Invalid("save_image: no photo of this face is stored: send the photo in `image` to keep it.")
    with transaction.atomic():
        if face.image and (found is not None or not keep):
            face.image.delete(save=False)
        if found is not None:
            _set_face(face, found)
            if keep:
                face.image.save(f"face{image_suffix(data)}", ContentFile(data), save=False)
        face.save()
        if found is not None:
            face.subject.project.faces_changed()
    return face


@transaction.atomic
def delete_face(face):
    project = face.subject.project
    face.delete()
    project.faces_changed()
    return timezone.now()


@transaction.atomic
def delete_faces(subject):
    deleted, _ = subject.faces.all().delete()
    if deleted:
        subject.project.faces_changed()
    return timezone.now()


def _set_face(face, found):
    face.embedding = found.embedding.astype(np.float32).tobytes()
    face.left, face.top, face.right, face.bottom = (max(0, int(v)) for v in found.box)
    face.quality = float(found.quality)


def image_suffix(data):
    with Image.open(io.BytesIO(data)) as image:
        return IMAGE_SUFFIXES.get(image.format, ".jpg")


# --- recognising ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Candidate:
    subject_id: int
    similarity: float


@dataclass(frozen=True)
class Outcome:
    recognition: Recognition
    subject: Subject | None
    candidates: list[Candidate]

    @property
    def matched(self):
        return self.recognition.matched


def recognise(project, data, *, kind, condition=None, candidates=1, user=None):
    """Who in `project` the face in `data` is: the best candidate and whether it clears the threshold.

    Every recognition is logged, refused photos included (409); an unreadable one (400) is not. Raises
    NotFound when the project (or the condition) leaves no enrolled face to compare with.
    """
    condition = condition or Condition()
    threshold = project.match_threshold if condition.min_similarity is None else condition.min_similarity
    log = Recognition(project=project, kind=kind, threshold=threshold, requested_by=user)
    try:
        found = read_face(data, exactly_one=condition.single_face)
    except Conflict as refused:
        _log(log, data, project, outcome=Recognition.Outcome.REFUSED, reason=refused.message)
        raise
    allowed = None
    if condition.restricts:
        allowed = np.fromiter(condition.subjects(project.subjects.all()).values_list("pk", flat=True), dtype=np.int64)
    matches = project_index(project).search(found.embedding, k=max(candidates, 1), allowed_labels=allowed)
    # A person deleted after the matrix was read is no candidate.
    present = set(Subject.objects.filter(project=project, pk__in=[m.label for m in matches])
                  .values_list("pk", flat=True))
    matches = [m for m in matches if m.label in present]
    if not matches:
        reason = ("Nobody meets the condition among the enrolled people." if condition.restricts
                  else "Nobody is enrolled in this project yet: enrol people's faces first.")
        _log(log, data, project, outcome=Recognition.Outcome.NO_MATCH, reason=reason)
        raise NotFound(reason)
    best = matches[0]
    log.subject_id, log.similarity = best.label, best.similarity
    if best.similarity >= threshold:
        _log(log, data, project, outcome=Recognition.Outcome.MATCHED)
    else:
        _log(log, data, project, outcome=Recognition.Outcome.NO_MATCH,
             reason=f"The closest person is {best.similarity:.1f}% similar; {threshold:.1f}% is needed.")
    subject = Subject.objects.get(pk=best.label)
    return Outcome(log, subject, [Candidate(m.label, m.similarity) for m in matches])


def _log(log, data, project, *, outcome, reason=""):
    log.outcome, log.reason = outcome, reason[:300]
    log.save()
    if project.save_recognition_images:
        log.image.save(f"photo{image_suffix(data)}", ContentFile(data), save=True)
