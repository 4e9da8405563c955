"""Face ID pages: the account's projects, a project (settings, people, check-in log), a person (enrol faces
from files or the webcam: static/js/face-camera.js), the kiosk (static/js/face-kiosk.js) and its check-in JSON,
and people imported from a .zip on a worker (a page per import with live progress, static/js/face-import.js,
then the report's rows and its CSV).

A project is reached by its owner and by the members of the group it is shared with; for anyone else it answers
404, as for a project that does not exist. Only the owner changes or deletes a project (403 for a member).
Stored photos and import reports are served only through these views, never from a public media URL.
"""

import csv
import io
from collections import Counter

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from PIL import Image, ImageOps

from accounts import services as account_services
from core.downloads import file_response
from core.errors import Forbidden, ServiceError
from faces import selectors, services
from faces.conditions import Condition
from faces.models import Recognition
from gallery import pipelines
from gallery.models import Item

from ..forms.faces import (
    PHOTO_ACCEPT,
    EnrolForm,
    ImportPeopleForm,
    NewProjectForm,
    PersonForm,
    ProjectForm,
    photo_max_bytes,
)

PEOPLE_PER_PAGE = 24
LOG_PER_PAGE = 25
RECENT_IMPORTS = 5
IMPORT_ROWS_PER_PAGE = 100
THUMBNAIL_SIZE = 192
# Where a person's page finds what the last enrolment made of each photo (one POST, then a redirect).
ENROLLED = "faces-enrolled-{}"


def wants_json(request):
    return "application/json" in request.headers.get("Accept", "")


def found(lookup, *args):
    """`lookup(*args)` from faces.selectors, with its refusal (the door's 403 or 404) as the dashboard's 404: pages
    answer an unknown id and another account's object alike."""
    try:
        return lookup(*args)
    except ServiceError as exc:
        raise Http404(exc.message) from None


def usable_project(user, pk):
    """A project `user` may use; 404 for an unknown id and another account's project alike."""
    return found(selectors.usable_project, user, pk)


def owned_project(user, pk):
    """A project `user` owns; a member of its group is refused (403), anyone else gets the 404."""
    project = usable_project(user, pk)
    if project.owner_id != user.pk:
        raise PermissionDenied("Only the project's owner can change or delete it.")
    return project


def subject_in(project, sid):
    return found(selectors.subject_of, project, sid)


def face_in(subject, fid):
    return found(selectors.face_of, subject, fid)


# --- projects -----------------------------------------------------------------------------------

@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def project_list(request):
    """The projects, and a new one. A key issued with it is shown in this POST's answer and never again."""
    form = NewProjectForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        project = services.create_project(
            request.user, name=data["name"], match_threshold=data["match_threshold"], group=data["group"],
            save_recognition_images=data["save_recognition_images"])
        if not data.get("issue_key"):
            messages.success(request, f"Project “{project.name}” was made. Add the people it should recognise.")
            return redirect("dashboard:face_project", pk=project.pk)
        return render_created(request, project)
    return render(request, "dashboard/faces/list.html", {
        "projects": selectors.projects_for(request.user), "form": form,
    }, status=400 if form.errors else 200)


def render_created(request, project):
    created, refusal = None, ""
    try:
        api_key, secret = account_services.issue_api_key(request.user, name=f"Face ID: {project.name}")
    except Forbidden as exc:
        refusal = exc.message
    else:
        created = {"key": api_key, "secret": secret}
    return render(request, "dashboard/faces/created.html", {
        "project": project, "created": created, "refusal": refusal,
        "site_url": request.build_absolute_uri("/").rstrip("/"),
    }, status=201)


@login_required
@require_GET
def project_detail(request, pk):
    project = usable_project(request.user, pk)
    return render_project(request, project)


