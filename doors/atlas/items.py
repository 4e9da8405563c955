"""Seed 000 §4: an atlas user's items — detail, download, the list of their items, delete, metadata.

Only the owner sees an item: every read answers 404 for another person's item, as for an unknown one,
so the answer never tells that it exists. Deleting someone else's item is 403, as §4.5 says.
"""

import io
import os

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.response import Response

from core.downloads import file_response
from core.errors import Invalid, NotFound
from doors.base import AtlasView
from gallery import selectors, services
from gallery.models import Item

from . import item_serializers as s
from . import models_table
from .serializers import MessageSerializer


class RequestIdConverter:
    """A `requestId` path segment. The §3 model-creation words are left to their own routes, so
    `POST /atlas/item/decal` never reaches `atlas/item/{requestId}`, whichever is listed first."""

    regex = "[^/]+"
    CREATION_ROUTES = frozenset({"decal", "nerf2mesh", "musepose", "instant-mesh", "gs3d"})

    def to_python(self, value):
        if value in self.CREATION_ROUTES:
            raise ValueError(value)
        return value

    def to_url(self, value):
        return str(value)


def download_name(item, suffix):
    """`${itemName}${suffix}`, with the characters a file name or header cannot hold replaced."""
    name = "".join("_" if ch in '/\\"' or ord(ch) < 32 else ch for ch in item.name).strip() or "item"
    return f"{name}{suffix}"


class OpenFile:
    """An open temporary file, in the shape `file_response` reads a stored file (size, storage.open)."""

    name = ""

    def __init__(self, handle):
        handle.seek(0, os.SEEK_END)
        self.size = handle.tell()
        handle.seek(0)
        self.handle = handle
        self.storage = self

    def open(self, name, mode="rb"):
        return self.handle


def stream_archive(request, handle, filename, content_type):
    response = file_response(request, OpenFile(handle), filename=filename, content_type=content_type)
    if not response.streaming:  # 416: nothing will read the file
        handle.close()
    return response


def not_ready(item):
    if item.status == Item.Status.FAILED:
        return NotFound(f"This item failed, so it has no files: {item.failure_reason}")
    if item.status == Item.Status.CANCELLED:
        return NotFound("This item was cancelled, so it has no files.")
    return NotFound(f"This item is not ready yet (it is {item.status}). Download it once its status is OK.")


REQUEST_ID = OpenApiParameter("requestId", OpenApiTypes.UUID, OpenApiParameter.PATH,
                              description="The item's unique id, as the creation request answered it.")
MESSAGE = OpenApiResponse(MessageSerializer, description="`{\"message\"}` saying what went wrong.")
NOT_YOURS = {401: MESSAGE, 404: OpenApiResponse(MessageSerializer, description="Unknown, or not yours.")}
BINARY = {(200, "application/octet-stream"): OpenApiTypes.BINARY,
          (206, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY, description="A Range's bytes."),
          416: OpenApiResponse(description="The Range is outside the file.")}


@extend_schema(tags=["atlas: items"], summary="An item's status", parameters=[REQUEST_ID],
               responses={200: s.ItemDetailSerializer, **NOT_YOURS})
class ItemDetailView(AtlasView):
    """§4.1: one of your items, with its progress and queue position."""

    def get(self, request, requestId):
        return Response(s.ItemDetailSerializer(selectors.own_item(request.user, requestId)).data)


@extend_schema(tags=["atlas: items"], summary="One of my items", parameters=[REQUEST_ID],
               responses={200: s.MyItemDetailSerializer, **NOT_YOURS})
class MyItemDetailView(AtlasView):
    """§4.4: one of your items, with its name and creation time."""

    def get(self, request, requestId):
        return Response(s.MyItemDetailSerializer(selectors.own_item(request.user, requestId)).data)


@extend_schema(tags=["atlas: items"], summary="Download an item's result",
               parameters=[REQUEST_ID, s.DownloadQuerySerializer], responses={**BINARY, 400: MESSAGE, **NOT_YOURS})
class ItemDownloadView(AtlasView):
    """§4.2: a finished item's result, chosen by `code`, as `${itemName}.${ext}`; HTTP Range is honoured.

    Codes: gaussian-splatting 1 .ply; InstantMesh 1 .glb, 2 .obj; decal 1 .glb, 2 .gif, 3 .tar.gz;
    nerf2mesh 1 _1.glb (refined), 2 _0.glb (coarse), 3 .gif; MusePose 1 .mp4; upload previews 1 .jpg, 2 .gif.
    """

    def get(self, request, requestId):
        item = selectors.own_item(request.user, requestId)
        query = self.validated(s.DownloadQuerySerializer, data=request.query_params.dict())
        download = models_table.download_for(models_table.model_for(item.pipeline), query.get("code"))
        if item.status != Item.Status.DONE:
            raise not_ready(item)
        item_file = item.file(download.kind)
        if item_file is None:
            raise NotFound(f"This item has no {download.suffix} file.")
        return file_response(request, item_file.file, filename=download_name(item, download.suffix),
                             content_type=item_file.content_type)


