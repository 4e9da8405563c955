"""Seed 004: captures uploaded in parts through signed URLs, their previews, files and share metadata.

Workflow: POST /api/v1/captures (name, bytesize) → for each part POST .../create-upload-url/{n} and PUT
the part's bytes to the URL it answers (no token; the URL is signed) → POST .../uploaded with every
part's ETag → a preview job is queued; GET the capture to follow its state.
"""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from captures import selectors, services
from core.downloads import file_response
from core.errors import Invalid
from doors.base import CapturesView

from . import serializers as s

TAGS = ["captures"]
DETAIL_ERRORS = {401: s.CapturesErrorSerializer, 403: s.CapturesErrorSerializer, 404: s.CapturesErrorSerializer}
INVALID = {422: s.HTTPValidationErrorSerializer}
FILE_RESPONSES = {
    (200, "application/octet-stream"): OpenApiResponse(
        response=OpenApiTypes.BINARY, description="The file; Range requests answer 206 with the bytes asked for."),
    (206, "application/octet-stream"): OpenApiResponse(response=OpenApiTypes.BINARY, description="Part of it."),
    (404, "application/json"): s.CapturesErrorSerializer,
}
KIND = OpenApiParameter("kind", str, OpenApiParameter.PATH,
                        description="thumbnail, gif, or a model's kind (ply, splat, sog, ksplat-0, ksplat-1, "
                                    "ksplat-2, cameras, video ...).")


class PublicCapturesView(CapturesView):
    authentication_classes = []
    permission_classes = [AllowAny]


class FileView(CapturesView):
    """Streams one of a capture's files, whatever the client's Accept header says."""

    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=True)

    @staticmethod
    def send(request, capture, kind, public=False):
        item_file = selectors.latest_file(capture, kind, public=public)
        inline = item_file.content_type.startswith(("image/", "video/"))
        return file_response(request, item_file.file, filename=f"{capture.name}-{item_file.filename}",
                             content_type=item_file.content_type, attachment=not inline)


class CaptureListView(CapturesView):
    @extend_schema(tags=TAGS, summary="List captures", parameters=[s.ListQuerySerializer],
                   responses={200: s.CaptureOutputSerializer(many=True), 401: s.CapturesErrorSerializer, **INVALID})
    def get(self, request):
        """The account's captures, newest first."""
        query = self.validated(s.ListQuerySerializer, data=request.query_params, location="query")
        page = selectors.captures_of(request.user)[query["offset"]:query["offset"] + query["limit"]]
        return Response([s.capture_output(request, capture, query["time_zone"]) for capture in page])

    @extend_schema(tags=TAGS, summary="New capture", request=s.NewCaptureSerializer,
                   responses={200: s.NewCaptureOutputSerializer, 400: s.CapturesErrorSerializer,
                              401: s.CapturesErrorSerializer, **INVALID})
    def post(self, request):
        """Creates an empty capture and answers how many parts to upload (num_parts) of what size (chunk_size).

        Then, for each part (from 1), POST .../create-upload-url/{part_no}, PUT chunk_size bytes of the file
        to the upload_url and keep the ETag header it answers; then POST .../uploaded with every ETag.
        """
        data = dict(self.validated(s.NewCaptureSerializer))
        name, bytesize = data.pop("name"), data.pop("bytesize")
        input_data_format = data.pop("input_data_format", "")  # "": the bytes decide once they are joined
        photo_files = [dict(photo) for photo in data.pop("photo_files", [])]
        quality = (data.get("training_parameters") or {}).get("quality")
        capture = services.start_multipart(owner=request.user, name=name, bytesize=bytesize,
                                           input_data_format=input_data_format, client_metadata=data,
                                           reconstruction_parameters={"preset": quality} if quality else None,
                                           photo_files=photo_files)
        return Response({"eid": str(capture.eid), "chunk_size": capture.chunk_size, "num_parts": capture.num_parts})


class CaptureDetailView(CapturesView):
    @extend_schema(tags=TAGS, summary="Get capture", parameters=[s.TimeZoneQuerySerializer],
                   responses={200: s.CaptureOutputSerializer, **DETAIL_ERRORS, **INVALID})
    def get(self, request, eid):
        """One capture, with its state and preview URLs (an Atlas addition to poll while it processes)."""
        query = self.validated(s.TimeZoneQuerySerializer, data=request.query_params, location="query")
        return Response(s.capture_output(request, selectors.own_capture(request.user, eid), query["time_zone"]))

    @extend_schema(tags=TAGS, summary="Modify capture", parameters=[s.TimeZoneQuerySerializer],
                   request=s.EditCaptureSerializer,
                   responses={200: s.CaptureOutputSerializer, **DETAIL_ERRORS, **INVALID})
    def put(self, request, eid):
        """Renames the capture; `is_public` (an Atlas addition) makes it public or private."""
        query = self.validated(s.TimeZoneQuerySerializer, data=request.query_params, location="query")
        data = self.validated(s.EditCaptureSerializer)
        capture = selectors.own_capture(request.user, eid)
        if "name" in data:
            services.rename(capture, data["name"])
        if "is_public" in data:
            services.set_public(capture, data["is_public"])
        return Response(s.capture_output(request, capture, query["time_zone"]))

    @extend_schema(tags=TAGS, summary="Delete capture", request=None,
                   responses={204: OpenApiResponse(description="Deleted, with its files."), **DETAIL_ERRORS})
    def delete(self, request, eid):
        """Deletes the capture, its parts, its processing and every file made from it."""
        services.delete_capture(selectors.own_capture(request.user, eid))
        return Response(status=204)


