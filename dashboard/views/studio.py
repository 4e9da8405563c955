"""The avatar studio's pages: the studio (every control, a live 3D preview made on each change: static/js/studio.js),
a result page per picture or video (its progress while a worker makes it: studio-result.js through job-poll.js;
then the picture or video, the avatar in the 3D viewer, downloads and the settings used), and the gallery of
finished results.

Everything goes through generation.services and generation.selectors, the same as seed 003's door. A result of
another account answers 404, as one that does not exist; files are served only through these views.
"""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from core.downloads import file_response
from core.errors import Invalid, NotFound
from gallery import pipelines
from gallery.models import Item
from generation import selectors, services
from generation.models import Generation

from ..forms.studio import (
    BODY_MAX,
    BODY_MIN,
    BODY_STEP,
    HAIR_COLOURS,
    StudioForm,
    initial_from,
    settings_of,
)

PREVIEW_MAX_BYTES = 64 * 1024  # an avatar's description, never a file
FILES = {  # kind -> (suffix, content type)
    "image": (".jpg", "image/jpeg"),
    "video": (".mp4", "video/mp4"),
    "thumbnail": ("-thumbnail.jpg", "image/jpeg"),
    "glb": (".glb", "model/gltf-binary"),
}
STATES = {  # Item.status -> (label, badge class of static/css/atlas.css)
    Item.Status.QUEUED: ("Waiting", "queued"),
    Item.Status.PROCESSING: ("Being made", "processing"),
    Item.Status.DONE: ("Done", "done"),
    Item.Status.FAILED: ("Failed", "failed"),
    Item.Status.CANCELLED: ("Cancelled", "cancelled"),
}
KIND_LABELS = {Generation.Kind.IMAGE: "Picture", Generation.Kind.VIDEO: "Video"}
RECENT_UNFINISHED = 10


def own_generation(user, task_id):
    """The user's generation; 404 for an unknown task id and another account's alike."""
    try:
        return selectors.generation_of(user, task_id)
    except NotFound as exc:
        raise Http404(exc.message) from None


def render_studio(request, form, status=200, started_from=None):
    return render(request, "dashboard/studio/studio.html", {
        "form": form,
        "body_groups": form.body_groups(),
        "hair_colours": HAIR_COLOURS,
        "slider": {"min": BODY_MIN, "max": BODY_MAX, "step": BODY_STEP},
        "started_from": started_from,
    }, status=status)


@login_required
@require_GET
def studio(request):
    """The studio, started from the settings of ?from=<task_id>, else of the newest request (unless ?defaults=1),
    else the defaults."""
    source = None
    if request.GET.get("from"):
        source = own_generation(request.user, request.GET["from"])
    elif not request.GET.get("defaults"):
        source = Generation.objects.owned_by(request.user).order_by("-created_at", "-id").first()
    form = StudioForm(initial=initial_from(source.request) if source else None)
    return render_studio(request, form, started_from=source)


@login_required
@require_POST
def studio_generate(request):
    """The studio form, posted by "Generate image" (kind=image) or "Generate video" (kind=video): queues it and
    goes to its result page; a refusal shows the studio again with the reason."""
    kind = request.POST.get("kind")
    form = StudioForm(request.POST)
    if kind not in Generation.Kind.values:
        form.add_error(None, "Choose “Generate image” or “Generate video”.")
    if form.is_valid():
        try:
            generation = services.request_generation(request.user, kind, form.body(kind))
        except Invalid as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("dashboard:studio_result", task_id=generation.task_id)
    return render_studio(request, form, status=400)


@require_POST
@never_cache
def studio_preview(request):
    """The dressed avatar as .glb, made now, for the studio's live preview. The body is the user_details and
    apparel_details /generate takes (JSON), or the studio form itself (the page posts it, so the form's mapping
    stays the only one). Errors: {"message"} with 400 (a bad body) or 401 (signed out)."""
    if not request.user.is_authenticated:
        return JsonResponse({"message": "You were signed out. Sign in again to see the preview."}, status=401)
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > PREVIEW_MAX_BYTES:
        return JsonResponse({"message": "The avatar's description is too large."}, status=400)
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body)
        except (ValueError, UnicodeDecodeError):
            return JsonResponse({"message": "The body is not JSON."}, status=400)
    else:
        form = StudioForm(request.POST)
        if not form.is_valid():
            return JsonResponse({"message": form.first_error()}, status=400)
        body = form.preview_body()
    try:
        glb = services.preview_glb(body)
    except Invalid as exc:
        return JsonResponse({"message": exc.message}, status=400)
    response = HttpResponse(glb, content_type="model/gltf-binary")
    response["Content-Disposition"] = 'inline; filename="avatar-preview.glb"'
    return response


# --- a result -----------------------------------------------------------------------------------------------