def render_project(request, project, *, settings_form=None, person_form=None, import_form=None, status=200):
    search = request.GET.get("q", "").strip()[:100]
    people = selectors.people(project, search=search).order_by("created_at", "pk")
    people = Paginator(people, PEOPLE_PER_PAGE).get_page(request.GET.get("people"))
    for person in people:
        person.thumbs = [face for face in person.faces.all() if face.image][:3]
    log = Paginator(selectors.recognitions(project).select_related("requested_by"), LOG_PER_PAGE).get_page(
        request.GET.get("log"))
    is_owner = project.owner_id == request.user.pk
    imports = selectors.imports(project)
    recent = list(imports[:RECENT_IMPORTS])
    for people_import in recent:
        people_import.status = import_status(people_import)
    return render(request, "dashboard/faces/project.html", {
        "project": project, "is_owner": is_owner, "people": people, "log": log, "search": search,
        "settings_form": settings_form or ProjectForm(instance=project, user=request.user),
        "person_form": person_form or PersonForm(),
        "import_form": import_form or ImportPeopleForm(),
        "imports": recent, "older_imports": max(imports.count() - len(recent), 0) if recent else 0,
    }, status=status)


@login_required
@require_POST
def project_settings(request, pk):
    project = owned_project(request.user, pk)
    form = ProjectForm(request.POST, instance=project, user=request.user)
    if not form.is_valid():
        project.refresh_from_db()
        return render_project(request, project, settings_form=form, status=400)
    services.update_project(project, **form.cleaned_data)
    messages.success(request, "The project's settings were saved.")
    return redirect("dashboard:face_project", pk=project.pk)


@login_required
@require_http_methods(["GET", "POST"])
def project_delete(request, pk):
    project = owned_project(request.user, pk)
    if request.method == "POST":
        name = project.name
        services.delete_project(project)
        messages.success(request, f"“{name}” was deleted, with its people, faces, log and photos.")
        return redirect("dashboard:face_projects")
    return render(request, "dashboard/faces/delete.html", {
        "project": project, "what": "project",
        "people": project.subjects.count(), "log_lines": project.recognitions.count(),
    })


# --- people -------------------------------------------------------------------------------------

@login_required
@require_POST
def person_add(request, pk):
    project = usable_project(request.user, pk)
    form = PersonForm(request.POST)
    if form.is_valid():
        try:
            subject = services.add_subject(project, registrant=request.user.nickname or request.user.email,
                                           **form.changes())
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"{subject} was added. Now enrol their face.")
            return redirect("dashboard:face_person", pk=project.pk, sid=subject.pk)
    return render_project(request, project, person_form=form, status=400)


@login_required
@require_GET
def person_detail(request, pk, sid):
    project = usable_project(request.user, pk)
    subject = subject_in(project, sid)
    return render_person(request, project, subject)


def render_person(request, project, subject, *, person_form=None, enrol_form=None, status=200):
    return render(request, "dashboard/faces/person.html", {
        "project": project, "subject": subject, "faces": subject.faces.all(),
        "person_form": person_form or PersonForm.of(subject),
        "enrol_form": enrol_form or EnrolForm(), "accept": PHOTO_ACCEPT,
        "results": request.session.pop(ENROLLED.format(subject.pk), None),
        "max_faces": settings.FACE_MAX_PER_PERSON,
        "recent": selectors.recognitions(project).filter(subject=subject)[:5],
    }, status=status)


@login_required
@require_POST
def person_edit(request, pk, sid):
    project = usable_project(request.user, pk)
    subject = subject_in(project, sid)
    form = PersonForm(request.POST)
    if not form.is_valid():
        return render_person(request, project, subject, person_form=form, status=400)
    services.update_subject(subject, **form.changes(subject))
    messages.success(request, f"{subject} was saved.")
    return redirect("dashboard:face_person", pk=project.pk, sid=subject.pk)


@login_required
@require_http_methods(["GET", "POST"])
def person_delete(request, pk, sid):
    project = usable_project(request.user, pk)
    subject = subject_in(project, sid)
    if request.method == "POST":
        name = str(subject)
        services.delete_subject(subject)
        messages.success(request, f"{name} was deleted, with their faces and photos.")
        return redirect("dashboard:face_project", pk=project.pk)
    return render(request, "dashboard/faces/delete.html", {"project": project, "subject": subject, "what": "person",
                                                           "faces": subject.faces.count()})