@extend_schema(tags=TAGS, summary="Create upload URL", request=s.UploadUrlRequestSerializer,
               parameters=[OpenApiParameter("part_no", int, OpenApiParameter.PATH, description="From 1.")],
               responses={200: s.UploadUrlOutputSerializer, 400: s.CapturesErrorSerializer,
                          409: s.CapturesErrorSerializer, **DETAIL_ERRORS, **INVALID})
class UploadUrlView(CapturesView):
    """A signed URL to PUT part `part_no` to (valid 24 hours); a new bytesize re-plans an untouched upload."""

    def post(self, request, eid, part_no):
        number = self.validated(s.PartNumberSerializer, data={"part_no": part_no}, location="path")["part_no"]
        data = self.validated(s.UploadUrlRequestSerializer, context={"eid": eid})
        capture = services.replan(selectors.own_capture(request.user, eid), data["bytesize"])
        path = services.upload_url_for(capture, number)
        return Response({"eid": str(capture.eid), "upload_url": request.build_absolute_uri(path),
                         "chunk_size": capture.chunk_size})


@extend_schema(tags=TAGS, summary="Upload a part", auth=[],
               request={"application/octet-stream": OpenApiTypes.BINARY},
               responses={200: OpenApiResponse(description='Stored; the ETag header is "<md5 of the bytes>".'),
                          400: s.CapturesErrorSerializer, 403: s.CapturesErrorSerializer,
                          404: s.CapturesErrorSerializer, 409: s.CapturesErrorSerializer})
class UploadPartView(PublicCapturesView):
    """The part's raw bytes, exactly the planned size: the signed URL is the proof, no token is needed.

    Sending a part again replaces it. The answer's ETag header goes into the completion's parts list.
    """

    def initial(self, request, *args, **kwargs):
        # The body is streamed to storage, never parsed, so the JSON body size cap does not apply.
        APIView.initial(self, request, *args, **kwargs)

    def put(self, request, token):
        capture, number = services.capture_and_part_for_token(token)
        etag = services.receive_part(capture, number, request, content_length(request))
        return HttpResponse(status=200, headers={"ETag": f'"{etag}"'}, content_type="text/plain")


def content_length(request):
    value = request.META.get("CONTENT_LENGTH")
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError:
        raise Invalid("The Content-Length header must be the part's size in bytes.") from None


@extend_schema(tags=TAGS, summary="Complete upload", request=s.CaptureUploadedSerializer,
               responses={200: s.CaptureOutputSerializer, 400: s.CapturesErrorSerializer,
                          409: s.CapturesErrorSerializer, **DETAIL_ERRORS, **INVALID})
class CaptureUploadedView(CapturesView):
    """When every part is uploaded, send their ETags: the parts are checked and processing starts."""

    def post(self, request, eid):
        data = self.validated(s.CaptureUploadedSerializer, context={"eid": eid})
        capture = services.complete_multipart(selectors.own_capture(request.user, eid), data["parts"])
        return Response(s.capture_output(request, capture))


@extend_schema(tags=TAGS, summary="Download a capture's file", parameters=[KIND],
               responses={**FILE_RESPONSES, **{(code, "application/json"): s.CapturesErrorSerializer
                                               for code in (401, 403)}})
class CaptureFileView(FileView):
    """The newest file of `kind` made from the capture (to its owner); honours Range."""

    def get(self, request, eid, kind):
        return self.send(request, selectors.own_capture(request.user, eid), kind)


@extend_schema(tags=TAGS, summary="Download a public capture's file", auth=[], parameters=[KIND],
               responses=FILE_RESPONSES)
class ShareFileView(FileView, PublicCapturesView):
    """The newest file of `kind` of a public capture, for anyone; the preview made of the upload itself (its
    thumbnail and gif) only when the owner shows it publicly. A private capture's file, or a hidden preview, needs
    the `signature` its owner's metadata handed out (valid ATLAS_FILE_URL_HOURS); without one it is a 404."""

    def get(self, request, sid, kind):
        signature = request.query_params.get("signature")
        if signature:
            return self.send(request, selectors.signed_capture(sid, kind, signature), kind)
        return self.send(request, selectors.public_capture(sid), kind, public=True)