@extend_schema(
    tags=["atlas: items"], summary="List my items of one model",
    parameters=[OpenApiParameter("ModelId", str, OpenApiParameter.PATH, enum=["1", "2", "3", "4", "5"],
                                 description="1 nerf2mesh, 2 gaussian-splatting, 3 decal, 4 MusePose, 5 InstantMesh"),
                s.ItemListQuerySerializer],
    responses={200: s.ItemPageSerializer, 400: MESSAGE, 401: MESSAGE},
)
class MyItemListView(AtlasView):
    """§4.3: your items of one model, a page at a time, ordered by `createdAt` (then by requestId).

    As the seed's table says, `desc=true` lists them ascending (oldest first) and `desc=false`
    descending (newest first), though the word `desc` says the opposite. Pass a page's `nextCursor` as
    `cursor` for the next page (null on the last page), or an item's `createdAt` to start strictly
    beyond that time.
    """

    def get(self, request, ModelId):
        pipelines = models_table.pipelines_for(ModelId)
        if not pipelines:
            raise Invalid(f"ModelId must be one of {', '.join(models_table.model_ids())}.")
        query = self.validated(s.ItemListQuerySerializer, data=request.query_params.dict())
        page = selectors.items_of(request.user, pipelines, newest_first=not query["desc"],
                                  cursor=query.get("cursor") or None, limit=query["limit"])
        return Response(s.ItemPageSerializer(page).data)


@extend_schema(tags=["atlas: items"], summary="Delete an item", parameters=[REQUEST_ID],
               responses={200: s.RequestIdSerializer, 401: MESSAGE, 403: MESSAGE, 404: MESSAGE})
class ItemView(AtlasView):
    """§4.5: deletes your item and its files; one still queued or processing is cancelled first."""

    def delete(self, request, requestId):
        item = selectors.item_to_change(request.user, requestId)
        request_id = str(item.pk)
        services.delete_item(item)
        return Response({"requestId": request_id})


@extend_schema(
    tags=["atlas: items"], summary="An item's metadata",
    parameters=[OpenApiParameter("type", str, OpenApiParameter.PATH, enum=list(s.METADATA_TYPES)), REQUEST_ID],
    responses={
        (200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY, description=(
            "thumbnail: the item's image (image/jpeg); request: `${itemName}.request.tar.gz` (request.json and "
            "the input file under input/); reply: `${itemName}.reply.tar.gz` (reply.json and every output file "
            "under output/); output: `${itemName}.output.zip` of every output file; log: `${itemName}.log` "
            "(text/plain, the failure reason on top when the item failed).")),
        **NOT_YOURS,
    },
)
class ItemMetadataView(AtlasView):
    """§4.6: an item's metadata — its thumbnail, request and reply archives, outputs and log."""

    def get(self, request, type, requestId):
        item = selectors.own_item(request.user, requestId)
        return getattr(self, f"get_{type}")(request, item)

    def get_thumbnail(self, request, item):
        thumbnail = item.file("thumbnail")
        if thumbnail is None:
            raise NotFound("This item has no thumbnail yet.")
        suffix = os.path.splitext(thumbnail.filename)[1] or ".jpg"
        return file_response(request, thumbnail.file, filename=download_name(item, f".thumbnail{suffix}"),
                             content_type=thumbnail.content_type, attachment=False)

    def get_request(self, request, item):
        return stream_archive(request, selectors.request_archive(item), download_name(item, ".request.tar.gz"),
                              "application/gzip")

    def get_reply(self, request, item):
        return stream_archive(request, selectors.reply_archive(item), download_name(item, ".reply.tar.gz"),
                              "application/gzip")

    def get_output(self, request, item):
        return stream_archive(request, selectors.output_archive(item), download_name(item, ".output.zip"),
                              "application/zip")

    def get_log(self, request, item):
        text = io.BytesIO(selectors.log_text(item).encode())
        return file_response(request, OpenFile(text), filename=download_name(item, ".log"),
                             content_type="text/plain; charset=utf-8", attachment=False)