# --- faces --------------------------------------------------------------------------------------

@login_required
@require_POST
def face_enrol(request, pk, sid):
    """Enrols each posted photo on its own: one refused photo does not stop the others. The results are shown
    on the person's page (the webcam's snapshot, posted as JSON-wanting, is told where that page is)."""
    project = usable_project(request.user, pk)
    subject = subject_in(project, sid)
    form = EnrolForm(request.POST, request.FILES)
    if not form.is_valid():
        if wants_json(request):
            return JsonResponse({"message": " ".join(m for ms in form.errors.values() for m in ms)}, status=400)
        return render_person(request, project, subject, enrol_form=form, status=400)
    results = [enrol_one(subject, photo, save_image=form.cleaned_data["save_image"])
               for photo in form.cleaned_data["photos"]]
    request.session[ENROLLED.format(subject.pk)] = results
    url = reverse("dashboard:face_person", kwargs={"pk": project.pk, "sid": subject.pk})
    if wants_json(request):
        return JsonResponse({"results": results, "url": url}, status=201 if all(r["ok"] for r in results) else 200)
    return redirect(url)


def enrol_one(subject, photo, *, save_image):
    name = photo.name or "photo"
    if photo.size > photo_max_bytes():
        return {"name": name, "ok": False,
                "message": f"The photo is {photo.size / 1024 / 1024:.1f} MB; the limit is "
                           f"{photo_max_bytes() // (1024 * 1024)} MB."}
    try:
        face = services.enrol_face(subject, photo.read(), save_image=save_image)
    except ServiceError as exc:
        return {"name": name, "ok": False, "message": exc.message.removeprefix("image: ")}
    return {"name": name, "ok": True, "message": f"Quality {face.quality:.0%}.", "face_id": face.pk}


@login_required
@require_POST
def face_delete(request, pk, sid, fid):
    project = usable_project(request.user, pk)
    face = face_in(subject_in(project, sid), fid)
    services.delete_face(face)
    messages.success(request, "The face was deleted.")
    return redirect("dashboard:face_person", pk=project.pk, sid=sid)


@login_required
@require_GET
def face_photo(request, pk, sid, fid):
    """The face's stored photo, cropped around the face (?full=1: the whole photo)."""
    face = face_in(subject_in(usable_project(request.user, pk), sid), fid)
    if not face.image:
        raise Http404("No photo of this face is stored.")
    try:
        if request.GET.get("full"):
            return private_file(face.image)
        with face.image.open("rb") as stored:
            return private_jpeg(face_thumbnail(stored, face.box))
    except OSError:
        raise Http404("The photo of this face is missing from storage.") from None


@login_required
@require_GET
def recognition_photo(request, pk, rid):
    project = usable_project(request.user, pk)
    try:
        log = selectors.recognitions(project).filter(pk=selectors.parse_id(rid, "rid")).first()
    except ServiceError as exc:
        raise Http404(exc.message) from None
    if log is None or not log.image:
        raise Http404("No photo of this check-in is stored.")
    try:
        return private_file(log.image)
    except OSError:
        raise Http404("The photo of this check-in is missing from storage.") from None


