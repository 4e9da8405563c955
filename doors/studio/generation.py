"""Seed 003 "Generate" and "Gallery": avatar pictures and videos queued on the workers, polled by task id,
then listed and served from the account's gallery. Only the owner's results are ever found."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.response import Response

from core.downloads import file_response
from doors.base import StudioView
from generation import selectors, services
from generation.models import Generation

from . import generation_serializers as g
from .serializers import StudioMessageSerializer

NOT_FOUND = {404: StudioMessageSerializer}


def binary(content_type, what):
    return {(200, content_type): OpenApiResponse(response=OpenApiTypes.BINARY, description=what),
            (404, "application/json"): StudioMessageSerializer}


class GenerateView(StudioView):
    kind = Generation.Kind.IMAGE

    def body_max_bytes(self):
        return 256 * 1024  # a description of an avatar, never a file

    def post(self, request):
        generation = services.request_generation(request.user, self.kind, request.data)
        return Response({"task_id": generation.task_id})


@extend_schema(tags=["studio: generate"], summary="Generate an avatar picture", request=g.GenerateImageSerializer,
               responses={200: g.TaskSerializer, 400: StudioMessageSerializer})
class GenerateImageView(GenerateView):
    """Queues a 512x768 picture (JPEG, its thumbnail and a .glb of the avatar); poll /generate/{task_id}."""


@extend_schema(tags=["studio: generate"], summary="Generate an avatar video", request=g.GenerateVideoSerializer,
               responses={200: g.TaskSerializer, 400: StudioMessageSerializer})
class GenerateVideoView(GenerateView):
    """Queues a video (H.264 mp4, 24 frames a second) of the avatar moving on a turntable; poll
    /generate/{task_id}."""

    kind = Generation.Kind.VIDEO


@extend_schema(tags=["studio: generate"], summary="A task's status and queue position",
               responses={200: g.TaskStatusSerializer, **NOT_FOUND})
class TaskStatusView(StudioView):
    """status 0 queued, 1 processing, 2 completed, 3 failed; position: tasks ahead, 0 in process, -1 not queued."""

    def get(self, request, task_id):
        generation = selectors.generation_of(request.user, task_id)
        return Response({"status": generation.studio_status, "position": generation.studio_position})


@extend_schema(tags=["studio: gallery"], summary="My gallery", responses={200: g.GallerySerializer})
class GalleryView(StudioView):
    """The finished pictures and videos, newest first; a url starts with the task id that made it."""

    def get(self, request):
        entries = [{"type": generation.kind, "url": generation.gallery_url}
                   for generation in selectors.gallery_of(request.user)]
        return Response({"gallery_urls": entries})


class GalleryFileView(StudioView):
    """Streams one stored file of a finished result (HTTP Range honoured)."""

    file_kind = ""
    result_kind = None
    content_type = ""
    suffix = ""

    def perform_content_negotiation(self, request, force=False):
        # The file bypasses renderers; errors stay JSON whatever the client accepts.
        return super().perform_content_negotiation(request, force=True)

    def get(self, request, url):
        generation = selectors.gallery_entry(request.user, url, self.result_kind)
        stored = selectors.result_file(generation, self.file_kind)
        return file_response(request, stored.file, filename=f"{generation.gallery_url}{self.suffix}",
                             content_type=self.content_type, attachment=False)


@extend_schema(tags=["studio: gallery"], summary="A picture", responses=binary("image/jpeg", "The JPEG picture."))
class GalleryImageView(GalleryFileView):
    file_kind, result_kind, content_type, suffix = "image", Generation.Kind.IMAGE, "image/jpeg", ".jpg"


@extend_schema(tags=["studio: gallery"], summary="A video", responses=binary("video/mp4", "The H.264 mp4."))
class GalleryVideoView(GalleryFileView):
    file_kind, result_kind, content_type, suffix = "video", Generation.Kind.VIDEO, "video/mp4", ".mp4"


@extend_schema(tags=["studio: gallery"], summary="A picture's or video's thumbnail",
               responses=binary("image/jpeg", "The JPEG thumbnail."))
class GalleryThumbnailView(GalleryFileView):
    file_kind, content_type, suffix = "thumbnail", "image/jpeg", "-thumbnail.jpg"


@extend_schema(tags=["studio: gallery"], summary="The avatar as a 3D model (addition)",
               responses=binary("model/gltf-binary", "The avatar as glTF binary (.glb)."),
               description="An addition to seed 003: the dressed, posed avatar of a picture or video, as .glb.")
class GalleryModelView(GalleryFileView):
    file_kind, content_type, suffix = "glb", "model/gltf-binary", ".glb"


@extend_schema(tags=["studio: gallery"], summary="Remove a picture or video",
               responses={200: StudioMessageSerializer, **NOT_FOUND})
class RemoveGalleryEntryView(StudioView):
    """Removes a picture or a video (either url spelling) with its files."""

    def delete(self, request, url):
        generation = selectors.gallery_entry(request.user, url)
        services.remove_generation(generation)
        return Response({"message": f"{generation.gallery_url} was removed from your gallery."})
