"""The page of a shared capture (/s/<sid>): its 3D model, preview and downloads, viewable without an account."""

from django.http import Http404
from django.shortcuts import render
from django.urls import reverse

from captures import selectors
from core.errors import NotFound

# The files offered for download, in this order: (kind, what it is, file type, what it is for).
DOWNLOADS = [
    ("ply", "Gaussian splat", ".ply", "The full model, for splat viewers and editors."),
    ("splat", "Compressed splat", ".splat", "The same splats at 32 bytes each, for web viewers."),
    ("sog", "SOGS splat", ".zip", "The splats as sorted WebP images (Self-Organizing Gaussians), for PlayCanvas."),
    ("ksplat-0", "KSplat", ".ksplat", "The splats for three.js viewers (GaussianSplats3D), full precision."),
    ("ksplat-1", "KSplat, compressed", ".ksplat", "The same at half precision."),
    ("ksplat-2", "KSplat, most compressed", ".ksplat", "The same with 8-bit view-dependent colour."),
    ("glb", "Mesh", ".glb", "A textured mesh, for 3D software and AR viewers."),
    ("point_cloud", "Point cloud", ".ply", "The points structure-from-motion found."),
    ("video", "Orbit video", ".mp4", "A turn around the model."),
    ("cameras", "Camera poses", ".json", "Where each photo was taken from."),
]
PICTURES = {"thumbnail", "gif"}


def file_url(capture, kind):
    """Where the browser fetches the capture's newest file of `kind`: the share route while the capture is
    public (for anyone), the owner's own API route while it is private (the session cookie opens it)."""
    if capture.is_public:
        return reverse("captures-share-file", kwargs={"sid": capture.sid, "kind": kind})
    return reverse("captures-file", kwargs={"eid": capture.eid, "kind": kind})


def downloads(capture, files):
    """[{kind, label, extension, purpose, size, url}] for the capture's final files, known kinds first."""
    known = {kind: (label, extension, purpose) for kind, label, extension, purpose in DOWNLOADS}
    kinds = [kind for kind, *_ in DOWNLOADS if kind in files]
    kinds += sorted(kind for kind, item_file in files.items()
                    if kind not in known and kind not in PICTURES and item_file.iteration is None)
    rows = []
    for kind in kinds:
        label, extension, purpose = known.get(kind, (kind.replace("_", " ").capitalize(), "", ""))
        rows.append({"kind": kind, "label": label, "extension": extension, "purpose": purpose,
                     "size": files[kind].size, "url": file_url(capture, kind)})
    return rows


def share(request, sid):
    """A public capture for anyone; a private one only for its owner; 404 for everything else."""
    try:
        capture = selectors.shared_capture(sid, request.user)
    except NotFound as error:
        raise Http404(error.message)
    files = selectors.latest_files(capture)
    splat_kind = selectors.viewer_kind(files)
    context = {
        "capture": capture,
        "owner_name": capture.owner.nickname,
        "is_owner": request.user.is_authenticated and request.user.pk == capture.owner_id,
        "splat_url": file_url(capture, splat_kind) if splat_kind else "",
        "splat_format": splat_kind or "",
        "mesh_url": file_url(capture, "glb") if "glb" in files and not splat_kind else "",
        "cameras_url": file_url(capture, "cameras") if "cameras" in files else "",
        "gif_url": file_url(capture, "gif") if "gif" in files else "",
        "thumbnail_url": file_url(capture, "thumbnail") if "thumbnail" in files else "",
        "downloads": downloads(capture, files),
    }
    return render(request, "dashboard/share.html", context)
