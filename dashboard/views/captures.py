"""A person's captures: the list, a new capture (uploaded in parts by static/js/uploader.js), the detail page
with live progress (static/js/capture-status.js), outputs, rename, visibility and delete.

Every page and JSON view answers 404 for a capture of another account, as for one that does not exist.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from captures import estimates, selectors, services
from captures.models import Capture
from captures.reconstruction.frames import MIN_FRAMES
from core.downloads import file_response
from core.errors import NotFound, ServiceError
from gallery import pipelines

from ..forms.captures import (
    ACCEPT,
    EstimateForm,
    NewCaptureForm,
    PreviewVisibilityForm,
    RenameForm,
    RunAgainForm,
    StateFilterForm,
    VisibilityForm,
    state_words,
    upload_limits,
)

PER_PAGE = 12


def own_capture(user, eid):
    """The user's capture; 404 for an unknown id and another account's capture alike (core.ownership)."""
    try:
        return selectors.own_capture(user, eid)
    except NotFound as exc:
        raise Http404(exc.message) from None


def wants_json(request):
    return "application/json" in request.headers.get("Accept", "")


@login_required
@require_GET
def capture_list(request):
    filter_form = StateFilterForm(request.GET)
    chosen = filter_form.values()
    captures = selectors.captures_in_state(request.user, chosen["state"] or None, search=chosen["q"],
                                           sort=chosen["sort"])
    page = Paginator(captures, PER_PAGE).get_page(request.GET.get("page"))
    for capture in page:
        capture.state_label, capture.badge = state_words(capture.db_state)
    narrowed = bool(chosen["state"] or chosen["q"])
    # What the page links keep: the search, the state and the order, without their defaults.
    kept = {name: value for name, value in chosen.items() if value and (name, value) != ("sort", "newest")}
    return render(request, "dashboard/captures/list.html", {
        "page": page, "filter_form": filter_form, "state": chosen["state"], "search": chosen["q"],
        "narrowed": narrowed, "query": f"{urlencode(kept)}&" if kept else "",
        "has_any": narrowed or page.paginator.count or selectors.captures_of(request.user).exists(),
    })


@login_required
@require_http_methods(["GET", "POST"])
def capture_new(request):
    """The form; posted by the uploader (Accept: application/json) it answers the upload plan or the errors."""
    if request.method == "POST":
        form = NewCaptureForm(request.POST)
        if form.is_valid():
            try:
                capture = services.start_multipart(
                    owner=request.user, name=form.cleaned_data["name"], bytesize=form.cleaned_data["file_size"],
                    input_data_format=form.cleaned_data["input_data_format"],
                    original_filename=form.cleaned_data["file_name"],
                    reconstruction_parameters=form.reconstruction_parameters,
                    photo_files=form.cleaned_data.get("photo_files"),
                )
            except ServiceError as exc:
                form.add_error("file_size", exc.message)
            else:
                if wants_json(request):
                    return JsonResponse(upload_plan(capture), status=201)
                return redirect("dashboard:capture_detail", eid=capture.eid)
        if wants_json(request):
            return JsonResponse({"errors": form.errors_by_control()}, status=400)
        status = 400
    else:
        form, status = NewCaptureForm(), 200
    return render(request, "dashboard/captures/new.html", {
        "form": form, "limits": upload_limits(), "accept": ACCEPT, "estimates": form.estimates,
        "min_photos": MIN_FRAMES,
    }, status=status)


@login_required
@require_GET
def capture_estimates(request):
    """The quality presets, each with the time it is expected to take on this server for the file the person
    chose (kind, frame size), before anything is uploaded."""
    form = EstimateForm(request.GET)
    if not form.is_valid():
        return JsonResponse({"errors": form.errors}, status=400)
    return JsonResponse({"presets": estimates.estimates(form.source())})


def upload_plan(capture):
    """What the uploader needs to send a capture's parts through seed 004's API, and which parts arrived."""
    return {
        "eid": str(capture.eid),
        "name": capture.name,
        "bytesize": capture.bytesize,
        "chunk_size": capture.chunk_size,
        "num_parts": capture.num_parts,
        "photo_files": capture.photo_files,
        "uploaded": capture.is_uploaded,
        "parts": selectors.received_parts(capture),
        "api_url": reverse("captures-detail", kwargs={"eid": str(capture.eid)}),
        "detail_url": reverse("dashboard:capture_detail", kwargs={"eid": capture.eid}),
    }


@login_required
@require_GET
def capture_parts(request, eid):
    """The upload plan again, with the parts that arrived: the uploader resumes with the missing ones."""
    return JsonResponse(upload_plan(own_capture(request.user, eid)))


def capture_status(capture, files=None):
    """The detail page's live part, as status.json answers it and the page first draws it. `files`: the
    capture's latest_files when the caller has them already."""
    status = selectors.status_of(capture)
    label, badge = state_words(status["state"])
    files = selectors.latest_files(capture) if files is None else files
    if status["cancelled"]:
        label, badge = "Cancelled", "cancelled"
    status.update({
        "eid": str(capture.eid),
        "state_label": label,
        "badge": badge,
        "finished": status["state"] in (Capture.State.READY, Capture.State.FAILED),
        "step": pipelines.label_of(status["pipeline"]) if status["pipeline"] else None,
        "stage_label": status["stage_label"] or status["stage"].capitalize(),
        "gif_url": file_url(capture, files["gif"]) if "gif" in files else None,
    })
    return status