def face_thumbnail(stored, box, size=THUMBNAIL_SIZE):
    """A square JPEG around the face (boxes are in the upright photo's pixels), with some room around it."""
    with Image.open(stored) as image:
        image = ImageOps.exif_transpose(image).convert("RGB")
        width, height = box["right"] - box["left"], box["bottom"] - box["top"]
        side = max(width, height) * 1.6
        cx, cy = (box["left"] + box["right"]) / 2, (box["top"] + box["bottom"]) / 2
        crop = image.crop((int(cx - side / 2), int(cy - side / 2), int(cx + side / 2), int(cy + side / 2)))
        crop.thumbnail((size, size), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        crop.save(out, "JPEG", quality=85)
    return out.getvalue()


def private_jpeg(data):
    response = HttpResponse(data, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response


def private_file(field):
    response = FileResponse(field.open("rb"))
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- imports ------------------------------------------------------------------------------------

# An import's job as people read it: (label, badge).
IMPORT_STATES = {
    Item.Status.QUEUED: ("Waiting", "queued"),
    Item.Status.PROCESSING: ("Importing", "processing"),
    Item.Status.DONE: ("Done", "done"),
    Item.Status.FAILED: ("Failed", "failed"),
    Item.Status.CANCELLED: ("Cancelled", "cancelled"),
}


def import_in(project, iid):
    return found(selectors.import_of, project, iid)


def import_status(people_import, item=None):
    """The import page's live part, as status.json answers it and the page first draws it. The bar is the job's
    progress (Item.progress: the share of its expected time, nearly all of it enrolling), with the time left
    once it is known; `position` of `size` are the photos enrolled while the stage is "enrol"."""
    item = item or selectors.import_item(people_import)
    if item is None:
        return {"id": people_import.pk, "state": "failed", "state_label": "Failed", "badge": "failed",
                "finished": True, "stage": "", "stage_label": "", "position": 0, "size": 0, "fraction": 0.0,
                "percent": 0, "time_left": "", "position_text": "", "queue_position": -1,
                "failure_reason": "The job that ran this import is gone."}
    label, badge = IMPORT_STATES.get(item.status, (item.status.capitalize(), "queued"))
    pipeline = pipelines.registered().get(item.pipeline)
    done = item.status == Item.Status.DONE
    enrolling = item.stage == "enrol" or done  # a finished job's stage is "done", its positions the last ones
    progress = item.progress
    fraction = progress.overall
    photos = item.current_size if enrolling else 0
    ahead = item.queue_position
    if done:
        position_text = f"{photos} photo{'s' if photos != 1 else ''}"
    elif item.status == Item.Status.QUEUED:
        position_text = ("Next in the queue." if ahead == 0 else
                         f"Waiting for a worker: {ahead} job{'s' if ahead != 1 else ''} ahead in the queue.")
    elif item.status == Item.Status.PROCESSING and enrolling:
        position_text = f"{item.current_position} of {photos} photo{'s' if photos != 1 else ''}"
    else:
        position_text = ""
    failed = item.status in (Item.Status.FAILED, Item.Status.CANCELLED)
    return {
        "id": people_import.pk,
        "state": item.status,
        "state_label": label,
        "badge": badge,
        "finished": item.is_finished,
        "stage": item.stage,
        "stage_label": upper_first(pipeline.stage_label(item.stage) if pipeline else item.stage),
        "position": item.current_position if enrolling else 0,
        "size": photos,
        "fraction": round(fraction, 4),
        "percent": progress.percent,  # 100 only once every photo is done
        "time_left": progress.time_left if item.status == Item.Status.PROCESSING else "",
        "position_text": position_text,
        "queue_position": ahead,
        "failure_reason": (item.failure_reason or "The import stopped.") if failed else "",
    }


def upper_first(text):
    return text[:1].upper() + text[1:]


def report_rows(item):
    """The rows of the import's CSV report (file, person, user_id, face_id, result, message); None before the
    job made one."""
    report = item.file("report") if item is not None else None
    if report is None:
        return None
    try:
        with report.file.open("rb") as handle:
            text = handle.read().decode("utf-8", errors="replace")
    except OSError:
        return None
    return list(csv.DictReader(io.StringIO(text)))


@login_required
@require_POST
def import_new(request, pk):
    """Stores the .zip and queues its job; the import's page follows it."""
    project = usable_project(request.user, pk)
    form = ImportPeopleForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            people_import, _ = services.import_people(project, data["archive"], user=request.user,
                                                      status=data["status"], save_images=data["save_images"])
        except ServiceError as exc:
            form.add_error("archive", exc.message.removeprefix("archive: "))
        else:
            messages.success(request, f"“{people_import}” was uploaded. Its photos are enrolled on a worker: this "
                                      "page follows them.")
            return redirect("dashboard:face_import", pk=project.pk, iid=people_import.pk)
    # The form sits below the people: the browser brings its first wrong field into view.
    first = next((name for name in form.fields if name in form.errors), None)
    if first is not None:
        form.fields[first].widget.attrs["autofocus"] = True
    return render_project(request, project, import_form=form, status=400)


@login_required
@require_GET
def import_detail(request, pk, iid):
    project = usable_project(request.user, pk)
    people_import = import_in(project, iid)
    item = selectors.import_item(people_import)
    status = import_status(people_import, item)
    rows = report_rows(item) if status["state"] == Item.Status.DONE else None
    counts, page, shown = Counter(), None, request.GET.get("result", "")
    if rows is not None:
        counts = Counter(row.get("result", "") for row in rows)
        ids = {int(row["user_id"]) for row in rows if str(row.get("user_id", "")).isdigit()}
        here = set(project.subjects.filter(pk__in=ids).values_list("pk", flat=True))
        for row in rows:
            user_id = row.get("user_id", "")
            row["subject_id"] = int(user_id) if user_id.isdigit() and int(user_id) in here else None
        if shown not in ("enrolled", "refused"):
            shown = ""
        page = Paginator([row for row in rows if not shown or row.get("result") == shown],
                         IMPORT_ROWS_PER_PAGE).get_page(request.GET.get("rows"))
    return render(request, "dashboard/faces/import.html", {
        "project": project, "people_import": people_import, "item": item, "status": status,
        "rows": page, "total": len(rows or ()), "enrolled": counts["enrolled"], "refused": counts["refused"],
        "people_count": len({row["user_id"] for row in rows or () if row.get("user_id")}), "shown": shown,
    })


@login_required
@require_GET
def import_status_json(request, pk, iid):
    project = usable_project(request.user, pk)
    return JsonResponse(import_status(import_in(project, iid)))


@login_required
@require_GET
def import_report(request, pk, iid):
    """The import's CSV report, as an attachment."""
    project = usable_project(request.user, pk)
    people_import = import_in(project, iid)
    item = selectors.import_item(people_import)
    report = item.file("report") if item is not None else None
    if report is None:
        raise Http404("This import has no report: its job has not finished, or it failed.")
    response = file_response(request, report.file, filename=f"{project.name}-import-{people_import.pk}.csv",
                             content_type="text/csv; charset=utf-8", attachment=True)
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- kiosk --------------------------------------------------------------------------------------

@login_required
@require_GET
def kiosk(request, pk):
    project = usable_project(request.user, pk)
    return render(request, "dashboard/faces/kiosk.html", {
        "project": project, "people": project.subjects.count(),
        "interval_ms": 1500,
    })


@require_POST
def kiosk_check_in(request, pk):
    """One frame of the kiosk's camera (multipart `image`): who it is, as JSON. Errors: {"message"} with the
    service error's status (400 unreadable, 404 nobody enrolled, 409 no usable face)."""
    if not request.user.is_authenticated:
        return JsonResponse({"message": "You were signed out. Sign in again and reopen the kiosk."}, status=401)
    try:
        project = selectors.usable_project(request.user, pk)
    except ServiceError:
        return JsonResponse({"message": "There is no such project, or it is not shared with you."}, status=404)
    photo = request.FILES.get("image")
    if photo is None:
        return JsonResponse({"message": "Send the camera's frame as the `image` file."}, status=400)
    if photo.size > photo_max_bytes():
        return JsonResponse({"message": "The frame is too large."}, status=400)
    try:
        outcome = services.recognise(project, photo.read(), kind=Recognition.Kind.CHECK_IN, condition=Condition(),
                                     user=request.user)
    except ServiceError as exc:
        return JsonResponse({"message": exc.message.removeprefix("image: ")}, status=exc.status)
    log = outcome.recognition
    body = {"matched": outcome.matched, "similarity": round(log.similarity, 1), "threshold": log.threshold,
            "at": log.created_at.isoformat(), "reason": log.reason}
    if outcome.matched:
        body.update({"person_id": outcome.subject.pk, "name": str(outcome.subject), "status": outcome.subject.status})
    return JsonResponse(body)
