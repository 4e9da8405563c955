"""The preview every upload gets: a thumbnail and a short animated GIF of the capture."""

from django.conf import settings

from gallery.pipelines import Input, Output, OutputKind, PipelineFailed, register
from media import MediaError, check_limits, extract_images, make_preview, probe

from .. import limits
from ..models import Capture
from .sources import ASSEMBLE, CAPTURE_INPUTS, capture_of


@register(
    "preview", timeout=30 * 60, category="preview", label="Preview",
    method="Sharpest middle frame as a thumbnail and evenly spaced frames as a looping GIF (ffmpeg, Pillow).",
    stages=[ASSEMBLE, ("probe", "Checking the file"), ("preview", "Making the preview")],
    expected_seconds=15,  # seconds for a phone video: a capture's bar is nearly all its reconstruction
    outputs=[OutputKind("thumbnail", "image/jpeg", "Thumbnail (.jpg)"),
             OutputKind("gif", "image/gif", "Preview animation (.gif)")],
    inputs=[Input("captures.capture", CAPTURE_INPUTS)],
)
def run_preview(item, job):
    capture = capture_of(item, job, doing="preview")
    job.report("probe", 0, 1)
    try:
        path = job.local_path(capture.source)
        if capture.input_data_format in (Capture.Format.BULK_IMAGES, Capture.Format.COMMONFORMAT_IOS):
            source = job.work_dir / "images"
            images = extract_images(path, source, max_pixels=settings.IMAGE_MAX_PIXELS)
            capture.media_info = {"kind": "images", "image_count": len(images)}
        else:
            source = path
            info = probe(source, declared_name=capture.source.name, max_pixels=settings.IMAGE_MAX_PIXELS)
            check_limits(info, **limits.ANY_VIDEO)
            capture.media_info = info.to_dict()
        capture.save(update_fields=["media_info"])
        job.report("probe", 1, 1)
        preview = make_preview(source, job.work_dir / "preview", max_pixels=settings.IMAGE_MAX_PIXELS,
                               report=lambda stage, done, total: job.report("preview", done, total))
    except MediaError as exc:
        raise PipelineFailed(str(exc)) from exc
    return [
        Output("thumbnail", preview["thumbnail"], content_type="image/jpeg"),
        Output("gif", preview["gif"], content_type="image/gif"),
    ]