def result_status(generation, item=None):
    """A result's live part, as status.json answers it and the result page first draws it."""
    item = item or generation.item
    if item is None:
        return {"task_id": generation.task_id, "state": Item.Status.FAILED, "state_label": "Failed",
                "badge": "failed", "finished": True, "stage": "", "stage_label": "", "fraction": 0.0, "percent": 0,
                "time_left": "", "queue_position": -1, "position_text": "",
                "failure_reason": "The job that made this is gone: make it again from the studio."}
    label, badge = STATES.get(item.status, (item.status.capitalize(), "queued"))
    pipeline = pipelines.registered().get(item.pipeline)
    progress = item.progress
    position = generation.studio_position
    if item.status == Item.Status.QUEUED:
        position_text = ("Next in the queue." if position <= 0 else
                         f"Waiting for a worker: {position} job{'s' if position != 1 else ''} ahead in the queue.")
    else:
        position_text = ""
    failure = ""
    if item.status == Item.Status.FAILED:
        failure = item.failure_reason or "The worker stopped without saying why."
    elif item.status == Item.Status.CANCELLED:
        failure = "It was cancelled before it finished."
    stage_label = pipeline.stage_label(item.stage) if pipeline and item.stage else ""
    return {
        "task_id": generation.task_id,
        "state": item.status,
        "state_label": label,
        "badge": badge,
        "finished": item.is_finished,
        "stage": item.stage,
        "stage_label": stage_label[:1].upper() + stage_label[1:] if item.status == Item.Status.PROCESSING else "",
        "fraction": progress.overall,
        "percent": progress.percent,
        "time_left": progress.time_left if item.status == Item.Status.PROCESSING else "",
        "queue_position": position if item.status == Item.Status.QUEUED else -1,
        "position_text": position_text,
        "failure_reason": failure,
    }


def file_url(generation, kind):
    return reverse("dashboard:studio_file", kwargs={"task_id": generation.task_id, "kind": kind})


def downloads_of(generation, item):
    """The result's files the page offers, main one first: [{kind, label, url, size}]."""
    if item is None or item.status != Item.Status.DONE:
        return []
    main = "image" if generation.kind == Generation.Kind.IMAGE else "video"
    labels = {main: f"{KIND_LABELS[generation.kind].lower()} ({FILES[main][0].lstrip('.')})",
              "glb": "3D avatar (glb)", "thumbnail": "thumbnail (jpg)"}
    stored = {item_file.kind: item_file for item_file in item.files.all()}
    return [{"kind": kind, "label": label, "size": stored[kind].size, "url": file_url(generation, kind)}
            for kind, label in labels.items() if kind in stored]


@login_required
@require_GET
def studio_result(request, task_id):
    generation = own_generation(request.user, task_id)
    item = generation.item
    status = result_status(generation, item)
    downloads = downloads_of(generation, item)
    kinds = {download["kind"] for download in downloads}
    return render(request, "dashboard/studio/result.html", {
        "generation": generation,
        "kind_label": KIND_LABELS.get(generation.kind, generation.kind),
        "item": item,
        "status": status,
        "downloads": downloads,
        "image_url": file_url(generation, "image") if "image" in kinds else "",
        "video_url": file_url(generation, "video") if "video" in kinds else "",
        "thumbnail_url": file_url(generation, "thumbnail") if "thumbnail" in kinds else "",
        "glb_url": file_url(generation, "glb") if "glb" in kinds else "",
        "settings": settings_of(generation.request, generation.kind),
    })


@login_required
@require_GET
@never_cache
def studio_status_json(request, task_id):
    return JsonResponse(result_status(own_generation(request.user, task_id)))


@login_required
@require_GET
def studio_file(request, task_id, kind):
    """One of the result's files (image, video, thumbnail, glb): inline, or as an attachment with ?download=1.
    Honours Range (the video seeks)."""
    generation = own_generation(request.user, task_id)
    if kind not in FILES:
        raise Http404("There is no such file.")
    try:
        stored = selectors.result_file(generation, kind)
    except NotFound as exc:
        raise Http404(exc.message) from None
    suffix, content_type = FILES[kind]
    inline = kind != "glb" and "download" not in request.GET
    response = file_response(request, stored.file, filename=f"avatar-{generation.gallery_url}{suffix}",
                             content_type=content_type, attachment=not inline)
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
@require_POST
def studio_remove(request, task_id):
    generation = own_generation(request.user, task_id)
    label = KIND_LABELS.get(generation.kind, "Result").lower()
    services.remove_generation(generation)
    messages.success(request, f"The {label} was removed from your gallery, with its files.")
    return redirect("dashboard:studio_gallery")


# --- the gallery --------------------------------------------------------------------------------------------

@login_required
@require_GET
def studio_gallery(request):
    """The finished pictures and videos, newest first; above them, the requests still being made or that failed."""
    finished = list(selectors.gallery_of(request.user))
    for generation in finished:
        generation.kind_label = KIND_LABELS.get(generation.kind, generation.kind)
    unfinished = []
    others = Generation.objects.owned_by(request.user).exclude(pk__in=selectors.gallery_of(request.user).values("pk"))
    for generation in others.order_by("-created_at", "-id")[:RECENT_UNFINISHED]:
        status = result_status(generation)
        unfinished.append({"generation": generation, "status": status,
                           "kind_label": KIND_LABELS.get(generation.kind, generation.kind)})
    return render(request, "dashboard/studio/gallery.html", {"finished": finished, "unfinished": unfinished})
