"""What a capture pipeline reads: its capture, joined from the uploaded parts, as a local path."""

from django.conf import settings

from gallery.pipelines import PipelineFailed
from media import extract_images

from ..models import Capture


def capture_of(item, job, *, doing):
    """The item's capture with its parts joined into one source file; PipelineFailed when it has none."""
    from ..services import assemble

    capture = item.source
    if not isinstance(capture, Capture):
        raise PipelineFailed(f"This item has no capture to {doing}.")
    job.report("assemble", 0, capture.num_parts)
    assemble(capture, report=lambda done, total: job.report("assemble", done, total))
    return capture


def local_source(capture, job):
    """A local path the reconstruction can read: the video, a folder of the zip's images, or the zip of a
    phone's capture (the reconstruction reads its poses)."""
    path = job.local_path(capture.source)
    if capture.input_data_format == Capture.Format.BULK_IMAGES:
        folder = job.work_dir / "photos"
        extract_images(path, folder, max_pixels=settings.IMAGE_MAX_PIXELS)
        return folder
    return path


ASSEMBLE = ("assemble", "Joining the uploaded parts")
CAPTURE_INPUTS = ("video", "bulk-images", "commonformat-ios")
