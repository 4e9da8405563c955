"""The preview pipeline every upload gets: a thumbnail and a short animated GIF of the capture."""

from django.conf import settings

from gallery.pipelines import Output, PipelineFailed, register
from media import MediaError, check_limits, extract_images, make_preview, probe

from . import limits
from .models import Capture


@register("preview", timeout=30 * 60, stages=("assemble", "probe", "preview"))
def run_preview(item, job):
    """Thumbnail (jpg) and animated preview (gif) from the capture's video or images."""
    from .services import assemble

    capture = item.capture
    if capture is None:
        raise PipelineFailed("This item has no capture to preview.")
    job.report("assemble", 0, capture.num_parts)
    assemble(capture, report=lambda done, total: job.report("assemble", done, total))
    job.report("probe", 0, 1)
    path = job.local_path(capture.source)
    try:
        if capture.input_data_format in (Capture.Format.BULK_IMAGES, Capture.Format.COMMONFORMAT_IOS):
            images = extract_images(path, job.work_dir / "images")
            capture.media_info = {"kind": "images", "image_count": len(images)}
            source = job.work_dir / "images"
        else:
            info = probe(path, declared_name=capture.source.name)
            check_limits(info, **limits.ANY_VIDEO)
            capture.media_info = info.to_dict()
            source = path
        capture.save(update_fields=["media_info"])
        job.report("probe", 1, 1)
        preview = make_preview(source, job.work_dir / "preview",
                               report=lambda stage, done, total: job.report("preview", done, total))
    except MediaError as exc:
        raise PipelineFailed(str(exc)) from exc
    return [
        Output("thumbnail", preview["thumbnail"], content_type="image/jpeg"),
        Output("gif", preview["gif"], content_type="image/gif"),
    ]


def _reconstruction_source(capture, job):
    """A local path the reconstruction can read: the video, a folder of the zip's images, or the zip of a
    phone's capture (the reconstruction reads its poses)."""
    path = job.local_path(capture.source)
    if capture.input_data_format == Capture.Format.BULK_IMAGES:
        folder = job.work_dir / "photos"
        extract_images(path, folder)
        return folder
    return path


@register("gaussian-splatting", timeout=settings.RECONSTRUCTION_TIMEOUT,
          stages=("assemble", "frames", "poses", "training", "export"))
def run_gaussian_splatting(item, job):
    """3D Gaussian splatting from the capture: frames, structure-from-motion, training, export."""
    from captures.reconstruction.errors import ReconstructionError
    from captures.reconstruction.pipeline import reconstruct

    from .services import assemble

    capture = item.capture
    if capture is None:
        raise PipelineFailed("This item has no capture to reconstruct.")
    job.report("assemble", 0, capture.num_parts)
    assemble(capture, report=lambda done, total: job.report("assemble", done, total))
    parameters = item.parameters
    iterations = int(parameters.get("iterations") or parameters.get("total_iterations")
                     or settings.RECONSTRUCTION_DEFAULT_ITERATIONS)
    save_iterations = sorted({int(i) for i in parameters.get("save_iterations", []) if 0 < int(i) <= iterations})
    snapshot_outputs = [kind for kind in parameters.get("output_types", ["splat_cloud"])
                        if kind in ("splat_cloud", "point_cloud", "video")]
    try:
        result = reconstruct(
            _reconstruction_source(capture, job), job.work_dir / "reconstruction", iterations=iterations,
            save_iterations=save_iterations, snapshot_outputs=snapshot_outputs or ("splat_cloud",),
            max_gaussians=settings.RECONSTRUCTION_MAX_GAUSSIANS, frame_size=settings.RECONSTRUCTION_FRAME_SIZE,
            train_size=settings.RECONSTRUCTION_TRAIN_SIZE, report=job.report,
        )
    except (ReconstructionError, MediaError) as exc:
        raise PipelineFailed(str(exc)) from exc
    outputs = [
        Output("ply", result.ply, content_type="application/octet-stream"),
        Output("splat", result.splat, content_type="application/octet-stream"),
        Output("point_cloud", result.point_cloud, content_type="application/octet-stream"),
        Output("video", result.video, content_type="video/mp4"),
        Output("thumbnail", result.thumbnail, content_type="image/jpeg"),
        Output("cameras", result.cameras, content_type="application/json"),
    ]
    for iteration, files in result.snapshots.items():
        outputs += [Output(kind, path, iteration=iteration) for kind, path in files.items()]
    item.parameters = {**parameters, "result": {
        "frames": result.frames, "registered": result.registered, "num_gaussians": result.num_gaussians,
        "max_gaussians": result.max_gaussians, "cap_hit": result.cap_hit, "device": result.device,
        "seconds": {stage: round(value, 1) for stage, value in result.seconds.items()},
        "poses": result.poses.method, "poses_note": result.poses.note, "poses_check": result.poses.check,
    }}
    item.save(update_fields=["parameters"])
    return outputs
