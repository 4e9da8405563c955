"""Face ID's reads: the projects an account may use, and the people, faces and log lines inside them."""

from django.db.models import Count, Q

from core.errors import Forbidden, Invalid, NotFound

from .models import Face, FaceProject, PeopleImport, Recognition, Subject


def parse_id(value, name):
    """A path id as an integer; anything else is refused, naming the part of the path."""
    try:
        number = int(str(value))
    except ValueError:
        raise Invalid(f"{name} must be an integer, not {str(value)[:40]!r}.") from None
    if number < 1 or number > 2**63 - 1:
        raise Invalid(f"{name} must be a positive integer.")
    return number


def projects_for(user):
    """The projects `user` may use, with their people and faces counted."""
    return FaceProject.objects.usable_by(user).annotate(
        people=Count("subjects", distinct=True), faces=Count("subjects__faces", distinct=True),
    ).order_by("created_at", "pk")


def usable_project(user, project_id):
    """Someone else's project and an unknown id answer the same 403: neither tells whether the other exists."""
    number = parse_id(project_id, "project_id")
    project = FaceProject.objects.usable_by(user).filter(pk=number).first()
    if project is None:
        raise Forbidden(f"You have no project {number}: it is not yours or shared with a group of yours. "
                        "GET /api/v1/projects lists the ones you can use.")
    return project


def subject_of(project, user_id):
    number = parse_id(user_id, "user_id")
    subject = Subject.objects.filter(project=project, pk=number).first()
    if subject is None:
        raise NotFound(f"Project {project.pk} has no user {number}.")
    return subject


def face_of(subject, face_id):
    number = parse_id(face_id, "face_id")
    face = Face.objects.filter(subject=subject, pk=number).first()
    if face is None:
        raise NotFound(f"User {subject.pk} has no face {number}.")
    return face


def people(project, *, search=""):
    queryset = project.subjects.annotate(face_count=Count("faces")).prefetch_related("faces")
    if search:
        queryset = queryset.filter(Q(properties__icontains=search) | Q(registrant__icontains=search)
                                   | Q(status__iexact=search))
    return queryset


def recognitions(project):
    return Recognition.objects.filter(project=project).select_related("subject")


def imports(project):
    """The project's people imports, newest first, with their jobs (PeopleImport.items) at hand."""
    return PeopleImport.objects.filter(project=project).select_related("uploaded_by").prefetch_related("items")


def import_of(project, import_id):
    number = parse_id(import_id, "import_id")
    people_import = imports(project).filter(pk=number).first()
    if people_import is None:
        raise NotFound(f"Project {project.pk} has no import {number}.")
    return people_import


def import_item(people_import):
    """The job that runs the import (the newest, should it ever have been run again); None when it is gone."""
    return max(people_import.items.all(), key=lambda item: item.created_at, default=None)
