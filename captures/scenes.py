"""Scenes (seed 001): a captured video trained into a 3D scene, saving outputs at chosen iterations.

A scene is a Capture with two gallery items: the preview every upload gets (thumbnail + gif) and its training
item, which runs the reconstruction pipeline registered under the chosen training mode (its alias, e.g.
"gaussian") with the parameters {"output_types": [...], "save_iterations": [...], "iterations": N}. The
training pipeline saves each output type at each saved iteration as an item file (kind = output type,
iteration = the iteration); an output type the pipeline does not make (splatting makes no "model") stays
missing, as the seed's example shows.
"""

from django.db import transaction

from core.errors import Invalid
from gallery import pipelines
from gallery import services as gallery

from . import limits
from .services import capture_from_upload, queue_preview

MAX_TOTAL_ITERATIONS = 100_000
NAME_MAX_LENGTH = 200


def training_modes():
    """{training_mode: pipeline} of the reconstruction pipelines registered here that take a capture."""
    return {alias: pipeline for pipeline in pipelines.in_category("reconstruction", made_from="captures.capture")
            for alias in pipeline.aliases}


def training_pipeline(training_mode):
    """The registered pipeline for `training_mode`; Invalid when no pipeline here answers to it."""
    modes = training_modes()
    if training_mode not in modes:
        raise Invalid(f"training_mode '{training_mode}' is not available on this server yet.")
    return modes[training_mode]


def training_parameters(output_types, save_iterations, total_iterations):
    """The training item's parameters, checked: 1 <= saved iteration <= total; the output types are checked
    against the pipeline's declared parameter when the item is made."""
    if isinstance(total_iterations, bool) or not isinstance(total_iterations, int) \
            or not 1 <= total_iterations <= MAX_TOTAL_ITERATIONS:
        raise Invalid(f"total_iterations must be a whole number from 1 to {MAX_TOTAL_ITERATIONS}.")
    output_types = list(dict.fromkeys(output_types))
    if not output_types:
        raise Invalid("output_types must list one or more output types, for example splat_cloud,point_cloud.")
    iterations = sorted(set(save_iterations))
    if not iterations:
        raise Invalid("save_iterations must list one or more iterations, for example 7000,30000.")
    outside = [n for n in iterations if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= total_iterations]
    if outside:
        raise Invalid(f"save_iterations: {', '.join(map(str, outside))} is not between 1 and total_iterations "
                      f"({total_iterations}).")
    return {"output_types": output_types, "save_iterations": iterations, "iterations": total_iterations}


def create_scene(owner, uploaded_file, training_mode, output_types, save_iterations, total_iterations, name=None):
    """Stores and probes the video, then queues its preview and its training; returns the Capture.

    Everything that can be refused without looking at the video (the parameters, a training mode this
    server cannot run) is refused before the upload is stored.
    """
    pipeline = training_pipeline(training_mode)
    parameters = training_parameters(output_types, save_iterations, total_iterations)
    name = (name or "").strip() or (uploaded_file.name or "scene")
    capture = None
    try:
        with transaction.atomic():
            capture = capture_from_upload(owner=owner, uploaded_file=uploaded_file,
                                          name=name[:NAME_MAX_LENGTH], limits=limits.ANY_VIDEO)
            queue_preview(capture)
            gallery.create_item(owner=owner, name=capture.name, pipeline=pipeline.name, parameters=parameters,
                                source=capture)
    except Exception:
        # The rows were rolled back; the stored video has no row left to delete it with.
        if capture is not None and capture.source.name:
            capture.source.storage.delete(capture.source.name)
        raise
    return capture