@login_required
@require_GET
def capture_status_json(request, eid):
    return JsonResponse(capture_status(own_capture(request.user, eid)))


def file_url(capture, item_file, run=None):
    """A file's address ending in its own name, so viewers can tell .splat from .ply by the URL; with `run`, the
    address of that run's own file (an earlier version), else of the capture's newest file of its kind."""
    if run is not None and item_file.item_id == run.pk:
        return reverse("dashboard:capture_run_file", kwargs={
            "eid": capture.eid, "run": run.pk, "kind": item_file.kind, "filename": item_file.filename})
    return reverse("dashboard:capture_file_named",
                   kwargs={"eid": capture.eid, "kind": item_file.kind, "filename": item_file.filename})


def outputs_of(capture, files, run=None):
    """The capture's files as the detail page lists them: labelled and ordered as their pipelines declare them,
    the newest job's first."""
    return [{"kind": kind, "label": selectors.output_label(item_file), "file": item_file,
             "url": file_url(capture, item_file, run)} for kind, item_file in selectors.ordered_outputs(files)]


def share_url(request, capture):
    return request.build_absolute_uri(reverse("dashboard:share", kwargs={"sid": capture.sid}))


@login_required
@require_GET
def capture_detail(request, eid):
    capture = own_capture(request.user, eid)
    return render_detail(request, capture, RenameForm(initial={"name": capture.name}))


def render_detail(request, capture, rename_form, status=200, run_form=None):
    """The page shows one version of the model: the run asked for (?run=<id>, an earlier run), else the newest
    finished run, with the upload's preview; the runs are listed beside it."""
    chosen = None
    if request.GET.get("run"):
        try:
            chosen = selectors.own_run(capture, request.GET["run"])
        except NotFound as exc:
            raise Http404(exc.message) from None
    shown = chosen or selectors.newest_finished_run(capture)
    files = selectors.run_files(capture, shown) if shown else selectors.latest_files(capture)
    splat_kind = selectors.viewer_kind(files)
    live = capture_status(capture)
    runs = selectors.runs_of(capture)
    running = any(entry["status"] in ("queued", "processing") for entry in runs)
    return render(request, "dashboard/captures/detail.html", {
        "capture": capture,
        "status": live,
        "outputs": outputs_of(capture, files, chosen),
        "splat_url": file_url(capture, files[splat_kind], chosen) if splat_kind else None,
        "splat_format": splat_kind or "ply",
        "cameras_url": file_url(capture, files["cameras"], chosen) if "cameras" in files else "",
        "share_url": share_url(request, capture),
        "rename_form": rename_form,
        "quality": selectors.reconstruction_quality(capture),
        "runs": runs,
        "shown_run": shown,
        "chosen_run": chosen,
        "can_cancel": capture.is_uploaded and running,
        "can_run_again": capture.is_uploaded and not running,
        "can_retry": capture.is_uploaded and not running and live["state"] == Capture.State.FAILED,
        "run_form": run_form or RunAgainForm(capture=capture),
    }, status=status)


@login_required
@require_GET
def capture_file(request, eid, kind, filename=None):
    """One of the capture's newest files (`filename` only names it in the URL); honours Range."""
    capture = own_capture(request.user, eid)
    try:
        item_file = selectors.latest_file(capture, kind)
    except NotFound as exc:
        raise Http404(exc.message) from None
    inline = item_file.content_type.startswith(("image/", "video/")) and "download" not in request.GET
    return file_response(request, item_file.file, filename=f"{capture.name}-{item_file.filename}",
                         content_type=item_file.content_type, attachment=not inline)


