"""Seed 001's scenes: upload a video, follow its training, read its outputs in 1 MiB chunks, delete it.

A scene is a capture with a preview item (thumbnail + gif) and a training item; its id is the
capture's id. History lists the scenes only: captures uploaded through other doors without a
training item are not scenes. Another account's scene answers 404, as an unknown one does.
"""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from captures.scenes import create_scene
from captures.services import delete_capture
from core.downloads import content_disposition, file_response
from core.errors import Invalid
from doors.base import ScenesView

from . import scene_selectors as scenes
from . import scene_serializers as s
from .serializers import ScenesErrorSerializer, ScenesMessageSerializer

TAGS = ["scenes: scenes"]
SCENE_ID = OpenApiParameter("scene_id", OpenApiTypes.STR, OpenApiParameter.PATH, description="The scene id.")
OUTPUT_TYPE = OpenApiParameter("output_type", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(s.OUTPUT_TYPES))


def errors(*codes):
    return {code: ScenesErrorSerializer for code in codes}


def binary(description, *codes):
    return {(200, "application/octet-stream"): OpenApiResponse(response=OpenApiTypes.BINARY,
                                                               description=description),
            **{(code, "application/json"): ScenesErrorSerializer for code in codes}}


class SceneView(ScenesView):
    def scene(self, scene_id):
        return scenes.scene_for(self.request.user, scene_id)


class SceneFileView(SceneView):
    def perform_content_negotiation(self, request, force=False):
        # Files bypass the renderers, so any Accept header is served; errors stay JSON.
        return super().perform_content_negotiation(request, force=True)


@extend_schema(tags=TAGS, summary="New scene from a video", request={"multipart/form-data": s.SceneNewSerializer},
               responses={202: s.SceneCreatedSerializer, **errors(400, 401)})
class SceneNewView(ScenesView):
    """Uploads a video and queues its preview and its training in the chosen mode."""

    parser_classes = [MultiPartParser, FormParser]

    def post(self, request):
        data = self.validated(s.SceneNewSerializer)
        capture = create_scene(owner=request.user, uploaded_file=data["file"], training_mode=data["training_mode"],
                               output_types=data["output_types"], save_iterations=data["save_iterations"],
                               total_iterations=data["total_iterations"], name=data.get("scene_name"))
        return Response({"id": str(capture.eid),
                         "message": "Video received and processing scene. Check back later for updates."},
                        status=202)


@extend_schema(tags=TAGS, summary="A scene's outputs", parameters=[SCENE_ID],
               responses={200: s.SceneMetadataSerializer, **errors(401, 404)})
class SceneMetadataView(SceneView):
    """Every requested output type at every saved iteration: whether it exists, its size and 1 MiB chunks."""

    def get(self, request, scene_id):
        capture = self.scene(scene_id)
        item = scenes.training_item(capture)
        return Response({"uuid": str(capture.eid), "status": 200, "error": 0,
                         "message": "Scene metadata retrieved successfully", "resources": scenes.resources(item)})


@extend_schema(tags=TAGS, summary="Download an output",
               parameters=[OUTPUT_TYPE, SCENE_ID, s.SceneOutputQuerySerializer],
               responses={**binary("The output file, or one 1 MiB chunk of it.", 400, 401, 404),
                          (416, "application/json"): OpenApiResponse(description="The Range cannot be served.")})
class SceneOutputView(SceneFileView):
    """An output file at an iteration (the latest saved one by default); `chunk` answers one 1 MiB slice.

    Without `chunk`, HTTP Range requests are honoured (206 Partial Content).
    """

    def get(self, request, output_type, scene_id):
        if output_type not in s.OUTPUT_TYPES:
            raise Invalid(f"output_type must be one of {', '.join(s.OUTPUT_TYPES)}.")
        query = self.validated(s.SceneOutputQuerySerializer, data=request.query_params)
        capture = self.scene(scene_id)
        item_file = scenes.output_file(capture, output_type, query.get("iteration"))
        if "chunk" not in query:
            return file_response(request, item_file.file, filename=item_file.filename,
                                 content_type=item_file.content_type)
        return self.chunk_response(item_file, query["chunk"])

    def chunk_response(self, item_file, chunk):
        chunks, _ = scenes.chunking(item_file.size)
        if chunk >= chunks:
            raise Invalid(f"chunk must be from 0 to {chunks - 1}: this file has {chunks} chunk(s) of 1 MiB.")
        with item_file.file.storage.open(item_file.file.name, "rb") as handle:
            handle.seek(chunk * scenes.CHUNK_SIZE)
            data = handle.read(scenes.CHUNK_SIZE)
        return HttpResponse(data, content_type=item_file.content_type, headers={
            "Content-Disposition": content_disposition(item_file.filename),
            "X-Chunk": str(chunk), "X-Chunks": str(chunks),
        })


@extend_schema(tags=TAGS, summary="A scene's thumbnail", parameters=[SCENE_ID], responses={
    (200, "image/jpeg"): OpenApiResponse(response=OpenApiTypes.BINARY, description="The thumbnail JPEG."),
    **{(code, "application/json"): ScenesErrorSerializer for code in (401, 404)}})
class SceneThumbnailView(SceneFileView):
    """The scene's thumbnail (a JPEG), once its preview is made."""

    def get(self, request, scene_id):
        item_file = scenes.thumbnail_file(self.scene(scene_id))
        return file_response(request, item_file.file, filename=item_file.filename, content_type="image/jpeg",
                             attachment=False)


@extend_schema(tags=TAGS, summary="A scene's name", parameters=[SCENE_ID],
               responses={200: s.SceneNameSerializer, **errors(401, 404)})
class SceneNameView(SceneView):
    """The scene's name."""

    def get(self, request, scene_id):
        return Response({"name": self.scene(scene_id).name})


@extend_schema(tags=TAGS, summary="A scene's progress", parameters=[SCENE_ID],
               responses={200: s.SceneProgressSerializer, **errors(401, 404)})
class SceneProgressView(SceneView):
    """Where the scene is: queued (its place in the queue), a preview or training stage, done or failed.

    While queued, overall_position is the number of items ahead in the queue and overall_size the number
    waiting; then overall_position out of overall_size (100) is the running item's percentage, the share of its
    expected time that has passed (Item.progress: stages weighted by their expected time, then measured), and
    current_position out of current_size the current stage's steps (training: the iteration of the iterations).
    """

    def get(self, request, scene_id):
        capture = self.scene(scene_id)
        return Response({"uuid": str(capture.eid), "status": 200, "error": 0,
                         "message": "Scene progress retrieved successfully", **scenes.progress(capture)})


@extend_schema(tags=TAGS, summary="List my scenes", responses={200: s.SceneHistorySerializer, **errors(401)})
class SceneHistoryView(ScenesView):
    """The ids of the account's scenes, newest first."""

    def get(self, request):
        ids = scenes.scenes_of(request.user).values_list("eid", flat=True)
        return Response({"resources": [str(eid) for eid in ids]})


@extend_schema(tags=TAGS, summary="Delete a scene", parameters=[SCENE_ID], request=None,
               responses={200: ScenesMessageSerializer, **errors(401, 404)})
class SceneDeleteView(SceneView):
    """Deletes the scene, its video and every file made from it; running work on it stops."""

    def delete(self, request, scene_id):
        delete_capture(self.scene(scene_id))
        return Response({"message": "Scene deleted"})
