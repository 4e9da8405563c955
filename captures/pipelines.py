"""The preview pipeline every upload gets: a thumbnail and a short animated GIF of the capture."""

from gallery.pipelines import Output, PipelineFailed, register

from . import limits
from .media import MediaError, check_limits, extract_images, make_preview, probe
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
        if capture.input_data_format == Capture.Format.BULK_IMAGES:
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
