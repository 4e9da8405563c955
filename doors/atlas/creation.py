"""Seed 000 §3: requests to create a 3D model. Each route arrives with the pipeline it runs."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from captures import limits
from captures import services as captures
from core.names import validate_name
from doors.base import AtlasView

from .item_serializers import RequestIdSerializer

# Seed 000's `Epoch` (1-100) as training iterations: 300 each, so Epoch 100 is the reference's 30,000-iteration
# schedule and Epoch 10 a 3,000-iteration run.
ITERATIONS_PER_EPOCH = 300


class Gs3dRequestSerializer(serializers.Serializer):
    itemName = serializers.CharField(max_length=200, validators=[validate_name])
    Epoch = serializers.IntegerField(min_value=1, max_value=100,
                                     help_text="Training length: 300 iterations per epoch (100 = 30,000).")
    Payload = serializers.FileField(help_text="mp4, FHD or lower, 300 MB or lower, 180 s or less.")


@extend_schema(tags=["atlas: items"], summary="Make a 3D model by Gaussian splatting",
               request={"multipart/form-data": Gs3dRequestSerializer},
               responses={201: RequestIdSerializer})
class Gs3dView(AtlasView):
    """§3.5: a 3D model (.ply) by Gaussian splatting from a phone video; answers the new item's requestId."""

    parser_classes = [MultiPartParser, FormParser]

    def post(self, request):
        data = self.validated(Gs3dRequestSerializer)
        item = captures.request_reconstruction(
            owner=request.user, name=data["itemName"], uploaded_file=data["Payload"], limits=limits.GS3D_VIDEO,
            method="gaussian-splatting", iterations=ITERATIONS_PER_EPOCH * data["Epoch"])
        return Response({"requestId": str(item.pk)}, status=201)
