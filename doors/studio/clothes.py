"""Seed 003 "Clothes": each account's clothes catalogue, uploaded as an Excel file and read by URL and name.

Uploading needs a signed-in account (and, where settings.STUDIO_CLOTHES_UPLOAD_ROLE is set, that role or one
above it); reading is public, as the seed marks neither route. The rules are generation.catalogue's.
"""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from core.errors import Invalid
from doors.base import StudioView
from generation import catalogue

from . import clothes_serializers as c
from .serializers import StudioMessageSerializer
from .views import PublicStudioView


@extend_schema(
    tags=["studio: clothes"], summary="Upload the clothes catalogue",
    request={"multipart/form-data": c.ClothesUploadSerializer},
    responses={200: StudioMessageSerializer, 400: c.ClothesUploadErrorSerializer, 401: StudioMessageSerializer,
               403: StudioMessageSerializer},
    description=(
        "One .xlsx or .xls file as multipart/form-data, under any field name. The first sheet's first row names the "
        "columns (any order, case and spaces ignored): URL, Brand, Gender (Male, Female or Unisex; M/F/U, Man/Men, "
        "Woman/Women too), Name, Colors, Colors Hex (#RRGGBB, one per colour) and Sizes, lists comma-separated. "
        "It replaces all of your garments, or, when any row has a problem, nothing is imported and 400 lists every "
        "problem as `{row, column, problem}`."
    ),
)
class UploadClothesView(StudioView):
    """Replaces the signed-in account's clothes catalogue with the garments of one Excel file."""

    def error_body(self, status_code, message, exc=None):
        body = super().error_body(status_code, message, exc)
        if isinstance(exc, catalogue.CatalogueInvalid):
            body["errors"] = exc.errors
        return body

    def post(self, request):
        catalogue.check_may_upload(request.user)
        # Refuse an oversized body before it is received and spooled to disk.
        catalogue.check_request_size(int(request.META.get("CONTENT_LENGTH") or 0))
        if not request.content_type.startswith("multipart/form-data"):
            raise Invalid("Send the .xlsx or .xls file as multipart/form-data (for example in the field \"file\").")
        files = [upload for name in request.FILES for upload in request.FILES.getlist(name)]
        if len(files) != 1:
            raise Invalid("Send exactly one .xlsx or .xls file, as multipart/form-data (for example in the field "
                          "\"file\").")
        return Response({"message": catalogue.upload(request.user, files[0]).message})


@extend_schema(
    tags=["studio: clothes"], summary="A garment of the catalogue", auth=[], request=c.GetClothesSerializer,
    responses={200: c.GarmentSerializer, 400: StudioMessageSerializer, 404: StudioMessageSerializer},
)
class GetClothesView(PublicStudioView):
    """The garment with this URL and name (case ignored); when several accounts uploaded one, the most recent
    upload's. No token is needed."""

    def post(self, request):
        data = self.validated(c.GetClothesSerializer)
        return Response(c.GarmentSerializer(catalogue.find_garment(data["url"], data["name"])).data)
