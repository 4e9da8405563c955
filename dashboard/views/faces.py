"""Face ID pages: the account's projects, a project (settings, people, check-in log), a person (enrol faces
from files or the webcam: static/js/face-camera.js), the kiosk (static/js/face-kiosk.js) and its check-in JSON.

A project is reached by its owner and by the members of the group it is shared with; for anyone else it answers
404, as for a project that does not exist. Only the owner changes or deletes a project (403 for a member).
Stored photos are served only through these views, never from a public media URL.
"""

import io

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
from core.errors import Forbidden, ServiceError
from faces import selectors, services
from faces.conditions import Condition
from faces.models import Recognition

from ..forms.faces import PHOTO_ACCEPT, EnrolForm, NewProjectForm, PersonForm, ProjectForm, photo_max_bytes

PEOPLE_PER_PAGE = 24
LOG_PER_PAGE = 25
THUMBNAIL_SIZE = 192
# Where a person's page finds what the last enrolment made of each photo (one POST, then a redirect).
ENROLLED = "faces-enrolled-{}"


def wants_json(request):
    return "application/json" in request.headers.get("Accept", "")


def usable_project(user, pk):
    """A project `user` may use; 404 for an unknown id and another account's project alike."""
    try:
        return selectors.usable_project(user, pk)
    except ServiceError as exc:
        raise Http404(exc.message) from None


def owned_project(user, pk):
    """A project `user` owns; a member of its group is refused (403), anyone else gets the 404."""
    project = usable_project(user, pk)
    if project.owner_id != user.pk:
        raise PermissionDenied("Only the project's owner can change or delete it.")
    return project


def subject_in(project, sid):
    try:
        return selectors.subject_of(project, sid)
    except ServiceError as exc:
        raise Http404(exc.message) from None


def face_in(subject, fid):
    try:
        return selectors.face_of(subject, fid)
    except ServiceError as exc:
        raise Http404(exc.message) from None


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


def render_project(request, project, *, settings_form=None, person_form=None, status=200):
    search = request.GET.get("q", "").strip()[:100]
    people = selectors.people(project, search=search).order_by("created_at", "pk")
    people = Paginator(people, PEOPLE_PER_PAGE).get_page(request.GET.get("people"))
    for person in people:
        person.thumbs = [face for face in person.faces.all() if face.image][:3]
    log = Paginator(selectors.recognitions(project).select_related("requested_by"), LOG_PER_PAGE).get_page(
        request.GET.get("log"))
    is_owner = project.owner_id == request.user.pk
    return render(request, "dashboard/faces/project.html", {
        "project": project, "is_owner": is_owner, "people": people, "log": log, "search": search,
        "settings_form": settings_form or ProjectForm(instance=project, user=request.user),
        "person_form": person_form or PersonForm(),
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
