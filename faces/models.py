"""Face ID: projects of enrolled people (the seed's "project users"), their faces, and what was recognised.

A project's faces are searched as one matrix (faces.index): every change to a project's faces bumps
`FaceProject.faces_version` in the same transaction, so no process ever searches a stale matrix.
"""

from pathlib import PurePosixPath

import numpy as np
from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from django.db.models import F, Q
from django.utils import timezone


def face_image_path(face, filename):
    suffix = PurePosixPath(filename).suffix.lower() or ".jpg"
    return f"faces/{face.subject.project_id}/{face.subject_id}/face-{face.pk or 'new'}{suffix}"


def recognition_image_path(recognition, filename):
    suffix = PurePosixPath(filename).suffix.lower() or ".jpg"
    return f"faces/{recognition.project_id}/recognitions/{recognition.created_at:%Y%m%d-%H%M%S-%f}{suffix}"


class FaceProjectQuerySet(models.QuerySet):
    def usable_by(self, user):
        """The projects `user` owns, and those shared with a group `user` belongs to."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(Q(owner=user) | Q(group__members=user)).distinct()


class FaceProject(models.Model):
    """A set of people recognised together (an office's staff, an event's guests)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="face_projects")
    name = models.CharField(max_length=150)
    group = models.ForeignKey(
        "roles.Group", null=True, blank=True, on_delete=models.SET_NULL, related_name="face_projects",
        help_text="Members of this group may use the project too (enrol people, check in, search).",
    )
    match_threshold = models.FloatField(
        help_text="Similarity (percent) a face needs to be taken as an enrolled person.")
    save_recognition_images = models.BooleanField(
        default=False, help_text="Keep the photo of each check-in and search in the log.")
    # Bumped with every change to the project's faces (faces.index reads it to know its matrix is current).
    faces_version = models.PositiveBigIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = FaceProjectQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return self.name

    def faces_changed(self):
        """Call inside the transaction that changes this project's faces."""
        FaceProject.objects.filter(pk=self.pk).update(faces_version=F("faces_version") + 1)

    def is_usable_by(self, user):
        return FaceProject.objects.usable_by(user).filter(pk=self.pk).exists()


class Subject(models.Model):
    """A person enrolled in a project: the seed's "project user"."""

    project = models.ForeignKey(FaceProject, on_delete=models.CASCADE, related_name="subjects")
    group_id = models.BigIntegerField(null=True, blank=True, help_text="The client's own grouping (a team, a site).")
    registrant = models.CharField(max_length=150, blank=True, help_text="Who enrolled the person (the seed's USER).")
    status = models.CharField(max_length=50, blank=True,
                              help_text="The client's own state of the person, e.g. APPROVED or UNAPPROVED.")
    properties = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        name = self.properties.get("name") if isinstance(self.properties, dict) else None
        return str(name or f"Person {self.pk}")


class Face(models.Model):
    """One enrolled photo of a subject: its 128-number descriptor, where the face was, and how good it was."""

    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="faces")
    embedding = models.BinaryField(help_text="128 float32 numbers: the dlib ResNet descriptor.")
    left = models.PositiveIntegerField()
    top = models.PositiveIntegerField()
    right = models.PositiveIntegerField()
    bottom = models.PositiveIntegerField()
    quality = models.FloatField(help_text="0 to 1, from the face's size, sharpness and detector score.")
    image = models.ImageField(upload_to=face_image_path, blank=True,
                              help_text="The photo, kept only when the client asked (save_image).")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"Face {self.pk} of {self.subject}"

    @property
    def vector(self):
        return np.frombuffer(bytes(self.embedding), dtype=np.float32)

    @property
    def box(self):
        return {"left": self.left, "top": self.top, "right": self.right, "bottom": self.bottom}


class SearchMatrix(models.Model):
    """A project's faces as one stored matrix (faces.recognition.FaceIndex bytes), shared by every process.

    Valid only while `faces_version` equals the project's: then loading it is one read instead of one row per face.
    """

    project = models.OneToOneField(FaceProject, on_delete=models.CASCADE, related_name="search_matrix")
    faces_version = models.PositiveBigIntegerField()
    data = models.BinaryField()
    built_at = models.DateTimeField(auto_now=True)


def import_archive_path(people_import, filename):
    return f"faces/{people_import.project_id}/imports/{people_import.created_at:%Y%m%d-%H%M%S-%f}.zip"


class PeopleImport(models.Model):
    """A .zip of people's photos enrolled by a worker: a folder per person, or files named after them."""

    project = models.ForeignKey(FaceProject, on_delete=models.CASCADE, related_name="imports")
    archive = models.FileField(upload_to=import_archive_path)
    original_filename = models.CharField(max_length=255, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    items = GenericRelation("gallery.Item", content_type_field="source_type", object_id_field="source_id",
                            related_query_name="people_import")

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return self.original_filename or f"Import {self.pk}"

    def item_inputs(self):
        return [(self.original_filename or "people.zip", self.archive)] if self.archive else []

    def item_description(self):
        return {"project": self.project_id, "projectName": self.project.name, "file": self.original_filename}


class Recognition(models.Model):
    """A check-in or a search: what was asked, who was found, how sure, and what was decided."""

    class Kind(models.TextChoices):
        CHECK_IN = "check-in", "Check-in"
        SEARCH = "search", "Search"

    class Outcome(models.TextChoices):
        MATCHED = "matched", "Recognised"
        NO_MATCH = "no-match", "Nobody matched"
        REFUSED = "refused", "Photo refused"

    project = models.ForeignKey(FaceProject, on_delete=models.CASCADE, related_name="recognitions")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    subject = models.ForeignKey(Subject, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="recognitions", help_text="The best candidate, matched or not.")
    similarity = models.FloatField(null=True, blank=True)
    threshold = models.FloatField(help_text="The threshold the decision was made with.")
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    reason = models.CharField(max_length=300, blank=True, help_text="Why a photo was refused or nobody matched.")
    image = models.ImageField(upload_to=recognition_image_path, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M:%S}: {self.get_outcome_display()}"

    @property
    def matched(self):
        return self.outcome == self.Outcome.MATCHED
