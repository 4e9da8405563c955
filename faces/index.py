"""Each project's faces as one matrix, shared by every web and worker process through the database.

The matrix a process keeps is tagged with the project's `faces_version`; every enrol, change and delete bumps
that version in its own transaction, so a search reads the version first and never uses an older matrix.
A missing or older stored matrix is rebuilt from the Face rows and stored for the other processes.
"""

import threading
from collections import OrderedDict

import numpy as np
from django.conf import settings
from django.db import IntegrityError, transaction

from .models import Face, FaceProject, SearchMatrix
from .recognition import FaceIndex

# project pk → (the project's creation time, faces_version, index); the creation time tells a new project from a
# deleted one whose id a database reused (SQLite does after a rollback).
_kept: OrderedDict[int, tuple[object, int, FaceIndex]] = OrderedDict()
_lock = threading.Lock()


def current_version(project):
    return FaceProject.objects.filter(pk=project.pk).values_list("faces_version", flat=True).first() or 0


def _tag(project, version):
    return (project.created_at, version)


def project_index(project):
    """The FaceIndex of `project`'s faces as they are now."""
    version = current_version(project)  # read before the faces: a matrix is never newer than its tag says
    with _lock:
        kept = _kept.get(project.pk)
        if kept and kept[:2] == _tag(project, version):
            _kept.move_to_end(project.pk)
            return kept[2]
    stored = SearchMatrix.objects.filter(project=project, faces_version=version).values_list("data", flat=True).first()
    if stored is not None:
        index = FaceIndex.from_bytes(bytes(stored))
    else:
        index = build_index(project)
        store(project, version, index)
    with _lock:
        _kept[project.pk] = (*_tag(project, version), index)
        _kept.move_to_end(project.pk)
        while len(_kept) > settings.FACE_INDEXES_KEPT:
            _kept.popitem(last=False)
    return index


def build_index(project):
    rows = list(Face.objects.filter(subject__project=project).order_by("pk")
                .values_list("pk", "subject_id", "embedding"))
    ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
    labels = np.fromiter((row[1] for row in rows), dtype=np.int64, count=len(rows))
    vectors = np.frombuffer(b"".join(bytes(row[2]) for row in rows), dtype=np.float32).reshape(len(rows), -1) \
        if rows else np.zeros((0, 128), dtype=np.float32)
    return FaceIndex(ids, vectors, labels)


def store(project, version, index):
    data = index.to_bytes()
    try:
        with transaction.atomic():
            updated = SearchMatrix.objects.filter(project=project, faces_version__lt=version).update(
                faces_version=version, data=data)
            if not updated and not SearchMatrix.objects.filter(project=project).exists():
                SearchMatrix.objects.create(project=project, faces_version=version, data=data)
    except IntegrityError:
        pass  # another process stored the same version first


def forget(project_id):
    with _lock:
        _kept.pop(project_id, None)
