"""Enrolling many people at once from a .zip: a folder per person (`Ada Lovelace/1.jpg`), or, with no folders,
files named after the person (`ada_lovelace.jpg`, `ada_lovelace_2.jpg`).

People already in the project under the same name (properties.name) get the new faces; photos refused (no face,
too small, too blurred, several faces) are listed in the report with the reason, and never stop the others.
"""

import csv
import itertools
import re
from collections import defaultdict
from pathlib import PurePosixPath

from django.conf import settings
from django.db.models import Q

from core.errors import ServiceError
from gallery.pipelines import Input, Output, OutputKind, Parameter, PipelineFailed, register
from media import MediaError
from media.archive import extract_named_images

from ..models import PeopleImport, Subject

MAX_PHOTOS = 5000
# The largest .zip one import takes (2 GB): the dashboard's form refuses a larger one before anything is queued,
# and so does services.import_people. The photos inside are bounded again when they are extracted.
MAX_ARCHIVE_BYTES = 2 * 1024**3
REPORT_FIELDS = ["file", "person", "user_id", "face_id", "result", "message"]


def person_name(entry_name, *, by_folder):
    """The person an archive entry is a photo of: its folder, or its file name without a trailing number."""
    path = PurePosixPath(entry_name)
    if by_folder and len(path.parts) > 1:
        return path.parts[-2].strip()
    stem = re.sub(r"[\s_-]*\(?\d+\)?$", "", path.stem)  # "ada_lovelace_2", "ada (3)" → the person
    return re.sub(r"[_]+", " ", stem).strip() or path.stem


def group_by_person(entry_names):
    """{person: [entry name, ...]}. Folders name people when any photo sits in one (a common top folder, as
    zipping a folder makes, is not a person)."""
    names = list(entry_names)
    parents = {PurePosixPath(name).parent for name in names}
    common = PurePosixPath(*PurePosixPath(names[0]).parts[:1]) if len(parents) == 1 and names else None
    if common is not None and all(PurePosixPath(name).parent == common for name in names):
        names_in = {name: str(PurePosixPath(name).relative_to(common)) for name in names}
    else:
        names_in = {name: name for name in names}
    by_folder = any(len(PurePosixPath(inner).parts) > 1 for inner in names_in.values())
    people = defaultdict(list)
    for name, inner in names_in.items():
        people[person_name(inner, by_folder=by_folder)].append(name)
    return dict(people)


@register(
    "faces-import", timeout=2 * 60 * 60, category="face-import", label="Import people",
    method="Each photo's largest face found by dlib's HOG detector and described by dlib's ResNet (128 numbers).",
    # Opening the archive reads its list of names; each photo's face is then found and described (dlib, about a
    # third of a second each on one core): enrolling is nearly all of the time.
    stages=[("extract", "Opening the archive", 0.05), ("enrol", "Enrolling faces", 0.95, "photo")],
    outputs=[OutputKind("report", "text/csv", "Import report (.csv)")],
    inputs=[Input("faces.peopleimport")],
    parameters=[Parameter("status", "APPROVED", label="Status of new people", choices=("APPROVED", "UNAPPROVED")),
                Parameter("save_images", False, label="Keep the photos", choices=(True, False))],
)
def run_import(item, job):
    people_import = item.source
    if not isinstance(people_import, PeopleImport):
        raise PipelineFailed("This item has no people import to run.")
    project = people_import.project
    job.report("extract", 0, 1)
    try:
        photos = extract_named_images(job.local_path(people_import.archive), job.work_dir / "photos",
                                      max_files=MAX_PHOTOS, max_pixels=settings.IMAGE_MAX_PIXELS)
    except MediaError as exc:
        forget_archive(people_import)
        raise PipelineFailed(str(exc)) from exc
    job.report("extract", 1, 1)

    rows, done = [], itertools.count(1)
    for person, entries in group_by_person(photos).items():
        rows.extend(enrol_person(project, person, {entry: photos[entry] for entry in entries}, item.parameters,
                                 report=lambda: job.report("enrol", next(done), len(photos))))
    report = job.work_dir / "report.csv"
    with report.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=REPORT_FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    forget_archive(people_import)
    if not any(row["result"] == "enrolled" for row in rows):
        raise PipelineFailed(f"None of the {len(rows)} photos could be enrolled: {rows[0]['message']}")
    return [Output("report", report, content_type="text/csv")]


def enrol_person(project, person, photos, parameters, report):
    """The report rows of one person's photos. Someone new whose photos are all refused is not added."""
    from ..services import enrol_face

    subject = project.subjects.filter(Q(properties__name=person)).order_by("pk").first()
    is_new = subject is None
    if is_new:
        subject = Subject.objects.create(project=project, status=parameters["status"], registrant="IMPORT",
                                         properties={"name": person})
    rows = []
    for entry, path in photos.items():
        row = {"file": entry, "person": person, "user_id": subject.pk, "face_id": "", "message": ""}
        try:
            face = enrol_face(subject, path.read_bytes(), save_image=parameters["save_images"])
            row.update(face_id=face.pk, result="enrolled")
        except ServiceError as exc:
            row.update(result="refused", message=exc.message)
        rows.append(row)
        report()
    if is_new and not any(row["result"] == "enrolled" for row in rows):
        subject.delete()
        for row in rows:
            row["user_id"] = ""
    return rows


def forget_archive(people_import):
    """The uploaded photos are not kept once read: only the faces (and their photos where asked) stay."""
    people_import.archive.delete(save=True)