@extend_schema(tags=TAGS, summary="Get metadata", parameters=[s.MetadataQuerySerializer],
               responses={200: s.CaptureMetadataSerializer, 401: s.CapturesErrorSerializer,
                          404: s.CapturesErrorSerializer, **INVALID})
class ShareMetadataView(CapturesView):
    """Camera poses and model URLs. Public captures: anyone; private ones: their owner, with a token.

    `profiles`: ply (the full .ply), sogs-sh0 (a .zip of the six Self-Organizing Gaussians files),
    ksplat-v2-compress0/1/2 (.ksplat at that compression level); one model per profile, in the order asked,
    once reconstruction made it. `viewer_url` of a public capture is its share page, where it is drawn.
    """

    permission_classes = [AllowAny]

    def get(self, request, sid):
        query = self.validated(s.MetadataQuerySerializer, data=request.query_params, location="query")
        capture = selectors.shared_capture(sid, request.user)
        return Response(s.capture_metadata(request, capture, query.get("profiles") or []))


# --- runs: additions to the seed (its own routes and bodies are unchanged) --------------------------------

CONFLICT = {409: s.CapturesErrorSerializer}


class CaptureCancelView(CapturesView):
    @extend_schema(tags=TAGS, summary="Cancel processing (addition)", request=None,
                   parameters=[s.TimeZoneQuerySerializer],
                   responses={200: s.CaptureOutputSerializer, **DETAIL_ERRORS, **CONFLICT, **INVALID})
    def post(self, request, eid):
        """Stops the capture's queued or running reconstruction; the capture and its upload are kept, so it can
        run again (POST .../runs) or be retried (POST .../retry). The capture's state is then FAILED with
        state_description "Cancelled.". 409 when nothing is running."""
        query = self.validated(s.TimeZoneQuerySerializer, data=request.query_params, location="query")
        capture = selectors.own_capture(request.user, eid)
        services.cancel_runs(capture)
        return Response(s.capture_output(request, capture, query["time_zone"]))


class CaptureRunsView(CapturesView):
    @extend_schema(tags=TAGS, summary="List runs (addition)", parameters=[s.TimeZoneQuerySerializer],
                   responses={200: s.RunOutputSerializer(many=True), **DETAIL_ERRORS, **INVALID})
    def get(self, request, eid):
        """The capture's reconstruction runs, newest first: each is a version of its model. The capture's files
        (GET .../files/{kind}, the share routes) are those of the newest finished run."""
        query = self.validated(s.TimeZoneQuerySerializer, data=request.query_params, location="query")
        capture = selectors.own_capture(request.user, eid)
        return Response([s.run_output(run, query["time_zone"]) for run in capture.runs()])

    @extend_schema(tags=TAGS, summary="Run again (addition)", request=s.NewRunSerializer,
                   parameters=[s.TimeZoneQuerySerializer],
                   responses={201: s.RunOutputSerializer, 400: s.CapturesErrorSerializer, **DETAIL_ERRORS,
                              **CONFLICT, **INVALID})
    def post(self, request, eid):
        """A new reconstruction run from the capture's stored upload (nothing is uploaded again), with the same
        or another quality (`{"quality": "draft"}`, `{"quality": "custom", "iterations": 5000}`) and method; the
        earlier runs' files stay. 409 while a run is queued or running."""
        query = self.validated(s.TimeZoneQuerySerializer, data=request.query_params, location="query")
        data = self.validated(s.NewRunSerializer)
        capture = selectors.own_capture(request.user, eid)
        run = services.run_again(capture, method=data.get("method"), preset=data.get("quality"),
                                 iterations=data.get("iterations"))
        return Response(s.run_output(run, query["time_zone"]), status=201)


class CaptureRetryView(CapturesView):
    @extend_schema(tags=TAGS, summary="Retry a failed run (addition)", request=None,
                   parameters=[s.TimeZoneQuerySerializer],
                   responses={200: s.RunOutputSerializer(many=True), **DETAIL_ERRORS, **CONFLICT, **INVALID})
    def post(self, request, eid):
        """Queues the capture's failed or cancelled run again with the same settings (and its preview, when that
        is what failed); answers the runs queued again. 409 when nothing failed or a run is running."""
        query = self.validated(s.TimeZoneQuerySerializer, data=request.query_params, location="query")
        capture = selectors.own_capture(request.user, eid)
        retried = services.retry_runs(capture)
        return Response([s.run_output(item, query["time_zone"]) for item in retried])