@login_required
@require_GET
def capture_run_file(request, eid, run, kind, filename=None):
    """One file of one run of the capture (an earlier version of its model); honours Range."""
    capture = own_capture(request.user, eid)
    try:
        item = selectors.own_run(capture, run)
    except NotFound as exc:
        raise Http404(exc.message) from None
    item_file = item.file(kind)
    if item_file is None:
        raise Http404(f"This run has no {kind} file.")
    inline = item_file.content_type.startswith(("image/", "video/")) and "download" not in request.GET
    return file_response(request, item_file.file, filename=f"{capture.name}-{item_file.filename}",
                         content_type=item_file.content_type, attachment=not inline)


def run_and_report(request, capture, action, success, reported_status=None):
    """Runs `action` (a service call on the capture) and goes back to the capture's page saying how it went: the
    service's refusal as an error, else `success`. With `reported_status`, only a refusal of that status is said
    there; any other is raised to the caller."""
    try:
        action()
    except ServiceError as exc:
        if reported_status is not None and exc.status != reported_status:
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    return redirect("dashboard:capture_detail", eid=capture.eid)


@login_required
@require_POST
def capture_cancel(request, eid):
    """Stops the running or queued reconstruction; the capture and its upload stay, to run again."""
    capture = own_capture(request.user, eid)
    return run_and_report(request, capture, lambda: services.cancel_runs(capture),
                          "Cancelled. The upload is kept: run the reconstruction again when you like.")


@login_required
@require_POST
def capture_run_again(request, eid):
    """A new run of the reconstruction from the stored upload, with the same or another quality and method."""
    capture = own_capture(request.user, eid)
    form = RunAgainForm(request.POST, capture=capture)
    if not form.is_valid():
        return render_detail(request, capture, RenameForm(initial={"name": capture.name}), status=400,
                             run_form=form)
    try:
        return run_and_report(request, capture, lambda: services.run_again(capture, **form.run_parameters),
                              "Queued again from your upload: the earlier results stay listed under Runs.",
                              reported_status=409)
    except ServiceError as exc:  # the settings were refused: the form says why
        form.add_error(None, exc.message)
        return render_detail(request, capture, RenameForm(initial={"name": capture.name}), status=400,
                             run_form=form)


@login_required
@require_POST
def capture_retry(request, eid):
    """Queues the failed or cancelled run again, with the same settings."""
    capture = own_capture(request.user, eid)
    return run_and_report(request, capture, lambda: services.retry_runs(capture),
                          "Queued again with the same settings.")


@login_required
@require_GET
def capture_picture(request, eid):
    """The list's picture of a capture: the preview's sharp frame of the upload, else the model's render."""
    capture = own_capture(request.user, eid)
    try:
        item_file = selectors.list_picture(capture)
    except NotFound as exc:
        raise Http404(exc.message) from None
    return file_response(request, item_file.file, filename=f"{capture.name}-{item_file.filename}",
                         content_type=item_file.content_type, attachment=False)


@login_required
@require_POST
def capture_rename(request, eid):
    capture = own_capture(request.user, eid)
    form = RenameForm(request.POST)
    if form.is_valid():
        services.rename(capture, form.cleaned_data["name"])
        messages.success(request, f"Renamed to “{capture.name}”.")
        return redirect("dashboard:capture_detail", eid=capture.eid)
    return render_detail(request, capture, form, status=400)


@login_required
@require_POST
def capture_visibility(request, eid):
    capture = own_capture(request.user, eid)
    form = VisibilityForm(request.POST)
    form.is_valid()  # a missing or false is_public means private
    services.set_public(capture, form.cleaned_data.get("is_public", False))
    if capture.is_public:
        messages.success(request, "Anyone with the share link can now see this capture.")
    else:
        messages.success(request, "This capture is private again: only you can see it.")
    return redirect("dashboard:capture_detail", eid=capture.eid)


@login_required
@require_POST
def capture_preview_visibility(request, eid):
    """The owner's choice: whether the public page also shows the preview made of the upload (off by default)."""
    capture = own_capture(request.user, eid)
    form = PreviewVisibilityForm(request.POST)
    form.is_valid()  # a missing or false value hides it
    services.set_preview_public(capture, form.cleaned_data.get("show_preview_publicly", False))
    if capture.show_preview_publicly:
        messages.success(request, f"The public page now also shows {capture.upload_preview_words}.")
    else:
        messages.success(request, f"The public page shows the 3D model only, without {capture.upload_preview_words}.")
    return redirect(f"{reverse('dashboard:capture_detail', kwargs={'eid': capture.eid})}#capture-sharing")


@login_required
@require_http_methods(["GET", "POST"])
def capture_delete(request, eid):
    capture = own_capture(request.user, eid)
    if request.method == "POST":
        name = capture.name
        services.delete_capture(capture)
        messages.success(request, f"“{name}” was deleted, with its files.")
        return redirect("dashboard:captures")
    return render(request, "dashboard/captures/delete.html", {"capture": capture})
