"""The studio's writes: asking for an avatar picture or video, and removing one from the gallery.

A request is read by the avatar package (generation.avatar.spec) before anything is stored, so a bad slider, an
unknown garment or expression is refused at once with the package's message (400), never on the worker.
"""

import json
import tempfile
from pathlib import Path

from django.db import IntegrityError, transaction

from core.errors import Invalid
from gallery import services as gallery

from .models import Generation

PIPELINES = {Generation.Kind.IMAGE: "avatar-image", Generation.Kind.VIDEO: "avatar-video"}
OPTIONS = {Generation.Kind.IMAGE: "image_options", Generation.Kind.VIDEO: "video_options"}
LOCAL_RENDERER = "Atlas studio: anny body rendered with OpenGL on this server"
# Seed 003's `pixverse: true` names an outside video service this server does not have: the video is made here,
# and the generation says so.
NO_PIXVERSE = " (PixVerse was asked for; this server has no outside video service, so it made the video itself)"


def spec_of(body, kind):
    """The avatar `body` (a /generate or /generate_video request) describes, catalogue colours resolved."""
    if not isinstance(body, dict):
        raise Invalid("The request body must be a JSON object with user_details, apparel_details and "
                      f"{OPTIONS[kind]}.")
    for name in ("user_details", "apparel_details", OPTIONS[kind]):
        if body.get(name) is not None and not isinstance(body[name], dict):
            raise Invalid(f"{name} must be a JSON object.")
    from .avatar.spec import SpecError, parse  # (the avatar package loads torch: only when asked)

    apparel = _with_catalogue_colour(body.get("apparel_details"))
    options = body.get(OPTIONS[kind])
    try:
        return parse(body.get("user_details") or {}, apparel,
                     options if kind == Generation.Kind.IMAGE else None,
                     options if kind == Generation.Kind.VIDEO else None)
    except SpecError as exc:
        raise Invalid(str(exc)) from None


def request_generation(user, kind, body):
    """Queues the picture or video `body` asks for; returns its Generation (whose task_id the client polls)."""
    spec = spec_of(body, kind)
    renderer = LOCAL_RENDERER
    if kind == Generation.Kind.VIDEO and (body.get("video_options") or {}).get("pixverse"):
        renderer += NO_PIXVERSE
    with transaction.atomic():
        generation = _create_with_unique_task_id(owner=user, kind=kind, request=body, spec=_json_ready(spec),
                                                 renderer=renderer)
        gallery.create_item(owner=user, name=f"Avatar {kind} {generation.task_id}", pipeline=PIPELINES[kind],
                            source=generation)
    return generation


def preview_glb(body):
    """The dressed avatar `body` describes (its user_details and apparel_details, as /generate takes them), as
    .glb bytes, made now: the studio page's live preview. Invalid with the avatar package's message for a bad body."""
    spec = spec_of(body, Generation.Kind.IMAGE)
    from .avatar.export import write_glb
    from .avatar.studio import figure_for

    with tempfile.TemporaryDirectory(prefix="atlas-preview-") as folder:
        path = Path(folder) / "preview.glb"
        write_glb(figure_for(spec), path)
        return path.read_bytes()


def remove_generation(generation):
    """Removes a result from the gallery with its files; a run still going stops without saving anything."""
    for item in generation.items.all():
        gallery.delete_item(item)
    generation.delete()


def _create_with_unique_task_id(**fields):
    """Task ids are milliseconds: two requests in the same one (any accounts) take the next free number."""
    task_id = int(Generation.new_task_id())
    for _ in range(50):
        try:
            with transaction.atomic():
                return Generation.objects.create(task_id=str(task_id), **fields)
        except IntegrityError:
            if not Generation.objects.filter(task_id=str(task_id)).exists():
                raise
            task_id += 1
    raise IntegrityError("no free task id")


def _with_catalogue_colour(apparel):
    """apparel_details with `color` as the catalogue's hex when the brand's catalogue names that colour."""
    if not isinstance(apparel, dict):
        return apparel
    from .catalogue import catalogue_color

    brand, color = apparel.get("brand"), apparel.get("color")
    if isinstance(brand, str) and isinstance(color, str) and brand.strip():
        hex_color = catalogue_color(brand, color)
        if hex_color:
            return {**apparel, "color": hex_color}
    return apparel


def _json_ready(spec):
    """The spec as JSON (dataclasses, tuples and paths as plain values)."""
    import dataclasses

    data = dataclasses.asdict(spec) if dataclasses.is_dataclass(spec) else dict(spec)
    return json.loads(json.dumps(data, default=str))
