"""What the scenes door reads: which captures are scenes, their two items, progress and output files.

A scene is a capture with a training item (an item whose pipeline is one of the training modes'
pipelines); its id is the capture's external id. Another account's scene reads as unknown.
"""

import math

from captures import scenes as scene_service
from captures.models import Capture
from core.errors import NotFound
from core.ownership import owned
from gallery import pipelines
from gallery.models import Item

CHUNK_SIZE = 1024 * 1024  # the seed's chunks are 1 MiB
UNFINISHED = (Item.Status.QUEUED, Item.Status.PROCESSING)


def training_pipelines():
    return [pipeline.name for pipeline in scene_service.training_modes().values()]


def scenes_of(user):
    """The user's scenes, newest first."""
    return (Capture.objects.owned_by(user).filter(items__pipeline__in=training_pipelines()).distinct()
            .order_by("-created_at", "-pk"))


def scene_for(user, scene_id):
    """The user's scene with this id (core.ownership: unknown ids and other accounts' scenes read alike)."""
    return owned(Capture.objects.filter(items__pipeline__in=training_pipelines()).distinct(), user, eid=scene_id,
                 not_found="There is no scene with this id.")


def preview_item(capture):
    previews = [pipeline.name for pipeline in pipelines.in_category("preview")]
    return capture.items.filter(pipeline__in=previews).order_by("-created_at").first()


def training_item(capture):
    return capture.items.filter(pipeline__in=training_pipelines()).order_by("-created_at").first()


def chunking(size):
    """(chunks, last_chunk_size) of a file of `size` bytes cut in CHUNK_SIZE pieces."""
    if size <= 0:
        return 0, 0
    chunks = math.ceil(size / CHUNK_SIZE)
    return chunks, size - (chunks - 1) * CHUNK_SIZE


def resources(item):
    """{output_type: {str(iteration): {exists, size, chunks, last_chunk_size}}} for the requested outputs,
    and any other saved output of the training item."""
    parameters = item.parameters or {}
    files = {(f.kind, f.iteration): f for f in item.files.filter(iteration__isnull=False)}
    kinds = list(dict.fromkeys([*parameters.get("output_types", []), *sorted({k for k, _ in files})]))
    iterations = sorted({*parameters.get("save_iterations", []), *(n for _, n in files)})
    body = {}
    for kind in kinds:
        body[kind] = {}
        for iteration in iterations:
            item_file = files.get((kind, iteration))
            size = item_file.size if item_file else 0
            chunks, last = chunking(size)
            body[kind][str(iteration)] = {"exists": item_file is not None, "size": size, "chunks": chunks,
                                          "last_chunk_size": last}
    return body


def active_item(capture):
    """The item a person waits on: the preview while it is unfinished, then the training."""
    preview, training = preview_item(capture), training_item(capture)
    if preview is not None and preview.status in UNFINISHED:
        return preview, training
    return training or preview, preview


def progress(capture):
    """The seed's progress fields for the scene, plus failure_reason when it failed or was cancelled."""
    item, other = active_item(capture)
    processing = any(i is not None and i.status in UNFINISHED for i in (item, other))
    body = {"processing": processing}
    if item.status == Item.Status.QUEUED:
        # Waiting: overall is the place in the queue (0 = next) out of the items waiting in it.
        body.update(overall_position=item.queue_position,
                    overall_size=Item.objects.queued().filter(queue=item.queue).count(),
                    stage="queued", current_position=0, current_size=0)
        return body
    # Then overall is the item's percentage (Item.progress: the share of its expected time that has passed).
    progress = item.progress
    body.update(overall_position=progress.percent, overall_size=100,
                current_position=progress.current_position, current_size=progress.current_size)
    if item.status == Item.Status.PROCESSING:
        body["stage"] = item.stage or "starting"
    elif item.status == Item.Status.DONE:
        body["stage"] = "done"
    else:
        body["stage"] = "failed" if item.status == Item.Status.FAILED else "cancelled"
        body["failure_reason"] = item.failure_reason or "Processing was cancelled."
    return body


def output_file(capture, output_type, iteration=None):
    """The training output of this type at `iteration` (the latest saved one when None)."""
    item = training_item(capture)
    item_file = item.file(output_type, iteration) if item is not None else None
    if item_file is None:
        at = "" if iteration is None else f" at iteration {iteration}"
        raise NotFound(f"The scene has no {output_type} output{at} (yet). Its metadata lists what exists.")
    return item_file


def thumbnail_file(capture):
    item = preview_item(capture)
    item_file = item.file("thumbnail") if item is not None else None
    if item_file is None:
        raise NotFound("The scene has no thumbnail yet. Check its progress and try again later.")
    return item_file
