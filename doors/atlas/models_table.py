"""Seed 000's AI models as the atlas door names them, and what each one's download `code` returns.

Items run pipelines registered under Atlas's own names; this table is the one place that turns a
pipeline name into the seed's `modelId` / `modelName`, and a download `code` into an item file kind
and the suffix of the downloaded file's name (`${itemName}${suffix}`). Pipelines that are not one of
the seed's models (the upload `preview`, the scenes door's models) have no `modelId` and are named by
their pipeline.
"""

from dataclasses import dataclass, field

from core.errors import Invalid, NotFound
from gallery.models import Item


@dataclass(frozen=True)
class Download:
    kind: str  # the ItemFile kind the pipeline stores
    suffix: str  # appended to the item name: ".ply", "_1.glb", ...


@dataclass(frozen=True)
class Model:
    id: str | None
    name: str
    downloads: dict[int, Download] = field(default_factory=dict)

    @property
    def codes(self):
        return sorted(self.downloads)


# Keyed by the pipeline name an item records. Tests may add entries (monkeypatch.setitem) for
# pipelines of their own; every lookup below reads this dict when it is called.
MODELS: dict[str, Model] = {
    "nerf2mesh": Model("1", "nerf2mesh", {
        1: Download("mesh_refined", "_1.glb"),
        2: Download("mesh_coarse", "_0.glb"),
        3: Download("gif", ".gif"),
    }),
    "gaussian-splatting": Model("2", "gaussian-splatting", {
        1: Download("ply", ".ply"),
    }),
    "decal": Model("3", "decal", {
        1: Download("glb", ".glb"),
        2: Download("gif", ".gif"),
        3: Download("archive", ".tar.gz"),
    }),
    # The seed has no code table for MusePose; its one result, the video, is code 1.
    "musepose": Model("4", "MusePose", {
        1: Download("video", ".mp4"),
    }),
    "instant-mesh": Model("5", "InstantMesh", {
        1: Download("glb", ".glb"),
        2: Download("obj", ".obj"),
    }),
    "preview": Model(None, "preview", {
        1: Download("thumbnail", ".jpg"),
        2: Download("gif", ".gif"),
    }),
}

STATUS = {
    Item.Status.QUEUED: "PROGRESS",
    Item.Status.PROCESSING: "PROGRESS",
    Item.Status.DONE: "OK",
    Item.Status.FAILED: "NG",
    Item.Status.CANCELLED: "NG",
}


def model_for(pipeline):
    """The seed's model behind a pipeline; a model without an id, named by the pipeline, for others."""
    return MODELS.get(pipeline) or Model(None, pipeline)


def model_ids():
    return sorted({model.id for model in MODELS.values() if model.id}, key=int)


def pipelines_for(model_id):
    """The pipeline names whose items count as model `model_id`; empty for an id the seed does not have."""
    return [pipeline for pipeline, model in MODELS.items() if model.id is not None and model.id == str(model_id)]


def atlas_status(item):
    return STATUS[item.status]


def download_for(model, code):
    """What download `code` (a query string value; 1 when absent) of `model` returns.

    Invalid for a code the model does not have, with the codes it has; NotFound for a model with nothing
    to download.
    """
    if not model.downloads:
        raise NotFound(f"Items made with {model.name} have no files to download.")
    text = "1" if code is None or code == "" else str(code).strip()
    number = int(text) if text.isdigit() else None
    if number not in model.downloads:
        choices = ", ".join(f"{n} ({d.suffix})" for n, d in sorted(model.downloads.items()))
        raise Invalid(f"code: {model.name} items can be downloaded with code {choices}.")
    return model.downloads[number]
