"""The page of a shared capture (/s/<sid>): its 3D model, preview and downloads, viewable without an account;
its embeddable viewer (/s/<sid>/embed), the one page other sites may frame; and its link-preview picture."""

from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import escape
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_safe
from PIL import Image, UnidentifiedImageError

from captures import selectors
from core.downloads import file_response
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


def viewer_context(capture, files):
    """What templates/dashboard/includes/viewer.html needs to show the capture's model."""
    splat_kind = selectors.viewer_kind(files)
    return {
        "splat_url": file_url(capture, splat_kind) if splat_kind else "",
        "splat_format": splat_kind or "",
        "mesh_url": file_url(capture, "glb") if "glb" in files and not splat_kind else "",
        "cameras_url": file_url(capture, "cameras") if "cameras" in files else "",
    }


def picture_size(item_file):
    """(width, height) of a stored picture, read from its header; None when it cannot be read."""
    try:
        with item_file.file.open("rb") as handle, Image.open(handle) as image:
            return image.size
    except (OSError, UnidentifiedImageError, ValueError):
        return None


def link_preview(request, capture):
    """Open Graph / Twitter card values of a public capture: absolute URLs, and its picture's size when known."""
    picture = selectors.share_picture(capture)
    size = picture_size(picture) if picture else None
    return {
        "url": request.build_absolute_uri(reverse("dashboard:share", kwargs={"sid": capture.sid})),
        "image": request.build_absolute_uri(reverse("dashboard:share_picture", kwargs={"sid": capture.sid}))
        if picture else "",
        "image_width": size[0] if size else None,
        "image_height": size[1] if size else None,
    }


def embed_code(embed_url, name):
    """The <iframe> another site pastes to show the model (fullscreen allowed, lazy-loaded): HTML as text, its
    values escaped (the page escapes it once more to show it in a textarea)."""
    return (f'<iframe src="{escape(embed_url)}" title="{escape(name)} (3D model)" width="640" height="480" '
            'style="border:0;max-width:100%" allowfullscreen loading="lazy"></iframe>')


@require_safe
def share(request, sid):
    """A public capture for anyone; a private one only for its owner; 404 for everything else. Everyone, its
    owner included, sees what the public sees: the upload's own preview only when the owner shows it."""
    try:
        capture = selectors.shared_capture(sid, request.user)
    except NotFound as error:
        raise Http404(error.message)
    files = selectors.latest_files(capture, public=True)
    embed_url = request.build_absolute_uri(reverse("dashboard:share_embed", kwargs={"sid": capture.sid}))
    context = {
        "capture": capture,
        "owner_name": capture.owner.nickname,
        "is_owner": request.user.is_authenticated and request.user.pk == capture.owner_id,
        **viewer_context(capture, files),
        "gif_url": file_url(capture, "gif") if "gif" in files else "",
        "thumbnail_url": file_url(capture, "thumbnail") if "thumbnail" in files else "",
        "show_preview": capture.show_preview_publicly,
        "downloads": downloads(capture, files),
        "share_link": request.build_absolute_uri(reverse("dashboard:share", kwargs={"sid": capture.sid})),
        "embed_url": embed_url,
        "embed_code": embed_code(embed_url, capture.name),
        "card": link_preview(request, capture) if capture.is_public else None,
    }
    return render(request, "dashboard/share.html", context)


def _public(sid):
    try:
        return selectors.public_capture(sid)
    except NotFound as error:
        raise Http404(error.message)


@require_safe
@xframe_options_exempt
def embed(request, sid):
    """Only the viewer, full-bleed, for other sites to frame: public captures only (a private or unknown share id
    is a 404, its owner included). The one page without X-Frame-Options; frame-ancestors says who may frame it."""
    capture = _public(sid)
    files = selectors.latest_files(capture, public=True)
    response = render(request, "dashboard/embed.html", {
        "capture": capture,
        **viewer_context(capture, files),
        "share_link": reverse("dashboard:share", kwargs={"sid": capture.sid}),
    })
    response["Content-Security-Policy"] = "frame-ancestors " + (" ".join(settings.EMBED_FRAME_ANCESTORS) or "'none'")
    return response


@require_safe
def share_picture(request, sid):
    """The picture of a public capture's link previews (og:image): a sharp frame of the upload when its owner shows
    the preview publicly, else the model's render."""
    capture = _public(sid)
    picture = selectors.share_picture(capture)
    if picture is None:
        raise Http404("This capture has no picture yet.")
    return file_response(request, picture.file, filename=f"{capture.name}-{picture.filename}",
                         content_type=picture.content_type, attachment=False)
