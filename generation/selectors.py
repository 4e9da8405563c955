"""The studio's reads: an account's generations by task id, its gallery, and a result's files."""

from core.errors import NotFound

from .models import Generation


def generation_of(user, task_id):
    """`user`'s generation `task_id`; someone else's and an unknown one answer the same 404."""
    generation = Generation.objects.owned_by(user).filter(task_id=str(task_id)).first()
    if generation is None:
        raise NotFound(f"You have no task {str(task_id)[:40]!r}. /generate and /generate_video answer a task_id.")
    return generation


def gallery_of(user):
    """`user`'s finished results, newest first."""
    return Generation.objects.owned_by(user).in_gallery().order_by("-created_at", "-id")


def gallery_entry(user, url, kind=None):
    """The finished result a gallery url names (`<task_id>-1` for a picture, `<task_id>` for a video; either
    spelling is taken for either), only `user`'s; `kind` refuses the other kind of result, saying which route
    serves it."""
    task_id = str(url)[:40].removesuffix("-1")
    generation = gallery_of(user).filter(task_id=task_id).first()
    if generation is None:
        raise NotFound(f"There is nothing called {str(url)[:40]!r} in your gallery. /get_gallery lists it.")
    if kind is not None and generation.kind != kind:
        route = "get_gallery_image" if generation.kind == Generation.Kind.IMAGE else "get_gallery_video"
        raise NotFound(f"{url} is a{'n' if generation.kind == 'image' else ''} {generation.kind}: "
                       f"/{route}/{generation.gallery_url} serves it.")
    return generation


def result_file(generation, kind):
    """The stored file of `kind` ("image", "video", "thumbnail", "glb") of a finished generation."""
    item = generation.item
    stored = item.file(kind) if item else None
    if stored is None:
        raise NotFound(f"{generation.gallery_url} has no {kind}.")
    return stored
